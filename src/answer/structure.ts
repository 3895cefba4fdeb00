/**
 * Structure of a normalized answer: lists of solutions, tuples and intervals, sets, unions,
 * matrices, labelled values (`x = 3`), equations and inequalities. Leaves stay LaTeX strings for
 * the numeric and symbolic comparison. Parsing is purely syntactic and never consults the CAS.
 */
import { commandAt, isLetter, scanTopLevel, splitTopLevel, wholeGroup } from './latex.js';

export type AnswerNode =
  | { kind: 'expr'; latex: string; percent: boolean }
  | { kind: 'text'; text: string }
  /** Points, vectors and intervals: `(1,2)`, `[0,1)`. Brackets are kept; comparison is ordered. */
  | { kind: 'tuple'; open: '(' | '['; close: ')' | ']'; items: AnswerNode[] }
  /** `\{1, 2\}`: unordered, duplicates ignored. */
  | { kind: 'set'; items: AnswerNode[] }
  /**
   * A bare list of answers (`2, 3`, `1 and 2`, `\pm 7`): compared as a set of solutions.
   * `disjunction`: its items were joined by "or" only (`x < -1 or x > 4`).
   */
  | { kind: 'list'; items: AnswerNode[]; disjunction?: boolean }
  | { kind: 'union'; parts: AnswerNode[] }
  | { kind: 'matrix'; rows: AnswerNode[][]; latex: string }
  /** `label = value`: the value is the answer, the label is kept for records. */
  | { kind: 'assign'; label: string; value: AnswerNode }
  /** `p = 5, q = 2`: several distinct labels, one value each. */
  | { kind: 'record'; entries: Array<{ label: string; value: AnswerNode }> }
  /** An equation or inequality between expressions, with `>`/`\ge` turned around. */
  | { kind: 'relation'; op: RelOp; lhs: string; rhs: string };

export type RelOp = '=' | '<' | '\\le' | '\\neq';

/** Hard limits that keep parsing linear and bounded on hostile input. */
export const MAX_ITEMS = 64;
const MAX_DEPTH = 12;
const MAX_PM = 3;

const GREEK =
  'alpha|beta|gamma|delta|epsilon|varepsilon|zeta|eta|theta|vartheta|iota|kappa|lambda|mu|nu|xi|rho|sigma|tau|upsilon|phi|varphi|chi|psi|omega|Gamma|Delta|Theta|Lambda|Xi|Sigma|Phi|Psi|Omega|hbar|ell';
const SUB = String.raw`(?:\s*_\s*(?:\{[^{}]*\}|[A-Za-z0-9]))?`;
const ATOM = String.raw`(?:[A-Za-z]|\\(?:${GREEK})(?![A-Za-z]))${SUB}'*`;
const ARG = String.raw`(?:${ATOM}|-?\d+(?:\.\d+)?)`;
const LABEL_PATTERNS: RegExp[] = [
  new RegExp(`^${ATOM}$`),
  // Segment and angle names: AB, \angle ABC, m\angle A, \overline{AB}.
  /^[A-Z]{2,3}$/,
  /^(?:m\s*)?\\angle\s*[A-Z]{1,3}$/,
  /^\\overline\s*\{\s*[A-Z]{2}\s*\}$/,
  // A Greek letter applied to a symbol: \Delta p, \Delta x.
  new RegExp(String.raw`^\\(?:${GREEK})\s*[A-Za-z]${SUB}$`),
  // Word labels from \text{}: "Area", "Percent Loss".
  /^[A-Za-z]{3,}(?:\s+[A-Za-z]+){0,3}$/,
  // Function values: f(x), \Phi(x, y), n_{\gamma}(\nu), g(2).
  new RegExp(String.raw`^${ATOM}\s*\(\s*${ARG}(?:\s*,\s*${ARG})*\s*\)$`),
  // Tuples of unknowns: (p, q), (x, y, z).
  new RegExp(String.raw`^\(\s*${ATOM}(?:\s*,\s*${ATOM})+\s*\)$`),
  // Ratios and quotients of unknowns: A:B, S_{MBCN}:S, \frac{NO}{BO}.
  new RegExp(String.raw`^(?:${ATOM}\s*){1,4}:\s*(?:${ATOM}\s*){1,4}$`),
  new RegExp(String.raw`^\\frac\s*\{\s*(?:${ATOM}\s*){1,3}\}\s*\{\s*(?:${ATOM}\s*){1,3}\}$`),
];

/**
 * A label names the quantity an answer gives (`x`, `a_{n}`, `f(x)`, `(p,q)`, `A:B`), as opposed
 * to an expression that is part of the answer. `7 = 11a + c` has no label: it is an equation.
 */
