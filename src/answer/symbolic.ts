/**
 * Equivalence of two mathematical expressions (LaTeX leaves of an answer), and of equations and
 * inequalities. Order of attempts, cheapest and most certain first:
 *   1. exact rational evaluation of constant expressions (`numeric-rational`);
 *   2. floating-point evaluation of constants (`numeric-eval`), with the decimal rounding policy
 *      (`numeric-tolerance`);
 *   3. evaluation at deterministic random points for expressions with unknowns
 *      (`random-points`), which settles polynomial and trigonometric identities;
 *   4. the Compute Engine's canonical form and expansion (`symbolic`) for what we cannot
 *      evaluate (sums with symbolic bounds, derivatives, matrices).
 * One engine instance is reused; its canonical parsing runs inside a pushed scope so that the
 * symbols it declares (`x(y+1)` makes `x` a function) never leak into the next check.
 */
import { createRequire } from 'node:module';
import type { ComputeEngine } from '@cortex-js/compute-engine';
import type { LruCache } from '../util/lru.js';
import type { Deadline } from './deadline.js';
import {
  type Complex,
  cabs,
  cdiv,
  closeTo,
  collectSymbols,
  complexValue,
  csub,
  type EvalScope,
  exactValue,
  hashString,
  isConstantSymbol,
  isFiniteComplex,
  type Json,
} from './evaluate.js';
import * as Q from './numbers.js';
import type { RelOp } from './structure.js';

export interface Decision {
  equivalent: boolean;
  rule: string;
}

/** What a comparison needs: its time budget, the numeric tolerance, the checker's parse cache. */
export interface SymbolicContext {
  deadline: Deadline;
  tol: Tolerance;
  raw: LruCache<string, Json | null>;
}

export interface Tolerance {
  /** Accept numbers whose difference is at most this (upstream configs such as OlympiadBench's). */
  absTol?: number;
  relTol?: number;
}

let engine: ComputeEngine | null = null;

/**
 * The shared Compute Engine, loaded and created on first use (about 0.3 s + 0.2 s). Loading it
 * lazily keeps the CLI and callers that only extract answers from paying for it.
 */
export function getEngine(): ComputeEngine {
  if (!engine) {
    const load = createRequire(import.meta.url);
    const mod = load('@cortex-js/compute-engine') as typeof import('@cortex-js/compute-engine');
    engine = new mod.ComputeEngine();
  }
  return engine;
}

export function engineReady(): boolean {
  return engine !== null;
}

const MAX_LATEX = 1000;

function containsError(x: Json): boolean {
  if (!Array.isArray(x)) return false;
  if (x[0] === 'Error') return true;
  for (let k = 1; k < x.length; k++) if (containsError(x[k])) return true;
  return false;
}

const GREEK_NAMES = new Set(
  'alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi rho sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Phi Psi Omega'.split(
    ' ',
  ),
);

/**
 * Subscripts are names (`R_{\odot}`, `I_{\max}`): commands in them that the parser would reject
 * become plain letters, so the symbol parses and still differs from other subscripts.
 */
export function plainSubscripts(latex: string): string {
  if (!latex.includes('_')) return latex;
  const strip = (inner: string) =>
    inner.replace(/\\([a-zA-Z]+)/g, (m, name: string) => (GREEK_NAMES.has(name) ? m : name));
  return latex
    .replace(/_\s*\{([^{}]*)\}/g, (_m, inner: string) => `_{${strip(inner)}}`)
    .replace(/_\s*\\([a-zA-Z]+)/g, (m, name: string) => (GREEK_NAMES.has(name) ? m : `_{${name}}`));
}

/** MathJSON of a LaTeX leaf from the non-canonical parser, or null if it does not parse. */
export function parseRaw(latex: string, ctx: SymbolicContext): Json | null {
  const cached = ctx.raw.get(latex);
  if (cached !== undefined) return cached;
  if (latex.length > MAX_LATEX || latex.trim() === '') return null;
  let json: Json | null = null;
  const ce = engineReady() ? getEngine() : ctx.deadline.excluding(getEngine);
  try {
    const parsed = ce.parse(plainSubscripts(latex), { form: 'raw' }).json as Json;
    json = containsError(parsed) ? null : parsed;
  } catch {
    json = null;
  }
  ctx.raw.set(latex, json);
  return json;
}

