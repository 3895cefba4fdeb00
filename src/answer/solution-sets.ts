/**
 * Answers that describe a set of reals in words or symbols other than intervals, rewritten as the
 * inequalities or intervals they are, so that the comparison sees one form: the reals less some
 * points or an interval, set-builder notation, an inequality on an absolute value, and two
 * bounds on one unknown joined by "and". Each rewrite applies only when every number in it is a
 * plain number; anything else is left as written.
 */

/** Run after normalization has settled `\le`, `\ge`, spacing and `\text{ and }`. */
export function solutionSetAsIntervals(s: string): string {
  return boundsJoinedByAnd(absoluteValueInequality(setBuilder(realsWithout(s))));
}

/**
 * `\mathbb{R} \setminus \{0, 2\}` as the union of open intervals it is,
 * `(-\infty,0)\cup(0,2)\cup(2,\infty)`, when the points removed are numbers; and
 * `\mathbb{R} \setminus [a, b)` as `(-\infty,a)\cup[b,\infty)`, each end's bracket flipped,
 * when the interval removed has numeric ends in order.
 */
function realsWithout(s: string): string {
  const m = /^\\mathbb\s*\{?R\}?\s*(?:\\setminus|\\backslash|-)\s*(.+)$/.exec(s);
  if (!m) return s;
  const removed = m[1]!.trim();
  const points = /^\\\{(.+)\\\}$/.exec(removed);
  if (points) return realsWithoutPoints(points[1]!.split(',').map((x) => x.trim())) ?? s;
  const interval = /^([[(])([^,]+),([^,]+)([\])])$/.exec(removed);
  if (!interval) return s;
  const [, open, a, b, close] = interval as unknown as [string, string, string, string, string];
  const lo = numberValue(a.trim());
  const hi = numberValue(b.trim());
  if (lo === null || hi === null || !(lo < hi)) return s;
  return `(-\\infty,${a.trim()}${open === '[' ? ')' : ']'}\\cup${close === ']' ? '(' : '['}${b.trim()},\\infty)`;
}

function realsWithoutPoints(points: string[]): string | null {
  const values = points.map(numberValue);
  if (values.some((v) => v === null)) return null;
  const order = points.map((p, i) => ({ p, v: values[i]! })).sort((a, b) => a.v - b.v);
  if (order.some((x, i) => i > 0 && x.v === order[i - 1]!.v)) return null;
  const ends = ['-\\infty', ...order.map((x) => x.p), '\\infty'];
  return ends
    .slice(1)
    .map((end, i) => `(${ends[i]},${end})`)
    .join('\\cup');
}

/** An integer, a decimal or `\frac{p}{q}` with integers, optionally signed; null for anything else. */
function numberValue(t: string): number | null {
  const frac = /^(-?)\\frac\{(\d+)\}\{(\d+)\}$/.exec(t);
  if (frac) return (frac[1] ? -1 : 1) * (Number(frac[2]) / Number(frac[3]));
  return /^-?\d+(?:\.\d+)?$/.test(t) ? Number(t) : null;
}

/** `\{x \mid x > 3\}`, `\{x : x > 3\}`, `\{x \in \mathbb{R} | x > 3\}`: the condition. */
function setBuilder(s: string): string {
  const m =
    /^\\\{\s*([a-zA-Z])\s*(?:\\in\s*\\mathbb\s*\{?R\}?\s*)?(?:\\mid|\\vert|\||:)\s*(.+?)\s*\\\}$/.exec(s);
  if (!m) return s;
  const [, v, condition] = m as unknown as [string, string, string];
  // The condition must be about the variable the set is built from, and say nothing else.
  return new RegExp(`(?<![a-zA-Z\\\\])${v}(?![a-zA-Z])`).test(condition) && !/\\\{|\\\}/.test(condition)
    ? condition
    : s;
}

const BOUND = String.raw`-?(?:\d+(?:\.\d+)?|\\frac\{\d+\}\{\d+\})`;
const LESS = String.raw`<|\\le`;
const MORE = String.raw`>|\\ge`;

/**
 * `|x - c| < r` as `c - r < x < c + r`, `|x - c| \ge r` as `x \le c - r or x \ge c + r`, for a
 * positive r (and c = 0 when the bars hold the unknown alone).
 */
function absoluteValueInequality(s: string): string {
  const m = new RegExp(
    String.raw`^\|\s*([a-zA-Z])\s*(?:([+-])\s*(${BOUND.replace('-?', '')}))?\s*\|\s*(${LESS}|${MORE})\s*(${BOUND})$`,
  ).exec(s);
  if (!m) return s;
  const [, v, sign, shift, op, radius] = m as unknown as [
    string,
    string,
    string | undefined,
    string | undefined,
    string,
    string,
  ];
  const r = numberValue(radius.trim());
  if (r === null || r <= 0) return s;
  // |x - c|: centre c; |x + c|: centre -c.
  const centre = shift === undefined ? '0' : sign === '-' ? shift : `-${shift}`;
  const lo = `${centre} - ${radius}`;
  const hi = `${centre} + ${radius}`;
  const strict = op === '<' || op === '>';
  if (op === '<' || op === '\\le') {
    const rel = strict ? '<' : '\\le';
    return `${lo} ${rel} ${v} ${rel} ${hi}`;
  }
  return strict ? `${v} < ${lo} or ${v} > ${hi}` : `${v} \\le ${lo} or ${v} \\ge ${hi}`;
}

/** `x > 2 and x < 5` (either order, either way round) as `2 < x < 5`. */
function boundsJoinedByAnd(s: string): string {
  const parts = s.split(/\s+and\s+|\s*\\land\s*|\s*\\wedge\s*/);
  if (parts.length !== 2) return s;
  const bounds = parts.map(bound);
  const [a, b] = bounds;
  if (!a || !b || a.variable !== b.variable || a.lower === b.lower) return s;
  const [lower, upper] = a.lower ? [a, b] : [b, a];
  return `${lower.value} ${lower.op} ${a.variable} ${upper.op} ${upper.value}`;
}

interface Bound {
  variable: string;
  /** A lower bound (x > c) or an upper one (x < c). */
  lower: boolean;
  /** `<` or `\le`, as it reads in `lower < x < upper`. */
  op: string;
  value: string;
}

function bound(part: string): Bound | null {
  const varFirst = new RegExp(String.raw`^([a-zA-Z])\s*(${LESS}|${MORE})\s*(${BOUND})$`).exec(part.trim());
  if (varFirst) {
    const [, variable, op, value] = varFirst as unknown as [string, string, string, string];
    const lower = op === '>' || op === '\\ge';
    return { variable, lower, op: op === '>' || op === '<' ? '<' : '\\le', value };
  }
  const valueFirst = new RegExp(String.raw`^(${BOUND})\s*(${LESS}|${MORE})\s*([a-zA-Z])$`).exec(part.trim());
  if (valueFirst) {
    const [, value, op, variable] = valueFirst as unknown as [string, string, string, string];
    const lower = op === '<' || op === '\\le';
    return { variable, lower, op: op === '>' || op === '<' ? '<' : '\\le', value };
  }
  return null;
}