export function isLabel(s: string): boolean {
  const t = s.trim();
  if (t.length === 0 || t.length > 60) return false;
  return LABEL_PATTERNS.some((re) => re.test(t));
}

/** `a_{3}` and `a_3` name the same thing. */
export function labelKey(label: string): string {
  return label.replace(/\s+/g, '').replace(/_\{([A-Za-z0-9])\}/g, '_$1');
}

function relationAt(s: string, i: number): { op: string; len: number } | null {
  const c = s[i];
  if (c === '=') return { op: '=', len: 1 };
  if (c === '<') return { op: '<', len: 1 };
  if (c === '>') return { op: '>', len: 1 };
  if (c === '\\') {
    const name = commandAt(s, i);
    switch (name) {
      case 'le':
      case 'ge':
      case 'neq':
      case 'approx':
      case 'in':
        return { op: `\\${name}`, len: name.length + 1 };
      default:
        return null;
    }
  }
  return null;
}

function connectorAt(s: string, i: number): number {
  const c = s[i];
  if (c === ',') return 1;
  if (
    (c === 'a' || c === 'o' || c === 'A' || c === 'O') &&
    (i === 0 || (!isLetter(s.charCodeAt(i - 1)) && s[i - 1] !== '\\'))
  ) {
    const word = c === 'a' || c === 'A' ? 'and' : 'or';
    if (s.substr(i, word.length).toLowerCase() === word) {
      const next = i + word.length;
      if (next >= s.length || !isLetter(s.charCodeAt(next))) return word.length;
    }
  }
  return 0;
}

function splitSemicolons(s: string): string[] {
  return splitTopLevel(s, (i) => (s[i] === ';' ? 1 : 0));
}

function splitCommas(s: string): string[] {
  return splitTopLevel(s, (i) => (s[i] === ',' ? 1 : 0));
}

/** Parse a normalized answer into its structure. */
export function parseAnswer(normalized: string): AnswerNode {
  return parseList(normalized, 0) ?? { kind: 'text', text: '' };
}

function parseList(s: string, depth: number): AnswerNode | null {
  if (depth > MAX_DEPTH) return leaf(s);
  const groups = splitSemicolons(s).filter((p) => p.trim() !== '');
  if (groups.length > 1) {
    const items = groups.map((g) => parseList(g, depth + 1)).filter((n): n is AnswerNode => n !== null);
    return items.length === 1 ? items[0]! : { kind: 'list', items: items.slice(0, MAX_ITEMS) };
  }
  const connectors: string[] = [];
  const parts = splitTopLevel(s, (i) => {
    const len = connectorAt(s, i);
    if (len > 0) connectors.push(s.substr(i, len).toLowerCase());
    return len;
  })
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (parts.length > MAX_ITEMS) return leaf(s);
  const items = parts.map((p) => parseItem(p, depth + 1)).filter((n): n is AnswerNode => n !== null);
  if (items.length === 0) return null;
  if (items.length === 1) return items[0]!;
  const combined = combineItems(items);
  if (combined.kind === 'list' && connectors.every((c) => c === 'or')) combined.disjunction = true;
  return combined;
}

/**
 * Labels across a list: `p = 5, q = 2` is a record, `x = 1, x = 2` and `x = 1, 2` are values
 * of one unknown, `(x, y) = (5, 8) and (8, 5)` is a list of points.
 */
function combineItems(items: AnswerNode[]): AnswerNode {
  const flat: AnswerNode[] = [];
  for (const it of items) {
    if (it.kind === 'list') flat.push(...it.items);
    else flat.push(it);
  }
  const assigns = flat.filter((n) => n.kind === 'assign');
  if (assigns.length === flat.length) {
    const keys = assigns.map((a) => labelKey(a.label));
    if (keys.every((k) => k === keys[0]))
      return {
        kind: 'assign',
        label: assigns[0]!.label,
        value: { kind: 'list', items: assigns.map((a) => a.value) },
      };
    if (new Set(keys).size === keys.length)
      return { kind: 'record', entries: assigns.map((a) => ({ label: a.label, value: a.value })) };
    return { kind: 'list', items: flat };
  }
  const first = flat[0]!;
  if (first.kind === 'assign' && assigns.length === 1) {
    const rest = flat.slice(1);
    const values = first.value.kind === 'list' ? [...first.value.items, ...rest] : [first.value, ...rest];
    return { kind: 'assign', label: first.label, value: { kind: 'list', items: values } };
  }
  return { kind: 'list', items: flat };
}

function trimItem(s: string): string {
  return s
    .trim()
    .replace(/^[.,;:]+|[.,;:]+$/g, '')
    .trim();
}

