/**
 * Model text with math, rendered readably and safely: prose is HTML-escaped, and every math span
 * ($...$, $$...$$, \(...\), \[...\], and display environments such as align*, cases or array
 * written outside dollars, as MATH solutions often do) is rendered by KaTeX to MathML, which browsers display
 * without fonts or scripts. KaTeX runs untrusted (no \href, \url, \includegraphics) and escapes
 * what it prints; a span it cannot parse is shown as escaped TeX.
 */
import katex from 'katex';
import { escapeHtml } from './html.js';

const SPAN =
  /\$\$([\s\S]+?)\$\$|\\\[([\s\S]+?)\\\]|\\\(([\s\S]+?)\\\)|\$((?:\\\$|[^$])+?)\$|(\\begin\{(align\*?|aligned|alignat\*?|equation\*?|gather\*?|gathered|cases|array|matrix|pmatrix|bmatrix|vmatrix|split)\}[\s\S]*?\\end\{\6\})/g;

// KaTeX takes these only in display mode (split, within a display, as a top-level block).
const DISPLAY_ONLY = /^(align|alignat|equation|gather|split)/;

/** Longest TeX handed to KaTeX; longer spans are shown as text (bounded work and output). */
const MAX_TEX = 2000;

/** @param source the text as written, shown when KaTeX cannot render it (default: the TeX in its delimiters) */
export function renderMath(tex: string, display: boolean, source?: string): string {
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
    return `<code>${escapeHtml(source ?? (display ? `$$${tex}$$` : `$${tex}$`))}</code>`;
  }
}

export function renderMathText(text: string): string {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(SPAN)) {
    out += escapeHtml(text.slice(last, m.index));
    // Top-level environments (align*, equation, ...) exist only in display mode; cases, array or
    // a matrix after "f(x) =" read best inline.
    const display =
      m[1] !== undefined || m[2] !== undefined || (m[5] !== undefined && DISPLAY_ONLY.test(m[6]!));
    out += renderMath((m[1] ?? m[2] ?? m[3] ?? m[4] ?? m[5])!, display, m[0]);
    last = m.index + m[0].length;
  }
  return out + escapeHtml(text.slice(last));
}
