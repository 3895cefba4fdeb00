/**
 * Per-item estimators of the evaluation metrics. Each turns one item's samples into a number in
 * [0, 1]; a benchmark's metric is the mean of these over items, which is also what the bootstrap
 * resamples. Keeping them per item is what lets breakdowns sum exactly to the totals.
 */
/**
 * The unbiased pass@k estimator of Chen et al. (2021), for n samples of which c are correct:
 * 1 - C(n-c, k) / C(n, k), the chance that k samples drawn without replacement from the n
 * include a correct one. Computed as a running product, 1 - prod_{i=n-c+1..n} (1 - k/i), because
 * the binomial coefficients overflow doubles long before n reaches realistic sample counts.
 *
 * @throws RangeError unless 0 <= c <= n and 1 <= k <= n (pass@k needs at least k samples).
 * @example passAtK(5, 2, 2) // 1 - C(3,2)/C(5,2) = 0.7
 */
export function passAtK(n: number, c: number, k: number): number {
  if (!Number.isInteger(n) || !Number.isInteger(c) || !Number.isInteger(k))
    throw new RangeError('passAtK expects integers');
  if (c < 0 || c > n) throw new RangeError(`passAtK: correct count ${c} outside [0, ${n}]`);
  if (k < 1 || k > n) throw new RangeError(`passAtK: k = ${k} needs 1 <= k <= n = ${n}`);
  if (n - c < k) return 1;
  let missAll = 1;
  for (let i = n - c + 1; i <= n; i++) missAll *= 1 - k / i;
  return 1 - missAll;
}

/** Share of correct samples: pass@1 of one item (greedy: 0 or 1). */
export function meanCorrect(correct: readonly boolean[]): number {
  if (correct.length === 0) throw new RangeError('meanCorrect of no samples');
  let c = 0;
  for (const x of correct) if (x) c++;
  return c / correct.length;
}

/** The k values pass@k is reported for with K samples: 2, 4, 8, ... below K, and K itself. */
export function passKs(samples: number): number[] {
  if (samples < 2) return [];
  const ks: number[] = [];
  for (let k = 2; k < samples; k *= 2) ks.push(k);
  ks.push(samples);
  return ks;
}

/** Mean of a list (0 for an empty list is never wanted: callers guard against empty benchmarks). */
export function mean(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('mean of no values');
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}