const POINTS = 13;
/** Points from here on are negative, near zero or far from it (see pointValue). */
const FIRST_EDGE_POINT = 6;
/**
 * Points from here on are far from zero. There, large terms that cancel leave floating-point
 * noise (`\cosh^2 x - \sinh^2 x` at x = -40 subtracts two numbers near 1e34), so values are
 * compared to 1e-8 of the largest term summed, not of the result (see farScope): the far points
 * are there to tell `|x + 3|` from `x + 3`, where the sides differ by as much as they are.
 */
const FIRST_FAR_POINT = 10;

/** The point's scope, tracking the largest term summed when the point is a far one. */
function farScope(prep: Prepared, k: number): EvalScope {
  const scope = scopeAt(prep, k);
  return k >= FIRST_FAR_POINT ? { ...scope, terms: { max: 0 } } : scope;
}

/** A difference within rounding of the values and of the terms that were summed to reach them. */
function withinRounding(d: number, scope: EvalScope, ...values: Complex[]): boolean {
  return d <= 1e-8 * Math.max(1, scope.terms?.max ?? 0, ...values.map(cabs));
}

/**
 * A value for symbol `name` (the `index`-th free symbol) at point `k`: non-integers in
 * (0.3, 2.9), small integers, then the edges: every symbol negative, the odd-indexed ones
 * negative, the even-indexed ones negative, all near zero, and all far out on either side.
 * Positive points alone called `|x|` and `x`, `\sqrt{x^2}` and `x`, or `\sqrt{a^2b^2}` and `ab`
 * equal; small ones alone called `|x + 3|` and `x + 3` equal. They differ only where a sign is
 * negative, and an answer right on part of the domain is not the answer. At the far points
 * values are compared within the rounding of their terms (FIRST_FAR_POINT). The edges are
 * evaluated over the reals (see scopeAt).
 */
function pointValue(name: string, index: number, k: number): Complex {
  const h = hashString(`${name}#${k}`);
  const unit = (h % 100_003) / 100_003;
  const inner = 0.31 + 2.6 * unit;
  if (k < 4) return { re: inner, im: 0 };
  if (k < 6) return { re: 2 + (h % 5), im: 0 };
  const negative = k === 6 || (k === 7 && index % 2 === 1) || (k === 8 && index % 2 === 0);
  if (k < 9) return { re: negative ? -inner : inner, im: 0 };
  if (k === 9) return { re: 0.013 + 0.05 * unit, im: 0 };
  if (k === 10) return { re: -(3.5 + 6 * unit), im: 0 };
  if (k === 11) return { re: 3.5 + 6 * unit, im: 0 };
  return { re: -(12 + 28 * unit), im: 0 };
}

interface Prepared {
  symbols: string[];
  functions: Set<string>;
}

function prepare(values: Json[]): Prepared {
  const plain = new Set<string>();
  const applied = new Set<string>();
  for (const v of values) collectSymbols(v, plain, applied);
  const functions = new Set<string>();
  for (const a of applied) if (!plain.has(a)) functions.add(a);
  const symbols = [...plain].filter((s) => !isConstantSymbol(s) && !functions.has(s));
  return { symbols, functions };
}

function scopeAt(p: Prepared, k: number): EvalScope {
  const vars = new Map<string, Complex>();
  for (const [i, s] of p.symbols.entries()) vars.set(s, pointValue(s, i, k));
  // At the edges the sides are compared over the reals: a point outside one side's real domain
  // (an even root or a logarithm of a negative) evaluates to NaN there and is skipped.
  return { vars, functions: p.functions, realOnly: k >= FIRST_EDGE_POINT };
}

/** How a side was written, for the decimal rounding policy. */
function literalOf(latex: string): Q.NumberLiteral | null {
  const lit = Q.parseNumberLiteral(latex);
  return lit && (lit.form === 'decimal' || lit.form === 'scientific') && lit.decimals > 0 ? lit : null;
}

