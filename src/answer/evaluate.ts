/**
 * Evaluation of MathJSON (as produced by the Compute Engine's non-canonical parser) in two modes:
 * exact, on BigInt rationals, for constant arithmetic (`(9+1)`, `2^{10}`, `\frac{28}{100}\cdot 50`);
 * and complex floating point at given values of the free symbols, for random-point identity
 * tests. Evaluating ourselves keeps the CAS engine stateless (its canonical parser declares
 * symbols as it meets them) and turns each point into microseconds instead of milliseconds.
 */
import * as Q from './numbers.js';

export type Json = unknown;

export interface Complex {
  re: number;
  im: number;
}

const c = (re: number, im = 0): Complex => ({ re, im });
const NAN = c(Number.NaN);

const CONSTANTS: Record<string, Complex> = {
  Pi: c(Math.PI),
  ExponentialE: c(Math.E),
  e: c(Math.E),
  i: c(0, 1),
  ImaginaryUnit: c(0, 1),
  PositiveInfinity: c(Number.POSITIVE_INFINITY),
  NegativeInfinity: c(Number.NEGATIVE_INFINITY),
  GoldenRatio: c((1 + Math.sqrt(5)) / 2),
};

export function isConstantSymbol(name: string): boolean {
  return name in CONSTANTS;
}

/** Heads whose presence means the expression is not a scalar we can evaluate. */
const OPAQUE = new Set([
  'Error',
  'List',
  'Matrix',
  'Set',
  'Interval',
  'Tuple',
  'Equal',
  'Less',
  'LessEqual',
  'Greater',
  'GreaterEqual',
  'NotEqual',
  'Integrate',
  'D',
  'Limit',
  'LatexString',
]);

export interface EvalScope {
  vars: Map<string, Complex>;
  /** Symbols used only as `f(...)`: applied as uninterpreted functions, not multiplied. */
  functions: ReadonlySet<string>;
  /**
   * Evaluate over the reals: any value that is not real (an even root or a logarithm of a
   * negative, a principal power like (-8)^{2/3}) is NaN, as outside the expression's domain.
   */
  realOnly?: boolean;
  /** When set, the largest magnitude among the terms of every sum and difference is kept here. */
  terms?: { max: number };
}

const isArr = (x: Json): x is Json[] => Array.isArray(x);

function headOf(x: Json): string | null {
  return isArr(x) && typeof x[0] === 'string' ? x[0] : null;
}

/** Symbols of an expression, split into plain occurrences and `f(...)`-style applications. */
export function collectSymbols(x: Json, plain: Set<string>, applied: Set<string>): void {
  if (typeof x === 'string') {
    if (!x.startsWith("'")) plain.add(x);
    return;
  }
  if (!isArr(x)) return;
  const head = headOf(x);
  const args = x.slice(1);
  if (head === 'InvisibleOperator') {
    for (let k = 0; k < args.length; k++) {
      const a = args[k];
      if (typeof a === 'string' && headOf(args[k + 1]) === 'Delimiter' && !isConstantSymbol(a)) {
        applied.add(a);
        collectSymbols(args[k + 1], plain, applied);
        k++;
      } else collectSymbols(a, plain, applied);
    }
    return;
  }
  if (head === 'Subscript' && typeof args[0] === 'string') {
    applied.add(`${args[0]}_`);
    for (const a of args.slice(1)) collectSymbols(a, plain, applied);
    return;
  }
  if (head === 'Delimiter') {
    collectSymbols(args[0], plain, applied);
    return;
  }
  for (const a of args) collectSymbols(a, plain, applied);
}

// ---------------------------------------------------------------- exact evaluation

function exactNumber(x: Json): Q.Rat | null {
  if (typeof x === 'number') {
    if (!Number.isFinite(x)) return null;
    if (Number.isInteger(x) && Math.abs(x) < 2 ** 53) return Q.rat(BigInt(x));
    return Q.ratFromDecimal(String(x));
  }
  if (x && typeof x === 'object' && !isArr(x) && 'num' in x) {
    const num = (x as { num: unknown }).num;
    return typeof num === 'string' ? Q.ratFromDecimal(num.replace(/\.\.\.$/, '')) : null;
  }
  return null;
}

const MAX_BITS = 60_000;