function parseItem(raw: string, depth: number): AnswerNode | null {
  const s = trimItem(raw);
  if (s === '') return null;
  if (depth > MAX_DEPTH) return leaf(s);

  const members: string[] = [];
  const ops: string[] = [];
  let start = 0;
  scanTopLevel(s, (i) => {
    const rel = relationAt(s, i);
    if (!rel) return 0;
    members.push(s.slice(start, i).trim());
    ops.push(rel.op);
    start = i + rel.len;
    return rel.len;
  });
  if (ops.length > 0) {
    members.push(s.slice(start).trim());
    return parseRelation(members, ops, s, depth);
  }

  const unionParts = splitTopLevel(s, (i) => (s[i] === '\\' && commandAt(s, i) === 'cup' ? 4 : 0));
  if (unionParts.length > 1) {
    const parts = unionParts.map((p) => parseItem(p, depth + 1)).filter((n): n is AnswerNode => n !== null);
    return parts.length === 1 ? parts[0]! : { kind: 'union', parts };
  }

  const mc = /^\(\s*([A-Ea-e])\s*\)$/.exec(s);
  if (mc) return { kind: 'text', text: mc[1]!.toUpperCase() };

  const group = wholeGroup(s);
  if (group) {
    if (group.open === '\\{') {
      const items = splitCommas(group.inner)
        .map((p) => parseItem(p, depth + 1))
        .filter((n): n is AnswerNode => n !== null);
      return {
        kind: 'set',
        items: items.flatMap((n) => (n.kind === 'list' ? n.items : [n])).slice(0, MAX_ITEMS),
      };
    }
    if (group.open === '{') return parseList(group.inner, depth + 1) ?? null;
    const inner = splitCommas(group.inner);
    if (inner.length >= 2) {
      const items = inner.map((p) => parseItem(p, depth + 1) ?? leaf(''));
      return {
        kind: 'tuple',
        open: group.open as '(' | '[',
        close: group.close as ')' | ']',
        items: items.slice(0, MAX_ITEMS),
      };
    }
    if (group.open === '(' && group.close === ')') return parseItem(group.inner, depth + 1);
    // `\left[\begin{array}..\end{array}\right]`: brackets drawn around a matrix.
    const wrapped = parseMatrix(group.inner.trim(), depth);
    if (wrapped) return wrapped;
  }

  const matrix = parseMatrix(s, depth);
  if (matrix) return matrix;

  if (/^[A-Za-z][A-Za-z'-]*(?:\s+[A-Za-z][A-Za-z'-]*)+$/.test(s)) return { kind: 'text', text: s };

  if (/\\(?:pm|mp)(?![a-zA-Z])/.test(s)) {
    const variants = expandPlusMinus(s);
    if (variants.length > 1) return { kind: 'list', items: variants.map((v) => leaf(v)) };
  }
  return leaf(s);
}

function leaf(s: string): AnswerNode {
  let latex = s.trim();
  let percent = false;
  if (/\\%$/.test(latex)) {
    percent = true;
    latex = latex.slice(0, -2).trim();
  }
  return { kind: 'expr', latex, percent };
}

const FLIP: Record<string, RelOp> = { '>': '<', '\\ge': '\\le' };

function parseRelation(members: string[], ops: string[], whole: string, depth: number): AnswerNode {
  if (members.some((m) => m === '')) return leaf(whole);
  const m0 = members[0]!;
  if (ops.length === 1 && ops[0] === '\\in') {
    const value = parseList(members[1]!, depth + 1);
    if (value && isLabel(m0)) return { kind: 'assign', label: m0, value };
    return leaf(whole);
  }
  if (ops.every((o) => o === '=' || o === '\\approx')) return parseEquality(members, ops, whole, depth);
  if (ops.every((o) => o === '<' || o === '\\le' || o === '>' || o === '\\ge' || o === '\\neq')) {
    if (members.length === 2) {
      const op = ops[0]!;
      const flipped = FLIP[op];
      if (flipped) return { kind: 'relation', op: flipped, lhs: members[1]!, rhs: m0 };
      return { kind: 'relation', op: op as RelOp, lhs: m0, rhs: members[1]! };
    }
    if (members.length === 3 && !ops.includes('\\neq')) {
      const [op1, op2] = ops as [string, string];
      const up = (o: string) => o === '<' || o === '\\le';
      if (up(op1) === up(op2)) {
        // `a < x \le b` is the interval (a, b]; `b > x > a` is the same interval written downward.
        const [lo, hi, loOp, hiOp] = up(op1)
          ? [members[0]!, members[2]!, op1, op2]
          : [members[2]!, members[0]!, op2, op1];
        return {
          kind: 'tuple',
          open: loOp === '<' || loOp === '>' ? '(' : '[',
          close: hiOp === '<' || hiOp === '>' ? ')' : ']',
          items: [parseItem(lo, depth + 1) ?? leaf(lo), parseItem(hi, depth + 1) ?? leaf(hi)],
        };
      }
    }
  }
  return leaf(whole);
}