export function compareNumberLiterals(a: Q.NumberLiteral, b: Q.NumberLiteral, tol: Tolerance): Decision {
  if (Q.ratEq(a.value, b.value)) return { equivalent: true, rule: 'numeric-rational' };
  const x = Q.toNumber(a.value);
  const y = Q.toNumber(b.value);
  if (withinTolerance(x, y, tol)) return { equivalent: true, rule: 'numeric-tolerance' };
  const approx = (d: Q.NumberLiteral, exact: Q.NumberLiteral) =>
    (d.form === 'decimal' || d.form === 'scientific') &&
    d.decimals > 0 &&
    !Q.isTerminating(exact.value) &&
    Q.decimalApproximates(
      { value: Q.toNumber(d.value), decimals: d.decimals, significant: d.significant },
      Q.toNumber(exact.value),
    );
  if (approx(a, b) || approx(b, a)) return { equivalent: true, rule: 'numeric-tolerance' };
  return { equivalent: false, rule: 'numeric-rational' };
}

function withinTolerance(x: number, y: number, tol: Tolerance): boolean {
  const diff = Math.abs(x - y);
  if (tol.absTol !== undefined && diff <= tol.absTol * (1 + 1e-9) + 1e-15) return true;
  if (tol.relTol !== undefined && diff <= tol.relTol * Math.max(Math.abs(x), Math.abs(y))) return true;
  return false;
}

/**
 * Compare two LaTeX expressions. `scaleA` multiplies side a first (1/100 for a percent reading).
 * Returns undefined when nothing could decide (neither side parses, nothing evaluates).
 */
export function compareExpressions(
  a: string,
  b: string,
  ctx: SymbolicContext,
  scaleA?: Q.Rat,
): Decision | undefined {
  const { deadline, tol } = ctx;
  const la = Q.parseNumberLiteral(a);
  const lb = Q.parseNumberLiteral(b);
  if (la && lb && !scaleA) return compareNumberLiterals(la, lb, tol);
  // Sentences are not mathematics: reading "it's not 10" as a product of letters only wastes CAS time.
  if (isProse(a) || isProse(b)) return undefined;
  let ja = parseRaw(a, ctx);
  const jb = parseRaw(b, ctx);
  deadline.check();
  if (ja === null || jb === null) return undefined;
  if (scaleA) ja = ['Multiply', ja, ['Rational', Number(scaleA.n), Number(scaleA.d)]];
  const prep = prepare([ja, jb]);

  if (prep.symbols.length === 0 && prep.functions.size === 0) {
    const ea = exactValue(ja);
    const eb = exactValue(jb);
    if (ea && eb) {
      if (Q.ratEq(ea, eb)) return { equivalent: true, rule: 'numeric-rational' };
      const lits: [Q.NumberLiteral, Q.NumberLiteral] = [
        {
          value: ea,
          form: la && !scaleA ? la.form : 'fraction',
          decimals: la?.decimals ?? 0,
          significant: la?.significant ?? 0,
        },
        {
          value: eb,
          form: lb ? lb.form : 'fraction',
          decimals: lb?.decimals ?? 0,
          significant: lb?.significant ?? 0,
        },
      ];
      return compareNumberLiterals(...lits, tol);
    }
    const scope = scopeAt(prep, 0);
    const va = complexValue(ja, scope);
    const vb = complexValue(jb, scope);
    if (va && vb && isFiniteComplex(va) && isFiniteComplex(vb)) {
      if (closeTo(va, vb, 1e-10)) return { equivalent: true, rule: 'numeric-eval' };
      if (va.im === 0 && vb.im === 0) {
        if (withinTolerance(va.re, vb.re, tol)) return { equivalent: true, rule: 'numeric-tolerance' };
        const da = scaleA ? null : literalOf(a);
        const db = literalOf(b);
        if (
          da &&
          !eb &&
          Q.decimalApproximates({ value: va.re, decimals: da.decimals, significant: da.significant }, vb.re)
        ) {
          return { equivalent: true, rule: 'numeric-tolerance' };
        }
        if (
          db &&
          !ea &&
          Q.decimalApproximates({ value: vb.re, decimals: db.decimals, significant: db.significant }, va.re)
        ) {
          return { equivalent: true, rule: 'numeric-tolerance' };
        }
      }
      return { equivalent: false, rule: 'numeric-eval' };
    }
    if (va && vb && va.re === vb.re && va.im === vb.im && !Number.isNaN(va.re)) {
      // Both the same infinity.
      return { equivalent: true, rule: 'numeric-eval' };
    }
    return canonicalCompare(a, b, ctx, scaleA);
  }

  const verdict = randomPoints(prep, (scope) => [complexValue(ja, scope), complexValue(jb, scope)], deadline);
  if (verdict !== undefined) return { equivalent: verdict, rule: 'random-points' };
  return canonicalCompare(a, b, ctx, scaleA);
}