function bounded(r: Q.Rat | null): Q.Rat | null {
  if (!r) return null;
  return Q.bitLength(r.n) + Q.bitLength(r.d) > MAX_BITS ? null : r;
}

function exactInt(x: Json): bigint | null {
  const r = exactValue(x);
  return r && Q.isInt(r) ? r.n : null;
}

/** Exact rational value of a constant expression, or null when it is not rational arithmetic. */
export function exactValue(x: Json): Q.Rat | null {
  const n = exactNumber(x);
  if (n || typeof x !== 'object' || !isArr(x)) return n;
  const head = headOf(x);
  const args = x.slice(1);
  switch (head) {
    case 'Add': {
      let acc = Q.ZERO;
      for (const a of args) {
        const v = exactValue(a);
        if (!v) return null;
        acc = Q.add(acc, v);
      }
      return bounded(acc);
    }
    case 'Subtract': {
      if (args.length === 1) return negate(exactValue(args[0]));
      let acc = exactValue(args[0]);
      for (const a of args.slice(1)) {
        const v = exactValue(a);
        if (!acc || !v) return null;
        acc = Q.sub(acc, v);
      }
      return bounded(acc);
    }
    case 'Negate':
      return negate(exactValue(args[0]));
    case 'Multiply':
      return product(args);
    case 'InvisibleOperator': {
      // `12\frac{3}{5}` is a mixed number (MATH convention), as in the Compute Engine's own reading.
      if (
        args.length === 2 &&
        typeof args[0] === 'number' &&
        Number.isInteger(args[0]) &&
        headOf(args[1]) === 'Divide'
      ) {
        const whole = exactValue(args[0]);
        const frac = exactValue(args[1]);
        if (whole && frac && frac.n >= 0n && frac.n < frac.d && args[0] >= 0) return Q.add(whole, frac);
      }
      if (args.some((a) => typeof a === 'string')) return null;
      return product(args);
    }
    case 'Divide':
    case 'Rational': {
      const a = exactValue(args[0]);
      const b = exactValue(args[1]);
      return a && b ? bounded(Q.div(a, b)) : null;
    }
    case 'Power': {
      const base = exactValue(args[0]);
      const e = exactValue(args[1]);
      if (!base || !e) return null;
      if (Q.isInt(e)) return bounded(Q.pow(base, e.n));
      // Rational exponents are exact only for perfect powers: 8^{2/3} = 4.
      if (e.d <= 64n) {
        const r = Q.root(base, Number(e.d));
        return r ? bounded(Q.pow(r, e.n)) : null;
      }
      return null;
    }
    case 'Sqrt': {
      const a = exactValue(args[0]);
      return a ? Q.root(a, 2) : null;
    }
    case 'Root': {
      const a = exactValue(args[0]);
      const k = exactInt(args[1]);
      return a && k !== null && k > 0n && k <= 64n ? Q.root(a, Number(k)) : null;
    }
    case 'Delimiter':
      return args.length >= 1 && headOf(args[0]) !== 'Sequence' ? exactValue(args[0]) : null;
    case 'Abs': {
      const a = exactValue(args[0]);
      return a ? (a.n < 0n ? Q.neg(a) : a) : null;
    }
    case 'Factorial': {
      const k = exactInt(args[0]);
      if (k === null || k < 0n || k > 2000n) return null;
      let acc = 1n;
      for (let j = 2n; j <= k; j++) acc *= j;
      return Q.rat(acc);
    }
    case 'Binomial': {
      const nn = exactInt(args[0]);
      const kk = exactInt(args[1]);
      if (nn === null || kk === null || nn < 0n || nn > 5000n) return null;
      if (kk < 0n || kk > nn) return Q.ZERO;
      let acc = 1n;
      for (let j = 1n; j <= kk; j++) acc = (acc * (nn - kk + j)) / j;
      return Q.rat(acc);
    }
    case 'Floor':
    case 'Ceil': {
      const a = exactValue(args[0]);
      if (!a) return null;
      let q = a.n / a.d;
      if (head === 'Floor' && a.n < 0n && q * a.d !== a.n) q -= 1n;
      if (head === 'Ceil' && a.n > 0n && q * a.d !== a.n) q += 1n;
      return Q.rat(q);
    }
    case 'GCD':
    case 'LCM': {
      const vals = args.map(exactInt);
      if (vals.some((v) => v === null) || vals.length === 0) return null;
      let acc = vals[0]!;
      for (const v of vals.slice(1)) {
        const g = bigGcd(acc!, v!);
        acc = head === 'GCD' ? g : g === 0n ? 0n : (acc! / g) * v!;
      }
      return Q.rat(acc! < 0n ? -acc! : acc!);
    }
    case 'Mod': {
      const a = exactInt(args[0]);
      const m = exactInt(args[1]);
      if (a === null || m === null || m === 0n) return null;
      return Q.rat(((a % m) + m) % m);
    }
    default:
      return null;
  }
}

function bigGcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

function negate(v: Q.Rat | null): Q.Rat | null {
  return v ? Q.neg(v) : null;
}

function product(args: Json[]): Q.Rat | null {
  let acc = Q.ONE;
  for (const a of args) {
    const v = exactValue(a);
    if (!v) return null;
    acc = Q.mul(acc, v);
    if (Q.bitLength(acc.n) + Q.bitLength(acc.d) > MAX_BITS) return null;
  }
  return acc;
}

// ---------------------------------------------------------------- complex arithmetic

const cadd = (a: Complex, b: Complex): Complex => c(a.re + b.re, a.im + b.im);
const csub = (a: Complex, b: Complex): Complex => c(a.re - b.re, a.im - b.im);
const cmul = (a: Complex, b: Complex): Complex =>
  a.im === 0 && b.im === 0 ? c(a.re * b.re) : c(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re);

function cdiv(a: Complex, b: Complex): Complex {
  if (a.im === 0 && b.im === 0) return c(a.re / b.re);
  const d = b.re * b.re + b.im * b.im;
  return c((a.re * b.re + a.im * b.im) / d, (a.im * b.re - a.re * b.im) / d);
}

const cabs = (a: Complex): number => (a.im === 0 ? Math.abs(a.re) : Math.hypot(a.re, a.im));

function cexp(a: Complex): Complex {
  if (a.im === 0) return c(Math.exp(a.re));
  const m = Math.exp(a.re);
  return c(m * Math.cos(a.im), m * Math.sin(a.im));
}

function clog(a: Complex): Complex {
  if (a.im === 0 && a.re > 0) return c(Math.log(a.re));
  return c(Math.log(cabs(a)), Math.atan2(a.im, a.re));
}

function cpow(a: Complex, b: Complex): Complex {
  if (a.im === 0 && b.im === 0 && (a.re >= 0 || Number.isInteger(b.re))) return c(a.re ** b.re);
  if (a.re === 0 && a.im === 0) return b.re > 0 ? c(0) : NAN;
  if (b.im === 0 && Number.isInteger(b.re) && Math.abs(b.re) <= 64) {
    let acc = c(1);
    const base = b.re < 0 ? cdiv(c(1), a) : a;
    for (let k = 0; k < Math.abs(b.re); k++) acc = cmul(acc, base);
    return acc;
  }
  return cexp(cmul(b, clog(a)));
}

function csqrt(a: Complex): Complex {
  if (a.im === 0) return a.re >= 0 ? c(Math.sqrt(a.re)) : c(0, Math.sqrt(-a.re));
  const m = cabs(a);
  const re = Math.sqrt((m + a.re) / 2);
  const im = Math.sign(a.im) * Math.sqrt((m - a.re) / 2);
  return c(re, im);
}

function csin(a: Complex): Complex {
  if (a.im === 0) return c(Math.sin(a.re));
  return c(Math.sin(a.re) * Math.cosh(a.im), Math.cos(a.re) * Math.sinh(a.im));
}

function ccos(a: Complex): Complex {
  if (a.im === 0) return c(Math.cos(a.re));
  return c(Math.cos(a.re) * Math.cosh(a.im), -Math.sin(a.re) * Math.sinh(a.im));
}

/** Real-only functions: complex arguments make the point unusable (NaN), not wrong. */
function real(a: Complex, f: (x: number) => number): Complex {
  return a.im === 0 ? c(f(a.re)) : NAN;
}

