/**
 * HTML building blocks of the report. Every string that reaches the page goes through `escapeHtml`
 * (text) or `renderMathText` (model text with math); nothing else is interpolated raw except
 * markup this module or KaTeX/vega generated.
 */

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: unknown): string {
  // Control characters (other than tab and newline) have no business on the page.
  return String(value)
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '\ufffd')
    .replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Page skeleton. The CSP forbids scripts and every network fetch: the report is static. */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

const CSS = `
body { font: 14px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1200px; padding: 0 24px 64px; color: #1d2330; }
h1 { font-size: 24px; margin: 24px 0 4px; }
h2 { font-size: 19px; margin: 36px 0 8px; border-bottom: 1px solid #dde2ea; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 20px 0 6px; }
.muted { color: #6a7385; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { border: 1px solid #dde2ea; border-radius: 8px; padding: 10px 14px; min-width: 140px; }
.card .v { font-size: 20px; font-weight: 600; }
.card .k { color: #6a7385; font-size: 12px; }
table { border-collapse: collapse; margin: 8px 0 16px; }
th, td { border-bottom: 1px solid #e6e9ef; padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: #f5f7fa; font-weight: 600; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.chart { margin: 8px 0 16px; overflow-x: auto; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
details.sample { border: 1px solid #dde2ea; border-radius: 8px; padding: 8px 12px; margin: 8px 0; }
details.sample summary { cursor: pointer; font-weight: 600; }
.problem, .solution { white-space: pre-wrap; overflow-wrap: anywhere; }
.solution { background: #f8f9fb; padding: 8px; border-radius: 6px; }
.lineage { font-size: 13px; }
.tag { display: inline-block; background: #eef2f8; border-radius: 4px; padding: 0 6px; margin-right: 4px; font-size: 12px; }
nav a { margin-right: 12px; }
math { font-size: 1.05em; }
.legend { display: flex; align-items: center; gap: 8px; font-size: 12px; color: #6a7385; }
.legend .gradient { display: inline-block; width: 160px; height: 12px; border-radius: 2px; }
.legend .swatch { display: inline-block; width: 12px; height: 12px; margin-left: 12px; }
`;

export function table(headers: string[], rows: (string | number)[][], numeric: boolean[] = []): string {
  const head = `<tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  const body = rows
    .map(
      (r) =>
        `<tr>${r.map((c, i) => `<td${numeric[i] ? ' class="n"' : ''}>${typeof c === 'number' ? escapeHtml(formatNumber(c)) : c}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<table>${head}\n${body}</table>`;
}

export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  return n.toLocaleString('en-US', { maximumFractionDigits: 3 });
}

export function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

export function card(label: string, value: string): string {
  return `<div class="card"><div class="v">${escapeHtml(value)}</div><div class="k">${escapeHtml(label)}</div></div>`;
}
