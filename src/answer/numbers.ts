/**
 * Exact rational numbers on BigInt, and the fast parser for numeric answer literals. Most answers
 * are numbers (all of GSM8K, most of MATH), so this path decides the bulk of checks without the
 * CAS, and decides them exactly: `0.1 + 0.2` style float error can never flip a verdict.
 */

export interface Rat {
  readonly n: bigint;
  /** Always > 0; n/d is in lowest terms. */
  readonly d: bigint;
}

function bigAbs(x: bigint): bigint {
  return x < 0n ? -x : x;
}

function gcd(a: bigint, b: bigint): bigint {
  let x = bigAbs(a);
  let y = bigAbs(b);
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

export function rat(n: bigint, d = 1n): Rat {
  if (d === 0n) throw new RangeError('zero denominator');
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  const g = gcd(n, d);
  return g > 1n ? { n: n / g, d: d / g } : { n, d };
}

export const ZERO: Rat = { n: 0n, d: 1n };
export const ONE: Rat = { n: 1n, d: 1n };

export const add = (a: Rat, b: Rat): Rat => rat(a.n * b.d + b.n * a.d, a.d * b.d);
export const sub = (a: Rat, b: Rat): Rat => rat(a.n * b.d - b.n * a.d, a.d * b.d);
export const mul = (a: Rat, b: Rat): Rat => rat(a.n * b.n, a.d * b.d);
export const neg = (a: Rat): Rat => ({ n: -a.n, d: a.d });
export const ratEq = (a: Rat, b: Rat): boolean => a.n === b.n && a.d === b.d;
export const isInt = (a: Rat): boolean => a.d === 1n;

export function div(a: Rat, b: Rat): Rat | null {
  if (b.n === 0n) return null;
  return rat(a.n * b.d, a.d * b.n);
}

/** Number of binary digits, to refuse results that would take unbounded time or memory. */
export function bitLength(x: bigint): number {
  return bigAbs(x).toString(16).length * 4;
}

/** Integer power; null when the result would exceed `maxBits` (a guard against `9^{9^9}`). */
export function pow(a: Rat, e: bigint, maxBits = 20_000): Rat | null {
  if (e === 0n) return ONE;
  if (e < 0n) {
    if (a.n === 0n) return null;
    const p = pow(a, -e, maxBits);
    return p ? rat(p.d, p.n) : null;
  }
  const bits = Math.max(bitLength(a.n), bitLength(a.d));
  if (bits > 1 && Number(e) * bits > maxBits) return null;
  if (bits <= 1 && bigAbs(a.n) <= 1n && a.d === 1n) return rat(e % 2n === 0n ? bigAbs(a.n) : a.n);
  return rat(a.n ** e, a.d ** e);
}

/** Exact k-th root when it exists (`\sqrt{9/4}` -> 3/2), else null. */
export function root(a: Rat, k: number): Rat | null {
  if (k < 1 || k > 64) return null;
  if (a.n < 0n) {
    if (k % 2 === 0) return null;
    const r = root(neg(a), k);
    return r ? neg(r) : null;
  }
  const rn = intRoot(a.n, k);
  const rd = intRoot(a.d, k);
  return rn !== null && rd !== null ? rat(rn, rd) : null;
}

function intRoot(x: bigint, k: number): bigint | null {
  if (x < 2n) return x;
  if (bitLength(x) > 4000) return null;
  const kb = BigInt(k);
  // Newton's iteration from an over-estimate converges to floor(x^(1/k)).
  let r = 1n << BigInt(Math.ceil(bitLength(x) / k) + 1);
  for (;;) {
    const next = ((kb - 1n) * r + x / r ** (kb - 1n)) / kb;
    if (next >= r) break;
    r = next;
  }
  return r ** kb === x ? r : null;
}

export function toNumber(a: Rat): number {
  const n = Number(a.n);
  const d = Number(a.d);
  if (Number.isFinite(n) && Number.isFinite(d)) return n / d;
  // Scale both down so that their ratio survives the conversion to doubles.
  const shift = BigInt(Math.max(bitLength(a.n), bitLength(a.d)) - 1000);
  return Number(a.n >> shift) / Number(a.d >> shift);
}

/** True when n/d has a finite decimal expansion (the denominator has no prime other than 2, 5). */
export function isTerminating(a: Rat): boolean {
  let d = a.d;
  while (d % 2n === 0n) d /= 2n;
  while (d % 5n === 0n) d /= 5n;
  return d === 1n;
}

/** Parse `-12.50`, `.4`, `1e-3`, `007` exactly. */
export function ratFromDecimal(text: string): Rat | null {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m) return null;
  const intPart = m[2] ?? '';
  const frac = m[3] ?? '';
  if (intPart === '' && frac === '') return null;
  const exp = m[4] ? Number(m[4]) : 0;
  if (Math.abs(exp) > 400 || intPart.length + frac.length > 400) return null;
  let n = BigInt((intPart || '0') + frac);
  let d = 10n ** BigInt(frac.length);
  if (exp > 0) n *= 10n ** BigInt(exp);
  else if (exp < 0) d *= 10n ** BigInt(-exp);
  if (m[1] === '-') n = -n;
  return rat(n, d);
}

export type NumberForm = 'integer' | 'decimal' | 'fraction' | 'mixed' | 'scientific';