/**
 * Equalities. `x = 3` is a labelled value. A chain of three or more members is a derivation
 * (`x = 5 + 6 = 11`): its last member is the answer, except that an `\approx` introduces a
 * rounded value, so `x = 1/3 \approx 0.33` answers 1/3. Two expressions (`x^2 + y^2 = 1`) make an
 * equation, compared as an equation.
 */
function parseEquality(members: string[], ops: string[], whole: string, depth: number): AnswerNode {
  const m0 = members[0]!;
  if (members.length === 2) {
    const m1 = members[1]!;
    if (isLabel(m0)) return { kind: 'assign', label: m0, value: parseList(m1, depth + 1) ?? leaf(m1) };
    if (ops[0] === '\\approx') return parseList(m0, depth + 1) ?? leaf(m0);
    if (isLabel(m1)) return { kind: 'assign', label: m1, value: parseList(m0, depth + 1) ?? leaf(m0) };
    return { kind: 'relation', op: '=', lhs: m0, rhs: m1 };
  }
  const labelled = isLabel(m0);
  const values = labelled ? members.slice(1) : members;
  const valueOps = labelled ? ops.slice(1) : ops;
  const approxAt = valueOps.indexOf('\\approx');
  const chosen = approxAt >= 0 ? values[approxAt]! : values[values.length - 1]!;
  if (chosen === undefined) return leaf(whole);
  const node = parseList(chosen, depth + 1) ?? leaf(chosen);
  return labelled ? { kind: 'assign', label: m0, value: node } : node;
}

const MATRIX_ENVS = /^\\begin\s*\{\s*(pmatrix|bmatrix|Bmatrix|matrix|smallmatrix|array)\s*\}/;

function parseMatrix(s: string, depth: number): AnswerNode | null {
  const m = MATRIX_ENVS.exec(s);
  if (!m) return null;
  const env = m[1]!;
  const endTag = new RegExp(String.raw`\\end\s*\{\s*${env}\s*\}$`);
  const end = endTag.exec(s);
  if (!end) return null;
  let body = s.slice(m[0].length, end.index);
  if (env === 'array') body = body.replace(/^\s*\{[^{}]*\}/, '');
  body = body.replace(/\\hline|\\cline\s*\{[^{}]*\}/g, ' ');
  // The body must be one environment: `\begin{pmatrix}..\end{pmatrix} + \begin{pmatrix}..` is not.
  let balanced = true;
  let level = 0;
  for (const tag of body.matchAll(/\\(begin|end)(?![a-zA-Z])/g)) {
    level += tag[1] === 'begin' ? 1 : -1;
    if (level < 0) balanced = false;
  }
  if (!balanced || level !== 0) return null;
  const rowStrings = splitTopLevel(body, (i) => (body[i] === '\\' && body[i + 1] === '\\' ? 2 : 0));
  const rows: AnswerNode[][] = [];
  for (const row of rowStrings) {
    if (row.trim() === '') continue;
    const cells = splitTopLevel(row, (i) => (row[i] === '&' ? 1 : 0));
    rows.push(cells.map((c) => parseItem(c, depth + 1) ?? leaf('')));
    if (rows.length > MAX_ITEMS) return null;
  }
  if (rows.length === 0) return null;
  return { kind: 'matrix', rows, latex: s };
}

/** `a \pm b` -> [a + b, a - b]; `\mp` takes the opposite sign of the first `\pm`. */
export function expandPlusMinus(s: string): string[] {
  const re = /\\(pm|mp)(?![a-zA-Z])/g;
  const found = [...s.matchAll(re)];
  const pmCount = found.filter((f) => f[1] === 'pm').length;
  const free = Math.max(pmCount, found.length > 0 ? 1 : 0);
  if (free > MAX_PM) return [s];
  const out: string[] = [];
  for (let mask = 0; mask < 1 << free; mask++) {
    let k = 0;
    let firstSign = '';
    const variant = s.replace(re, (_m, which: string) => {
      let sign: string;
      if (which === 'pm' || pmCount === 0) {
        sign = (mask >> k) & 1 ? '-' : '+';
        k++;
        if (firstSign === '') firstSign = sign;
      } else sign = firstSign === '-' || (firstSign === '' && mask & 1) ? '+' : '-';
      return sign;
    });
    out.push(variant);
  }
  return out;
}