/**
 * Evaluate at the deterministic points; true when every usable point agrees, false when one
 * disagrees, undefined when fewer than three points could be evaluated on both sides.
 */
function randomPoints(
  prep: Prepared,
  values: (scope: EvalScope) => [Complex | null, Complex | null],
  deadline: Deadline,
): boolean | undefined {
  let usable = 0;
  for (let k = 0; k < POINTS; k++) {
    deadline.check();
    const scope = farScope(prep, k);
    const [va, vb] = values(scope);
    if (!va || !vb) return undefined;
    if (!isFiniteComplex(va) || !isFiniteComplex(vb)) continue;
    if (scope.terms ? !withinRounding(cabs(csub(va, vb)), scope, va, vb) : !closeTo(va, vb, 1e-8))
      return false;
    usable++;
  }
  return usable >= 3 ? true : undefined;
}

const EMPTY_SCOPE: EvalScope = { vars: new Map(), functions: new Set() };
/** Largest exponent, factorial argument or number of summed terms the CAS is trusted with. */
const CAS_LIMIT = 2000;

function magnitude(x: Json): number | null {
  const v = complexValue(x, EMPTY_SCOPE);
  return v ? cabs(v) : null;
}

/**
 * Refuse to hand the CAS expressions it would expand exactly: `9^{9^{9^{9}}}`, `10^6!`,
 * `\sum_{k=1}^{10^{12}}`. Its canonical form evaluates constant powers eagerly, and one such
 * BigInt computation cannot be interrupted.
 */
export function safeForCas(x: Json): boolean {
  if (!Array.isArray(x)) return true;
  const head = x[0];
  const args = x.slice(1);
  if (head === 'Power' || head === 'Root') {
    const e = magnitude(args[1]);
    if (e !== null && (!Number.isFinite(e) || e > CAS_LIMIT) && magnitude(args[0]) !== null) return false;
  } else if (head === 'Factorial' || head === 'Factorial2' || head === 'Binomial' || head === 'Gamma') {
    const n = magnitude(args[0]);
    if (n !== null && (!Number.isFinite(n) || n > CAS_LIMIT)) return false;
  } else if (head === 'Sum' || head === 'Product') {
    const limits = args[1];
    if (Array.isArray(limits)) {
      const lo = magnitude(limits[2]);
      const hi = magnitude(limits[3]);
      if (lo !== null && hi !== null && (!Number.isFinite(hi - lo) || hi - lo > CAS_LIMIT)) return false;
    }
  }
  return args.every(safeForCas);
}

function canonicalCompare(a: string, b: string, ctx: SymbolicContext, scaleA?: Q.Rat): Decision | undefined {
  if (a.length > MAX_LATEX || b.length > MAX_LATEX) return undefined;
  const { deadline } = ctx;
  const ja = parseRaw(a, ctx);
  const jb = parseRaw(b, ctx);
  if (ja === null || jb === null) return undefined;
  if (!safeForCas(ja) || !safeForCas(jb)) return { equivalent: false, rule: 'refused:huge-number' };
  deadline.check();
  const ce = getEngine();
  ce.pushScope();
  try {
    let A = ce.parse(plainSubscripts(a));
    const B = ce.parse(plainSubscripts(b));
    if (scaleA) A = ce.box(['Multiply', A, ['Rational', Number(scaleA.n), Number(scaleA.d)]]);
    if (!A.isValid || !B.isValid) return undefined;
    if (A.isSame(B)) return { equivalent: true, rule: 'symbolic' };
    deadline.check();
    const hasMatrix = /\\begin\s*\{[pbBv]?matrix\}/.test(a + b);
    if (hasMatrix) {
      const ea = A.evaluate();
      const eb = B.evaluate();
      if (ea.isSame(eb)) return { equivalent: true, rule: 'symbolic' };
      return { equivalent: ea.isEqual(eb) === true, rule: 'symbolic' };
    }
    const expanded = ce.box(['Expand', ['Subtract', A, B]]).evaluate();
    deadline.check();
    if (expanded.isSame(0)) return { equivalent: true, rule: 'symbolic' };
    if (A.unknowns.length === 0 && B.unknowns.length === 0) {
      const eq = A.isEqual(B);
      if (eq !== undefined) return { equivalent: eq, rule: 'symbolic' };
    }
    return { equivalent: false, rule: 'symbolic' };
  } catch {
    return undefined;
  } finally {
    ce.popScope();
  }
}

