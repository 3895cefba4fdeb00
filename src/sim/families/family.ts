/**
 * A procedural problem family of the simulated model: it writes a noun phrase naming a quantity
 * ("the remainder when $7^{23}$ is divided by $11$"), reads it back from text (the model is
 * stateless, so everything it needs must be recoverable from the problem text), and solves it
 * exactly. The level (1..MAX_LEVEL) is visible in the numbers and drives the latent difficulty.
 */
import type { Subject } from '../../domain/subjects.js';
import type { Rng } from '../../util/hash.js';
import type { Rat } from '../rational.js';

export const MAX_LEVEL = 6;

export type Params = number[];

export interface Family {
  id: string;
  subject: Subject;
  /** A skill name from the bundled taxonomy (taxonomy/skills.v1.yaml). */
  skill: string;
  /** Probability that the simulated solver gets a level-1 instance right. */
  ease: number;
  generate(rng: Rng, level: number): Params;
  levelOf(params: Params): number;
  render(params: Params): string;
  parse(nounPhrase: string): Params | null;
  solve(params: Params): { value: Rat; steps: string[] };
}

/** Upper bound of the numbers used at each level: the level is read back from the magnitudes. */
const MAGNITUDE = [0, 6, 12, 25, 50, 100, 200];

export function magnitudeLevel(values: number[]): number {
  const m = Math.max(...values.map(Math.abs));
  for (let level = 1; level <= MAX_LEVEL; level++) if (m <= MAGNITUDE[level]!) return level;
  return MAX_LEVEL;
}

/**
 * `count` integers in [min, MAGNITUDE[level]], one of them above MAGNITUDE[level - 1], so that
 * `magnitudeLevel` of the result is exactly `level`.
 */
export function magnitudeInts(rng: Rng, level: number, count: number, min = 1, signed = false): number[] {
  const hi = MAGNITUDE[level]!;
  const lo = Math.max(min, MAGNITUDE[level - 1]! + 1);
  const forced = rng.int(0, count - 1);
  return Array.from({ length: count }, (_, i) => {
    const v = i === forced ? rng.int(lo, hi) : rng.int(min, hi);
    return signed && v !== 0 && rng.next() < 0.4 ? -v : v;
  });
}

export function clampLevel(level: number): number {
  return Math.max(1, Math.min(MAX_LEVEL, Math.round(level)));
}

// --- LaTeX helpers shared by the families -------------------------------------------------------

/** `3x`, `-x`, `x` for a leading term. */
export function leadTerm(coef: number, variable: string): string {
  if (variable === '') return String(coef);
  if (coef === 1) return variable;
  if (coef === -1) return `-${variable}`;
  return `${coef}${variable}`;
}

/** ` + 3x`, ` - x` for a following term; empty for a zero coefficient. */
export function nextTerm(coef: number, variable: string): string {
  if (coef === 0) return '';
  const sign = coef < 0 ? ' - ' : ' + ';
  const abs = Math.abs(coef);
  if (variable === '') return `${sign}${abs}`;
  return `${sign}${abs === 1 ? '' : abs}${variable}`;
}

/** Renders a polynomial from (coefficient, variable) pairs, skipping zeros after the first. */
export function polynomial(terms: [number, string][]): string {
  const nonZero = terms.filter(([c], i) => c !== 0 || i === 0);
  return nonZero.map(([c, v], i) => (i === 0 ? leadTerm(c, v) : nextTerm(c, v))).join('');
}

/**
 * Reads back a polynomial written by `polynomial` over the given monomials (e.g. ['x^3','x^2','x','']);
 * returns the coefficients in that order, or null if the text is not of that shape.
 */
export function parsePolynomial(text: string, monomials: string[]): number[] | null {
  const compact = text.replace(/\s+/g, '');
  const coefs = new Map<string, number>();
  const re = /([+-]?)(\d*)(x\^\{?\d+\}?|x|)/g;
  let pos = 0;
  for (;;) {
    re.lastIndex = pos;
    const m = re.exec(compact);
    if (!m || m.index !== pos || m[0] === '') break;
    const monomial = m[3]!.replace(/[{}]/g, '');
    if (monomial === '' && m[2] === '') return null;
    if (coefs.has(monomial) || !monomials.includes(monomial)) return null;
    const magnitude = m[2] === '' ? 1 : Number(m[2]);
    coefs.set(monomial, m[1] === '-' ? -magnitude : magnitude);
    pos = re.lastIndex;
  }
  if (pos !== compact.length) return null;
  return monomials.map((mono) => coefs.get(mono) ?? 0);
}

export function toInts(groups: (string | undefined)[]): number[] | null {
  const out: number[] = [];
  for (const g of groups) {
    if (g === undefined || !/^-?\d+$/.test(g)) return null;
    out.push(Number(g));
  }
  return out;
}

export function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return Math.abs(a);
}

export function lcm(a: number, b: number): number {
  return Math.abs(a * b) / gcd(a, b);
}

export function factorial(n: number): bigint {
  let r = 1n;
  for (let i = 2n; i <= BigInt(n); i++) r *= i;
  return r;
}

export function binomial(n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n;
  return factorial(n) / (factorial(k) * factorial(n - k));
}
