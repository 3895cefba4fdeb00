/**
 * Model text with math, rendered readably and safely: prose is HTML-escaped, and every math span
 * ($...$, $$...$$, \(...\), \[...\]) is rendered by KaTeX to MathML, which browsers display
 * without fonts or scripts. KaTeX runs untrusted (no \href, \url, \includegraphics) and escapes
 * what it prints; a span it cannot parse is shown as escaped TeX.
 */
import katex from 'katex';
import { escapeHtml } from './html.js';

const SPAN = /\$\$([\s\S]+?)\$\$|\\\[([\s\S]+?)\\\]|\\\(([\s\S]+?)\\\)|\$((?:\\\$|[^$])+?)\$/g;

/** Longest TeX handed to KaTeX; longer spans are shown as text (bounded work and output). */
const MAX_TEX = 2000;

export function renderMath(tex: string, display: boolean): string {
  if (tex.length > MAX_TEX) return `<code>${escapeHtml(tex)}</code>`;
  try {
    const html = katex.renderToString(tex, {
      output: 'mathml',
      displayMode: display,
      throwOnError: true,
      trust: false,
      strict: 'ignore',
      maxExpand: 200,
      maxSize: 50,
    });
    // The TeX annotation doubles the size for nothing a reader sees.
    return html.replace(/<annotation encoding="application\/x-tex">[\s\S]*?<\/annotation>/g, '');
  } catch {
    return `<code>${escapeHtml(display ? `$$${tex}$$` : `$${tex}$`)}</code>`;
  }
}

export function renderMathText(text: string): string {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(SPAN)) {
    out += escapeHtml(text.slice(last, m.index));
    const display = m[1] !== undefined || m[2] !== undefined;
    out += renderMath((m[1] ?? m[2] ?? m[3] ?? m[4])!, display);
    last = m.index + m[0].length;
  }
  return out + escapeHtml(text.slice(last));
}