export interface NumberLiteral {
  value: Rat;
  form: NumberForm;
  /** Digits after the decimal point, for `decimal` and `scientific` literals. */
  decimals: number;
  /** Significant digits as written, for `decimal` literals (`0.0450` has 3). */
  significant: number;
}

const INT = String.raw`[+-]?\d+`;
const DEC = String.raw`[+-]?(?:\d+\.\d*|\.\d+)`;
const RE_INTEGER = new RegExp(`^${INT}$`);
const RE_DECIMAL = new RegExp(`^${DEC}$`);
const RE_SCIENTIFIC =
  /^([+-]?(?:\d+\.?\d*|\.\d+))(?:[eE]([+-]?\d+)|\s*(?:\\times|\\cdot|\*|×)\s*10\s*\^\s*(?:\{\s*([+-]?\d+)\s*\}|([+-]?\d)))$/;
const RE_FRAC = new RegExp(
  String.raw`^([+-]?)\s*\\frac\s*\{\s*(${INT}|${DEC})\s*\}\s*\{\s*(${INT}|${DEC})\s*\}$`,
);
const RE_SLASH = new RegExp(String.raw`^(${INT}|${DEC})\s*/\s*(${INT}|${DEC})$`);
const RE_MIXED = /^([+-]?)(\d+)\s*\\frac\s*\{\s*(\d+)\s*\}\s*\{\s*(\d+)\s*\}$/;

function significantDigits(literal: string): number {
  const digits = literal.replace(/[^0-9]/g, '').replace(/^0+/, '');
  return digits.length;
}

function decimalsOf(literal: string): number {
  const dot = literal.indexOf('.');
  return dot < 0 ? 0 : literal.length - dot - 1;
}

/**
 * Parse a normalized answer that is a plain number: integer, decimal, `a/b`, `\frac{a}{b}`,
 * mixed number `12\frac{3}{5}` (= 63/5, the MATH convention) or scientific notation. Returns
 * null for anything else, leaving it to the structural and symbolic comparison.
 */
export function parseNumberLiteral(text: string): NumberLiteral | null {
  const s = text.trim();
  if (s.length === 0 || s.length > 420) return null;
  if (RE_INTEGER.test(s)) {
    const value = ratFromDecimal(s);
    return value && { value, form: 'integer', decimals: 0, significant: significantDigits(s) };
  }
  if (RE_DECIMAL.test(s)) {
    const value = ratFromDecimal(s);
    return value && { value, form: 'decimal', decimals: decimalsOf(s), significant: significantDigits(s) };
  }
  let m = RE_FRAC.exec(s);
  if (m) {
    const num = ratFromDecimal(m[2]!);
    const den = ratFromDecimal(m[3]!);
    const q = num && den ? div(num, den) : null;
    if (!q) return null;
    return { value: m[1] === '-' ? neg(q) : q, form: 'fraction', decimals: 0, significant: 0 };
  }
  m = RE_SLASH.exec(s);
  if (m) {
    const num = ratFromDecimal(m[1]!);
    const den = ratFromDecimal(m[2]!);
    const q = num && den ? div(num, den) : null;
    return q && { value: q, form: 'fraction', decimals: 0, significant: 0 };
  }
  m = RE_MIXED.exec(s);
  if (m) {
    const whole = BigInt(m[2]!);
    const num = BigInt(m[3]!);
    const den = BigInt(m[4]!);
    // Only a proper fraction makes a mixed number; `2\frac{4}{2}` is a product.
    if (den === 0n || num >= den) return null;
    const q = rat(whole * den + num, den);
    return { value: m[1] === '-' ? neg(q) : q, form: 'mixed', decimals: 0, significant: 0 };
  }
  m = RE_SCIENTIFIC.exec(s);
  if (m) {
    const mantissa = m[1]!;
    const exp = m[2] ?? m[3] ?? m[4] ?? '0';
    const value = ratFromDecimal(`${mantissa}e${exp}`);
    if (!value) return null;
    const decimals = Math.max(0, decimalsOf(mantissa) - Number(exp));
    return { value, form: 'scientific', decimals, significant: significantDigits(mantissa) };
  }
  return null;
}

/**
 * Minimum significant digits for a decimal to count as an approximation of a value it does not
 * equal exactly. `0.33` for 1/3 is a different answer; `0.333` is 1/3 to three places.
 */
export const MIN_APPROX_SIGNIFICANT = 3;

/**
 * The rounding policy for a decimal written by a solver (or a reference) against an exact value
 * that has no finite decimal expansion (1/3, pi, sqrt 2): the decimal matches when it is that
 * value rounded or truncated to the decimal's own number of places and carries at least
 * `MIN_APPROX_SIGNIFICANT` significant digits.
 */
export function decimalApproximates(
  decimal: { value: number; decimals: number; significant: number },
  exact: number,
): boolean {
  if (!Number.isFinite(exact) || decimal.significant < MIN_APPROX_SIGNIFICANT) return false;
  if (decimal.decimals > 15) return Math.abs(decimal.value - exact) <= 1e-12 * Math.max(1, Math.abs(exact));
  const scale = 10 ** decimal.decimals;
  const ulp = 1 / scale;
  const rounded = Math.round(exact * scale) / scale;
  const truncated = Math.trunc(exact * scale) / scale;
  const slack = ulp * 1e-6 + Math.abs(exact) * 1e-12;
  return Math.abs(decimal.value - rounded) <= slack || Math.abs(decimal.value - truncated) <= slack;
}
