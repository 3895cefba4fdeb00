import { describe, expect, it } from 'vitest';
import { majorityVote } from '../../src/answer/index.js';
import { meanCorrect, passAtK, passKs } from '../../src/eval/estimators.js';
import { computeBreakdowns, computeMetrics, metricColumns } from '../../src/eval/metrics.js';
import type { EvalItem } from '../../src/eval/types.js';

/** C(n, k) exactly, for checking the product form against the definition. */
function choose(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

function item(
  id: string,
  correct: boolean[],
  answers?: (string | null)[],
  extra: Partial<EvalItem> = {},
): EvalItem {
  const ans = answers ?? correct.map((c) => (c ? '1' : '2'));
  return {
    id,
    subject: null,
    level: null,
    gold: '1',
    answers: ans,
    sources: ans.map((a) => (a === null ? null : 'boxed')),
    correct,
    rules: correct.map((c) => (c ? 'exact-string' : 'numeric-rational')),
    finishReasons: correct.map(() => 'stop'),
    requestKeys: ['k'],
    majority: majorityVote(ans, correct),
    ...extra,
  };
}

describe('pass@k (Chen et al. 2021, unbiased)', () => {
  it('matches 1 - C(n-c,k)/C(n,k) for every n <= 12', () => {
    for (let n = 1; n <= 12; n++)
      for (let c = 0; c <= n; c++)
        for (let k = 1; k <= n; k++)
          expect(passAtK(n, c, k)).toBeCloseTo(1 - choose(n - c, k) / choose(n, k), 12);
  });

  it('gives the textbook values', () => {
    expect(passAtK(5, 2, 2)).toBeCloseTo(0.7, 12); // 1 - 3/10
    expect(passAtK(10, 0, 5)).toBe(0);
    expect(passAtK(10, 10, 1)).toBe(1);
    expect(passAtK(10, 3, 1)).toBeCloseTo(0.3, 12); // pass@1 is the share correct
    expect(passAtK(4, 1, 4)).toBe(1); // every draw of 4 from 4 includes the correct one
    expect(passAtK(4, 2, 3)).toBe(1); // n - c < k
  });

  it('is stable where the binomial coefficients overflow', () => {
    const v = passAtK(2000, 1, 1000);
    expect(v).toBeCloseTo(0.5, 12);
    expect(passAtK(100_000, 3, 10)).toBeGreaterThan(0);
  });

  it('rejects impossible arguments', () => {
    expect(() => passAtK(4, 5, 1)).toThrow(RangeError);
    expect(() => passAtK(4, 1, 5)).toThrow(RangeError);
    expect(() => passAtK(4, 1, 0)).toThrow(RangeError);
  });

  it('is averaged over items and reported for k = 2, 4, ... and K', () => {
    expect(passKs(1)).toEqual([]);
    expect(passKs(2)).toEqual([2]);
    expect(passKs(8)).toEqual([2, 4, 8]);
    expect(passKs(10)).toEqual([2, 4, 8, 10]);
    // Constructed 3x4 verdict matrix: c = 0, 2, 4 of n = 4.
    const items = [
      item('a', [false, false, false, false]),
      item('b', [true, false, true, false]),
      item('c', [true, true, true, true]),
    ];
    const cols = Object.fromEntries(metricColumns(items, 4).map((c) => [c.name, c.values]));
    expect(cols['pass@1']).toEqual([0, 0.5, 1]);
    expect(cols['pass@2']![1]).toBeCloseTo(1 - choose(2, 2) / choose(4, 2), 12); // 5/6
    expect(cols['pass@4']).toEqual([0, 1, 1]);
    const metrics = computeMetrics(items, 4, { resamples: 200 });
    expect(metrics['pass@1']!.value).toBeCloseTo(0.5, 12);
    expect(metrics['pass@2']!.value).toBeCloseTo((0 + 5 / 6 + 1) / 3, 12);
  });
});

describe('maj@k', () => {
  it('picks the largest class of equivalent answers, ignoring samples without an answer', () => {
    // 1/2, 0.5 and \frac12 are one answer for the checker: 3 votes beat 2 votes for 3.
    const v = majorityVote(
      ['3', '1/2', null, '0.5', '3', '\\frac{1}{2}'],
      [false, true, false, true, false, true],
    );
    expect(v).toEqual({ answer: '1/2', votes: 3, correct: true });
  });

  it('is wrong when the majority is wrong even if some sample is right (so maj@k <= pass@k)', () => {
    const correct = [true, false, false, false];
    const v = majorityVote(['7', '8', '8', '9'], correct);
    expect(v.answer).toBe('8');
    expect(v.correct).toBe(false);
    expect(meanCorrect(correct)).toBe(0.25);
    expect(passAtK(4, 1, 4)).toBe(1);
  });

  it('breaks ties towards the class seen first', () => {
    expect(majorityVote(['5', '6', '6', '5'], [true, false, false, true]).correct).toBe(true);
    expect(majorityVote(['6', '5', '5', '6'], [false, true, true, false]).correct).toBe(false);
  });

  it('has no answer when no sample has one', () => {
    expect(majorityVote([null, null], [false, false])).toEqual({ answer: null, votes: 0, correct: false });
    expect(majorityVote(['  ', null], [false, false]).answer).toBeNull();
  });

  it('equals pass@1 with one sample', () => {
    const items = [item('a', [true]), item('b', [false]), item('c', [false], [null])];
    const cols = Object.fromEntries(metricColumns(items, 1).map((c) => [c.name, c.values]));
    expect(cols['pass@1']).toEqual([1, 0, 0]);
    expect(cols.no_answer_rate).toEqual([0, 0, 1]);
    expect(Object.keys(cols)).toEqual(['pass@1', 'no_answer_rate']);
  });
});

describe('breakdowns', () => {
  const subjects = ['Algebra', 'Geometry', null, 'Algebra', 'Geometry', 'Algebra'];
  const levels = ['Level 10', 'Level 2', 'Level 1', null, 'Level 2', 'Level 1'];
  const verdicts = [
    [true, true, false],
    [false, false, false],
    [true, false, true],
    [true, true, true],
    [false, true, false],
    [false, false, true],
  ];
  const items = verdicts.map((v, i) =>
    item(`i${i}`, v, undefined, { subject: subjects[i]!, level: levels[i]! }),
  );

  it('cover every item and sum to the totals', () => {
    const total = computeMetrics(items, 3, { resamples: 300 });
    const b = computeBreakdowns(items, 3, { resamples: 300 });
    for (const rows of [b.subject, b.level]) {
      expect(rows.reduce((s, r) => s + r.items, 0)).toBe(items.length);
      const sum = rows.reduce((s, r) => s + r.correctSum, 0);
      expect(sum / items.length).toBeCloseTo(total['pass@1']!.value, 12);
      // Each row's pass@1 is its correctSum over its items.
      for (const r of rows) expect(r.metrics['pass@1']!.value).toBeCloseTo(r.correctSum / r.items, 12);
      // Weighted means of every metric give the total.
      for (const name of Object.keys(total)) {
        const weighted = rows.reduce((s, r) => s + r.metrics[name]!.value * r.items, 0) / items.length;
        expect(weighted).toBeCloseTo(total[name]!.value, 12);
      }
    }
  });

  it('sort levels numerically and put items without a value last', () => {
    const b = computeBreakdowns(items, 3, { resamples: 100 });
    expect(b.level.map((r) => r.key)).toEqual(['Level 1', 'Level 2', 'Level 10', '(none)']);
    expect(b.subject.map((r) => r.key)).toEqual(['Algebra', 'Geometry', '(none)']);
  });

  it('are empty for a benchmark without subjects or levels', () => {
    const plain = verdicts.map((v, i) => item(`p${i}`, v));
    expect(computeBreakdowns(plain, 3, { resamples: 100 })).toEqual({ subject: [], level: [] });
  });
});
