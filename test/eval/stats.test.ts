import { describe, expect, it } from 'vitest';
import { bootstrapMeans, pairedBootstrap, quantile } from '../../src/eval/bootstrap.js';
import { chiSquare1Survival, erfc, exactBinomialTwoSided, mcnemar } from '../../src/eval/mcnemar.js';
import { Rng } from '../../src/util/hash.js';

describe('bootstrap', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const values = Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const a = bootstrapMeans([values], { seed: 7 });
    const b = bootstrapMeans([values], { seed: 7 });
    const c = bootstrapMeans([values], { seed: 8 });
    expect(a).toEqual(b);
    expect(a[0]!.ci).not.toEqual(c[0]!.ci);
    expect(a[0]!.value).toBeCloseTo(67 / 200, 12);
  });

  it('gives the normal-theory width for a mean of Bernoulli items', () => {
    const n = 1000;
    const values = Array.from({ length: n }, (_, i) => (i < 600 ? 1 : 0));
    const [m] = bootstrapMeans([values], { resamples: 4000, seed: 1 });
    const se = Math.sqrt((0.6 * 0.4) / n);
    expect(m!.ci[0]).toBeCloseTo(0.6 - 1.96 * se, 2);
    expect(m!.ci[1]).toBeCloseTo(0.6 + 1.96 * se, 2);
  });

  it('covers the true mean about 95% of the time', () => {
    const rng = new Rng(3);
    let covered = 0;
    const trials = 200;
    for (let t = 0; t < trials; t++) {
      const values = Array.from({ length: 150 }, () => (rng.next() < 0.3 ? 1 : 0));
      const [m] = bootstrapMeans([values], { resamples: 500, seed: t });
      if (m!.ci[0] <= 0.3 && 0.3 <= m!.ci[1]) covered++;
    }
    expect(covered / trials).toBeGreaterThan(0.9);
    expect(covered / trials).toBeLessThan(0.99);
  });

  it('interpolates quantiles', () => {
    expect(quantile([0, 10], 0.5)).toBe(5);
    expect(quantile([1, 2, 3, 4, 5], 0)).toBe(1);
    expect(quantile([1, 2, 3, 4, 5], 1)).toBe(5);
  });

  it('paired: identical systems differ by exactly 0 with p = 1', () => {
    const v = Array.from({ length: 50 }, (_, i) => i % 2);
    const d = pairedBootstrap(v, v, { seed: 2 });
    expect(d).toEqual({ value: 0, ci: [0, 0], pValue: 1 });
  });

  it('paired: a consistent improvement is significant, and narrower than unpaired intervals', () => {
    const rng = new Rng(9);
    const n = 400;
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < n; i++) {
      const easy = rng.next() < 0.5; // shared item difficulty
      a.push(easy ? 1 : 0);
      b.push(easy || rng.next() < 0.15 ? 1 : 0);
    }
    const d = pairedBootstrap(a, b, { seed: 1 });
    expect(d.value).toBeGreaterThan(0);
    expect(d.ci[0]).toBeGreaterThan(0);
    expect(d.pValue).toBeLessThan(0.01);
    const [ma, mb] = bootstrapMeans([a, b], { seed: 1 });
    const unpairedHalfWidth = (ma!.ci[1] - ma!.ci[0] + mb!.ci[1] - mb!.ci[0]) / 2;
    expect(d.ci[1] - d.ci[0]).toBeLessThan(unpairedHalfWidth);
  });
});

describe('McNemar', () => {
  it('uses the exact binomial test for few discordant items', () => {
    expect(mcnemar(0, 5)).toEqual({ test: 'exact-binomial', statistic: null, pValue: 0.0625 });
    // b = 1, c = 9: 2 * (C(10,0) + C(10,1)) / 2^10
    expect(mcnemar(1, 9).pValue).toBeCloseTo((2 * 11) / 1024, 12);
    expect(mcnemar(9, 1).pValue).toBeCloseTo((2 * 11) / 1024, 12);
    expect(mcnemar(3, 3).pValue).toBe(1);
    expect(mcnemar(0, 0)).toEqual({ test: 'none', statistic: null, pValue: 1 });
  });

  it('uses chi-square with continuity correction from 25 discordant items', () => {
    const r = mcnemar(10, 20);
    expect(r.test).toBe('chi-square-cc');
    expect(r.statistic).toBeCloseTo(81 / 30, 12);
    // Reference: scipy.stats.chi2.sf(2.7, 1) = 0.10034824
    expect(r.pValue).toBeCloseTo(0.10034824, 6);
    // And it agrees with the exact test to within a few thousandths at that size.
    expect(Math.abs(r.pValue - exactBinomialTwoSided(10, 30))).toBeLessThan(0.005);
  });

  it('has an accurate erfc and chi-square tail', () => {
    expect(erfc(0)).toBeCloseTo(1, 7);
    expect(erfc(1)).toBeCloseTo(0.157299207, 7);
    expect(erfc(-1)).toBeCloseTo(1.842700793, 7);
    expect(chiSquare1Survival(3.841458821)).toBeCloseTo(0.05, 6);
  });

  it('does not underflow for large counts', () => {
    const p = exactBinomialTwoSided(400, 1000);
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(1e-9);
  });
});