/**
 * Equations are equal when one is a non-zero constant multiple of the other once everything is
 * moved to one side (`x^2 + y^2 = 1` and `1 - x^2 - y^2 = 0`). Inequalities need a positive
 * multiple and the same strictness. Two different equations are never equal just because both
 * read `... = 0`: the sides are compared, not the zeros.
 */
export function compareRelations(
  g: { op: RelOp; lhs: string; rhs: string },
  p: { op: RelOp; lhs: string; rhs: string },
  ctx: SymbolicContext,
): Decision {
  const { deadline } = ctx;
  const rule = g.op === '=' ? 'equation' : 'inequality';
  if (g.op !== p.op) return { equivalent: false, rule };
  const parts = [g.lhs, g.rhs, p.lhs, p.rhs].map((s) => parseRaw(s, ctx));
  if (parts.some((x) => x === null)) return { equivalent: false, rule };
  const [gl, gr, pl, pr] = parts as [Json, Json, Json, Json];
  const dg: Json = ['Subtract', gl, gr];
  const dp: Json = ['Subtract', pl, pr];
  const prep = prepare([dg, dp]);
  let ratio: Complex | null = null;
  let identicallyZero = 0;
  let usable = 0;
  for (let k = 0; k < POINTS; k++) {
    deadline.check();
    const scope = farScope(prep, k);
    const a = complexValue(dg, scope);
    const b = complexValue(dp, scope);
    if (!a || !b) return { equivalent: false, rule };
    if (!isFiniteComplex(a) || !isFiniteComplex(b)) continue;
    // A side lost in the rounding of its own terms says nothing about the ratio.
    if (scope.terms && (withinRounding(cabs(a), scope) || withinRounding(cabs(b), scope))) continue;
    const za = cabs(a) < 1e-12;
    const zb = cabs(b) < 1e-12;
    if (za && zb) {
      identicallyZero++;
      continue;
    }
    if (za !== zb) return { equivalent: false, rule };
    const r = cdiv(a, b);
    if (ratio === null) ratio = r;
    else if (!closeTo(ratio, r, 1e-8)) return { equivalent: false, rule };
    usable++;
  }
  if (usable === 0) return { equivalent: identicallyZero >= 3, rule };
  if (usable + identicallyZero < 3 || ratio === null) return { equivalent: false, rule };
  if (g.op === '<' || g.op === '\\le') {
    return { equivalent: Math.abs(ratio.im) < 1e-9 && ratio.re > 0, rule };
  }
  return { equivalent: true, rule };
}

const MATH_WORDS = new Set([
  'sin',
  'cos',
  'tan',
  'sec',
  'csc',
  'cot',
  'log',
  'exp',
  'max',
  'min',
  'gcd',
  'lcm',
  'mod',
  'sqrt',
]);

/** Two or more words of three letters or more (outside commands, math names aside) make prose. */
function isProse(latex: string): boolean {
  const words = latex.replace(/\\[a-zA-Z]+(?:\s*\{[^{}]*\})?/g, ' ').match(/[A-Za-z]{3,}/g) ?? [];
  return words.filter((w) => !MATH_WORDS.has(w.toLowerCase())).length >= 2;
}

/** True when the LaTeX is an infinity, for interval endpoint rules. */
export function isInfinity(latex: string): boolean {
  return /^[+-]?\s*\\infty$/.test(latex.trim());
}
