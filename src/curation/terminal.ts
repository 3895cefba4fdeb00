/**
 * Showing pool text in a terminal safely. Labels, reasons and problem snippets may come from
 * model output, which can contain ANSI escape sequences, carriage returns or bidirectional
 * overrides that rewrite what the terminal shows; every such character is printed as a visible
 * escape (`\x1b`, `\u202e`) instead.
 */

/** C0 and C1 controls, DEL, and the Unicode bidi/zero-width format characters. */
const UNSAFE =
  /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

export function escapeTerminal(text: string): string {
  return text.replace(UNSAFE, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Escaped and cut to `max` characters (with an ellipsis). */
export function shown(text: string, max = 60): string {
  const safe = escapeTerminal(text);
  return safe.length <= max ? safe : `${safe.slice(0, max - 1)}…`;
}

/**
 * JSON for a terminal: JSON.stringify already escapes C0 controls, but not DEL, C1 controls
 * (U+009B is a one-byte CSI on some terminals) or bidi overrides; those are escaped as \uXXXX,
 * which keeps the JSON valid and equal in meaning.
 */
export function terminalJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    /[\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A plain text table; columns listed in `right` are right-aligned (numbers). Cells must be escaped already. */
export function table(header: string[], rows: string[][], right: number[] = []): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right.includes(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
