/**
 * The generated equivalence test: thousands of seeded answer pairs (equivalence-gen.ts), each
 * labelled by construction. The checker must accept none of the perturbed pairs (zero false
 * positives); the share of rewritten pairs it rejects is the false-negative rate, reported per
 * family and held under a ceiling so that a regression fails.
 */
import { describe, expect, it } from 'vitest';
import { AnswerChecker } from '../../src/answer/index.js';
import { FAMILIES, generatePairs, type LabelledPair } from './equivalence-gen.js';

const SEED = 20261202;
const ROUNDS = 120;
/** Measured 0 on these seeds; a little room so a harmless change of form does not fail the suite. */
const MAX_FALSE_NEGATIVE_RATE = 0.005;

interface Tally {
  pairs: number;
  equivalent: number;
  falsePositives: LabelledPair[];
  falseNegatives: LabelledPair[];
}

function tally(pairs: readonly LabelledPair[], checker: AnswerChecker): Map<string, Tally> {
  const byFamily = new Map<string, Tally>();
  for (const p of pairs) {
    let t = byFamily.get(p.family);
    if (!t) {
      t = { pairs: 0, equivalent: 0, falsePositives: [], falseNegatives: [] };
      byFamily.set(p.family, t);
    }
    t.pairs++;
    if (p.equivalent) t.equivalent++;
    const v = checker.check(p.gold, p.predicted);
    if (v.equivalent && !p.equivalent) t.falsePositives.push(p);
    if (!v.equivalent && p.equivalent) t.falseNegatives.push(p);
  }
  return byFamily;
}

const show = (ps: LabelledPair[]) =>
  ps
    .slice(0, 5)
    .map((p) => `${p.family} / ${p.change}: ${JSON.stringify(p.gold)} vs ${JSON.stringify(p.predicted)}`);

describe('generated equivalence pairs', () => {
  const pairs = generatePairs(SEED, ROUNDS);

  it('are thousands, from every family, with both labels', () => {
    expect(pairs.length).toBeGreaterThan(15_000);
    const families = new Set(pairs.map((p) => p.family));
    expect(families.size).toBe(Object.keys(FAMILIES).length);
    for (const f of families) {
      const own = pairs.filter((p) => p.family === f);
      expect(
        own.some((p) => p.equivalent),
        f,
      ).toBe(true);
      expect(
        own.some((p) => !p.equivalent),
        f,
      ).toBe(true);
    }
  });

  it('are the same pairs for the same seed', () => {
    expect(generatePairs(SEED, 3)).toEqual(pairs.slice(0, generatePairs(SEED, 3).length));
    expect(generatePairs(SEED + 1, 3)).not.toEqual(generatePairs(SEED, 3));
  });

  it('no false positives, and a false-negative rate under the ceiling', () => {
    const checker = new AnswerChecker({ cacheSize: 0 });
    const byFamily = tally(pairs, checker);
    const all = [...byFamily.values()];
    const falsePositives = all.flatMap((t) => t.falsePositives);
    const falseNegatives = all.flatMap((t) => t.falseNegatives);
    const equivalent = all.reduce((n, t) => n + t.equivalent, 0);
    const rate = falseNegatives.length / equivalent;
    console.log(
      `generated equivalence: ${pairs.length} pairs (${equivalent} equivalent, ${pairs.length - equivalent} not); ` +
        `false positives ${falsePositives.length}, false negatives ${falseNegatives.length} ` +
        `(${(100 * rate).toFixed(2)}% of the equivalent pairs)\n` +
        [...byFamily]
          .map(
            ([f, t]) =>
              `  ${f}: ${t.pairs} pairs, ${t.falsePositives.length} false positives, ${t.falseNegatives.length} false negatives`,
          )
          .join('\n'),
    );
    expect(show(falsePositives)).toEqual([]);
    expect(rate, show(falseNegatives).join('\n')).toBeLessThanOrEqual(MAX_FALSE_NEGATIVE_RATE);
  });

  it('include pairs that differ only where a value is negative or far from zero', () => {
    // What a sampler of small positive points accepts: the zero above holds for these too.
    const signPairs = pairs.filter((p) => p.family === 'sign and domain' && !p.equivalent);
    expect(signPairs.some((p) => /^\|[xyt]\|$/.test(p.gold) && /^[xyt]$/.test(p.predicted))).toBe(true);
    expect(signPairs.some((p) => /^\|[xyt] [+-] [4-6]\|$/.test(p.gold) && !p.predicted.includes('|'))).toBe(
      true,
    );
  });
});
