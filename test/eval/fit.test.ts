import { describe, expect, it } from 'vitest';
import { fitLogLinear, fitPowerLaw, fitPowerLawOffset, logGrid, ols, rSquared } from '../../src/eval/fit.js';
import { Rng } from '../../src/util/hash.js';

/** Standard normal draws (Box-Muller) from the seeded stream. */
function gaussian(rng: Rng): number {
  const u = 1 - rng.next();
  const v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

const sizes = logGrid(1_000, 1_000_000, 12);

describe('scaling fits recover known parameters', () => {
  it('power law with offset: error = 2.5 x^-0.35 + 0.12, noise sd 0.002', () => {
    const truth = { a: 2.5, b: 0.35, c: 0.12 };
    const recovered: { a: number; b: number; c: number }[] = [];
    for (let seed = 1; seed <= 20; seed++) {
      const rng = new Rng(seed);
      const points = sizes.map((x) => ({
        x,
        y: 1 - (truth.a * x ** -truth.b + truth.c) + 0.002 * gaussian(rng),
      }));
      const fit = fitPowerLawOffset(points);
      recovered.push(fit.params as { a: number; b: number; c: number });
      expect(fit.r2).toBeGreaterThan(0.99);
      expect(fit.residuals).toHaveLength(sizes.length);
    }
    const mean = (k: 'a' | 'b' | 'c') => recovered.reduce((s, r) => s + r[k], 0) / recovered.length;
    // Averaged over noise draws the estimates centre on the truth.
    expect(Math.abs(mean('b') - truth.b)).toBeLessThan(0.03);
    expect(Math.abs(mean('c') - truth.c)).toBeLessThan(0.005);
    expect(Math.abs(Math.log(mean('a') / truth.a))).toBeLessThan(0.25);
    // And every single fit is close.
    for (const r of recovered) {
      expect(Math.abs(r.b - truth.b)).toBeLessThan(0.1);
      expect(Math.abs(r.c - truth.c)).toBeLessThan(0.015);
    }
  });

  it('power law with offset is exact on noiseless data', () => {
    const points = sizes.map((x) => ({ x, y: 1 - (0.9 * x ** -0.2 + 0.05) }));
    const fit = fitPowerLawOffset(points);
    expect(fit.params.a).toBeCloseTo(0.9, 4);
    expect(fit.params.b).toBeCloseTo(0.2, 5);
    expect(fit.params.c).toBeCloseTo(0.05, 5);
    expect(fit.r2).toBeCloseTo(1, 9);
    expect(fit.predict(5e6)).toBeCloseTo(1 - (0.9 * 5e6 ** -0.2 + 0.05), 5);
  });

  it('power law with offset warns when the exponent stops at its search bound, and only then', () => {
    // Error falls once, then stays flat: the steepest searchable curve is still not steep enough.
    const step = [1e3, 1e4, 1e5, 1e6].map((x, i) => ({ x, y: i === 0 ? 0.3 : 0.4 }));
    expect(fitPowerLawOffset(step).warning).toMatch(/search bound 5/);
    const clean = sizes.map((x) => ({ x, y: 1 - (0.9 * x ** -0.2 + 0.05) }));
    expect(fitPowerLawOffset(clean).warning).toBeUndefined();
  });

  it('pure power law via log-log least squares: error = 3 x^-0.3 with 2% multiplicative noise', () => {
    const rng = new Rng(5);
    const points = sizes.map((x) => ({ x, y: 1 - 3 * x ** -0.3 * Math.exp(0.02 * gaussian(rng)) }));
    const fit = fitPowerLaw(points);
    expect(fit.params.b).toBeCloseTo(0.3, 1);
    expect(Math.abs(fit.params.b! - 0.3)).toBeLessThan(0.02);
    expect(Math.abs(Math.log(fit.params.a! / 3))).toBeLessThan(0.2);
    expect(fit.r2).toBeGreaterThan(0.99);
  });

  it('log-linear: accuracy = 0.1 + 0.05 ln x, noise sd 0.005', () => {
    const rng = new Rng(11);
    const points = sizes.map((x) => ({ x, y: 0.1 + 0.05 * Math.log(x) + 0.005 * gaussian(rng) }));
    const fit = fitLogLinear(points);
    expect(Math.abs(fit.params.a! - 0.1)).toBeLessThan(0.03);
    expect(Math.abs(fit.params.b! - 0.05)).toBeLessThan(0.003);
    const sumResiduals = fit.residuals.reduce((s, r) => s + r.residual, 0);
    expect(Math.abs(sumResiduals)).toBeLessThan(1e-9); // OLS residuals sum to zero
  });

  it('refuses what cannot be fitted', () => {
    expect(() => fitLogLinear([{ x: 10, y: 0.5 }])).toThrow(/2 distinct x/);
    expect(() => fitPowerLawOffset(sizes.slice(0, 3).map((x) => ({ x, y: 0.5 })))).toThrow(/4 distinct x/);
    expect(() =>
      fitPowerLaw([
        { x: 10, y: 1 },
        { x: 100, y: 0.9 },
      ]),
    ).toThrow(/error 0/);
    expect(() =>
      fitLogLinear([
        { x: 0, y: 1 },
        { x: 100, y: 0.9 },
      ]),
    ).toThrow(/positive/);
  });

  it('has exact helpers', () => {
    expect(ols([0, 1, 2], [1, 3, 5])).toEqual({ intercept: 1, slope: 2 });
    expect(rSquared([1, 2, 3], [1, 2, 3])).toBe(1);
    expect(rSquared([1, 2, 3], [2, 2, 2])).toBe(0);
    const g = logGrid(10, 1000, 3);
    expect(g[1]).toBeCloseTo(100, 9);
  });
});