function gammaReal(x: number): number {
  if (x < 0.5) return Math.PI / (Math.sin(Math.PI * x) * gammaReal(1 - x));
  // Lanczos approximation, g = 7.
  const g = [
    0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406,
    12.507343278686905, -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7,
  ];
  const z = x - 1;
  let a = g[0]!;
  const t = z + 7.5;
  for (let k = 1; k < 9; k++) a += g[k]! / (z + k);
  return Math.sqrt(2 * Math.PI) * t ** (z + 0.5) * Math.exp(-t) * a;
}

function hashString(s: string): number {
  let h = 2166136261;
  for (let k = 0; k < s.length; k++) {
    h ^= s.charCodeAt(k);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

/**
 * A fixed, smooth, name-dependent function standing for an unknown `f`: `f(x)` and `f(y)` take
 * different values at random points, while `f(x+1)` and `f(1+x)` agree.
 */
function uninterpreted(name: string, args: Complex[]): Complex {
  const h = hashString(name);
  let acc = c(0.25 + (h % 1000) / 1000);
  for (let k = 0; k < args.length; k++) {
    const w = 0.6 + ((h >>> (k * 4)) % 89) / 89;
    const a = args[k]!;
    acc = cadd(acc, cadd(csin(cmul(a, c(w))), cmul(a, c(0.3 + 0.1 * k))));
  }
  return acc;
}

const UNARY: Record<string, (a: Complex) => Complex> = {
  Sin: csin,
  Cos: ccos,
  Tan: (a) => cdiv(csin(a), ccos(a)),
  Sec: (a) => cdiv(c(1), ccos(a)),
  Csc: (a) => cdiv(c(1), csin(a)),
  Cot: (a) => cdiv(ccos(a), csin(a)),
  Arcsin: (a) => real(a, Math.asin),
  Arccos: (a) => real(a, Math.acos),
  Arctan: (a) => real(a, Math.atan),
  Arccot: (a) => real(a, (x) => Math.atan(1 / x)),
  Arcsec: (a) => real(a, (x) => Math.acos(1 / x)),
  Arccsc: (a) => real(a, (x) => Math.asin(1 / x)),
  Sinh: (a) => real(a, Math.sinh),
  Cosh: (a) => real(a, Math.cosh),
  Tanh: (a) => real(a, Math.tanh),
  Arsinh: (a) => real(a, Math.asinh),
  Arcosh: (a) => real(a, Math.acosh),
  Artanh: (a) => real(a, Math.atanh),
  Exp: cexp,
  Ln: clog,
  Lb: (a) => cdiv(clog(a), c(Math.LN2)),
  Lg: (a) => cdiv(clog(a), c(Math.LN10)),
  Sqrt: csqrt,
  Abs: (a) => c(cabs(a)),
  Negate: (a) => c(-a.re, -a.im),
  Floor: (a) => real(a, Math.floor),
  Ceil: (a) => real(a, Math.ceil),
  Round: (a) => real(a, Math.round),
  Sign: (a) => real(a, Math.sign),
  Degrees: (a) => cmul(a, c(Math.PI / 180)),
  Conjugate: (a) => c(a.re, -a.im),
  Re: (a) => c(a.re),
  Im: (a) => c(a.im),
  Factorial: (a) =>
    real(a, (x) => (x < 0 && Number.isInteger(x) ? Number.NaN : x > 171 ? Infinity : gammaReal(x + 1))),
  Gamma: (a) => real(a, (x) => (x > 171 ? Infinity : gammaReal(x))),
};

const INVERSE: Record<string, string> = {
  Sin: 'Arcsin',
  Cos: 'Arccos',
  Tan: 'Arctan',
  Cot: 'Arccot',
  Sec: 'Arcsec',
  Csc: 'Arccsc',
  Sinh: 'Arsinh',
  Cosh: 'Arcosh',
  Tanh: 'Artanh',
};

const MAX_TERMS = 2000;

/** Complex value of `x` with the scope's symbol values; null when `x` is not a scalar we know. */
export function complexValue(x: Json, scope: EvalScope): Complex | null {
  const v = complexValueOf(x, scope);
  if (scope.realOnly && v && v.im !== 0 && Math.abs(v.im) > 1e-12 * Math.max(1, Math.abs(v.re))) return NAN;
  return v;
}

function complexValueOf(x: Json, scope: EvalScope): Complex | null {
  if (typeof x === 'number') return c(x);
  if (typeof x === 'string') {
    const bound = scope.vars.get(x);
    if (bound) return bound;
    return CONSTANTS[x] ?? null;
  }
  if (!isArr(x)) {
    const r = exactNumber(x);
    if (r) return c(Q.toNumber(r));
    const num = (x as { num?: unknown } | null)?.num;
    if (num === '+Infinity') return c(Number.POSITIVE_INFINITY);
    if (num === '-Infinity') return c(Number.NEGATIVE_INFINITY);
    return null;
  }
  const head = headOf(x);
  if (head === null || OPAQUE.has(head)) return null;
  const args = x.slice(1);
  const val = (a: Json) => complexValue(a, scope);
  switch (head) {
    case 'Add': {
      const terms = scope.terms;
      if (!terms) return fold(args, scope, cadd, c(0));
      let acc = c(0);
      for (const a of args) {
        const v = val(a);
        if (!v) return null;
        terms.max = Math.max(terms.max, cabs(v));
        acc = cadd(acc, v);
      }
      return acc;
    }
    case 'Multiply':
      return fold(args, scope, cmul, c(1));
    case 'Subtract': {
      if (args.length === 1) return map1(val(args[0]), (a) => c(-a.re, -a.im));
      const first = val(args[0]);
      if (!first) return null;
      let acc = first;
      if (scope.terms) scope.terms.max = Math.max(scope.terms.max, cabs(first));
      for (const a of args.slice(1)) {
        const v = val(a);
        if (!v) return null;
        if (scope.terms) scope.terms.max = Math.max(scope.terms.max, cabs(v));
        acc = csub(acc, v);
      }
      return acc;
    }
    case 'Divide':
    case 'Rational': {
      const a = val(args[0]);
      const b = val(args[1]);
      return a && b ? cdiv(a, b) : null;
    }
    case 'Power': {
      const a = val(args[0]);
      const b = val(args[1]);
      return a && b ? cpow(a, b) : null;
    }
    case 'Root': {
      const a = val(args[0]);
      const k = val(args[1]);
      if (!a || !k) return null;
      // An odd root of a negative real is the real root: \sqrt[3]{-8} = -2.
      if (a.im === 0 && a.re < 0 && k.im === 0 && Number.isInteger(k.re) && k.re % 2 !== 0) {
        return c(-((-a.re) ** (1 / k.re)));
      }
      return cpow(a, cdiv(c(1), k));
    }
    case 'Log': {
      const a = val(args[0]);
      if (!a) return null;
      const base = args.length > 1 ? val(args[1]) : c(10);
      return base ? cdiv(clog(a), clog(base)) : null;
    }
    case 'Complex': {
      const re = val(args[0]);
      const im = val(args[1]);
      return re && im ? c(re.re, im.re) : null;
    }
    case 'Delimiter': {
      const inner = args[0];
      if (headOf(inner) === 'Sequence') {
        const items = (inner as Json[]).slice(1);
        return items.length === 1 ? val(items[0]) : null;
      }
      return inner === undefined ? null : val(inner);
    }
    case 'Sequence':
      return args.length === 1 ? val(args[0]) : null;
    case 'InvisibleOperator':
      return invisible(args, scope);
    case 'Subscript': {
      if (typeof args[0] !== 'string') return null;
      const sub = args.slice(1).map(val);
      if (sub.some((v) => v === null)) return null;
      return uninterpreted(`${args[0]}_`, sub as Complex[]);
    }
    case 'Apply': {
      const f = args[0];
      if (headOf(f) === 'InverseFunction' && isArr(f) && typeof f[1] === 'string') {
        const inv = INVERSE[f[1]];
        const fn = inv ? UNARY[inv] : undefined;
        const a = val(args[1]);
        return fn && a ? fn(a) : null;
      }
      return null;
    }
    case 'Binomial': {
      const n = val(args[0]);
      const k = val(args[1]);
      if (!n || !k || n.im !== 0 || k.im !== 0) return null;
      return c(gammaReal(n.re + 1) / (gammaReal(k.re + 1) * gammaReal(n.re - k.re + 1)));
    }
    case 'Max':
    case 'Min': {
      const vs = args.map(val);
      if (vs.some((v) => v?.im !== 0)) return null;
      const nums = (vs as Complex[]).map((v) => v.re);
      return c(head === 'Max' ? Math.max(...nums) : Math.min(...nums));
    }
    case 'Mod': {
      const a = val(args[0]);
      const m = val(args[1]);
      if (!a || !m || a.im !== 0 || m.im !== 0 || m.re === 0) return null;
      return c(((a.re % m.re) + m.re) % m.re);
    }
    case 'GCD':
    case 'LCM': {
      const r = exactValue(x);
      return r ? c(Q.toNumber(r)) : null;
    }
    case 'Sum':
    case 'Product':
      return bigOperator(head, args, scope);
    default: {
      const fn = UNARY[head];
      if (fn && args.length === 1) {
        const a = val(args[0]);
        return a ? fn(a) : null;
      }
      return null;
    }
  }
}

function map1(a: Complex | null, f: (a: Complex) => Complex): Complex | null {
  return a ? f(a) : null;
}

function fold(
  args: Json[],
  scope: EvalScope,
  op: (a: Complex, b: Complex) => Complex,
  init: Complex,
): Complex | null {
  let acc = init;
  for (const a of args) {
    const v = complexValue(a, scope);
    if (!v) return null;
    acc = op(acc, v);
  }
  return acc;
}

/**
 * Juxtaposition: multiplication, except `f(x)` for a symbol only ever used that way, and mixed
 * numbers `12\frac{3}{5}`.
 */
function invisible(args: Json[], scope: EvalScope): Complex | null {
  if (
    args.length === 2 &&
    typeof args[0] === 'number' &&
    Number.isInteger(args[0]) &&
    args[0] >= 0 &&
    headOf(args[1]) === 'Divide'
  ) {
    const frac = exactValue(args[1]);
    if (frac && frac.n >= 0n && frac.n < frac.d) return c(args[0] + Q.toNumber(frac));
  }
  let acc = c(1);
  for (let k = 0; k < args.length; k++) {
    const a = args[k];
    const next = args[k + 1];
    if (typeof a === 'string' && scope.functions.has(a) && headOf(next) === 'Delimiter') {
      const inner = (next as Json[])[1];
      const items =
        headOf(inner) === 'Sequence' ? (inner as Json[]).slice(1) : inner === undefined ? [] : [inner];
      const vals = items.map((it) => complexValue(it, scope));
      if (vals.some((v) => v === null)) return null;
      acc = cmul(
        acc,
        UNARY[a] && vals.length === 1 ? UNARY[a](vals[0]!) : uninterpreted(a, vals as Complex[]),
      );
      k++;
      continue;
    }
    const v = complexValue(a, scope);
    if (!v) return null;
    acc = cmul(acc, v);
  }
  return acc;
}

function bigOperator(head: string, args: Json[], scope: EvalScope): Complex | null {
  const limits = args[1];
  const lh = headOf(limits);
  if (!isArr(limits) || (lh !== 'Tuple' && lh !== 'Limits' && lh !== 'Triple')) return null;
  const [, index, lo, hi] = limits as [string, Json, Json, Json];
  if (typeof index !== 'string') return null;
  const from = complexValue(lo, scope);
  const to = complexValue(hi, scope);
  if (!from || !to || from.im !== 0 || to.im !== 0) return null;
  const a = Math.ceil(from.re - 1e-9);
  const b = Math.floor(to.re + 1e-9);
  if (!Number.isFinite(a) || !Number.isFinite(b) || b - a > MAX_TERMS) return null;
  const vars = new Map(scope.vars);
  const inner: EvalScope = { vars, functions: scope.functions };
  let acc = head === 'Sum' ? c(0) : c(1);
  for (let k = a; k <= b; k++) {
    vars.set(index, c(k));
    const v = complexValue(args[0], inner);
    if (!v) return null;
    acc = head === 'Sum' ? cadd(acc, v) : cmul(acc, v);
  }
  return acc;
}

export function isFiniteComplex(v: Complex): boolean {
  return Number.isFinite(v.re) && Number.isFinite(v.im);
}

/** Equal up to a relative error of `tol` (and absolute near zero). */
export function closeTo(a: Complex, b: Complex, tol = 1e-9): boolean {
  const scale = Math.max(1, cabs(a), cabs(b));
  return Math.abs(a.re - b.re) <= tol * scale && Math.abs(a.im - b.im) <= tol * scale;
}

export { cabs, cdiv, csub, hashString };
