/**
 * Seeded, deterministic bootstrap over items. Items are the unit of resampling because samples of
 * one item are not independent (the item's difficulty is shared), so an interval that resampled
 * samples would be too narrow. The same seed always gives the same interval, so an eval file
 * written twice from the same verdicts is byte-identical apart from its date.
 */
import { hash32, Rng } from '../util/hash.js';
import type { MetricWithCI } from './types.js';

export interface BootstrapOptions {
  /** Number of resamples (default 2000). */
  resamples?: number;
  /** Seed of the resampling stream (default 0). */
  seed?: number;
  /** Coverage of the percentile interval (default 0.95). */
  confidence?: number;
}

export const DEFAULT_RESAMPLES = 2000;
export const DEFAULT_CONFIDENCE = 0.95;

/** A seed for one named group, so a breakdown row's interval does not depend on the rows before it. */
export function seedFor(seed: number, label: string): number {
  return hash32(label, seed >>> 0);
}

/** The q-quantile of ascending `sorted`, interpolating linearly between order statistics. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError('quantile of no values');
  const pos = (n - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * Means of several per-item columns (all of one length) with percentile intervals. All columns
 * share each resample's item draws, so their intervals are consistent with one another (pass@1
 * and maj@k are resampled together, as the items they come from are).
 */
export function bootstrapMeans(
  columns: readonly (readonly number[])[],
  options: BootstrapOptions = {},
): MetricWithCI[] {
  const n = columns[0]?.length ?? 0;
  if (n === 0) throw new RangeError('bootstrap of no items');
  for (const col of columns) if (col.length !== n) throw new RangeError('bootstrap columns differ in length');
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  const rng = new Rng(options.seed ?? 0);
  const stats = columns.map(() => new Float64Array(resamples));
  const sums = new Float64Array(columns.length);
  for (let r = 0; r < resamples; r++) {
    sums.fill(0);
    for (let j = 0; j < n; j++) {
      const idx = Math.floor(rng.next() * n);
      for (let c = 0; c < columns.length; c++) sums[c]! += columns[c]![idx]!;
    }
    for (let c = 0; c < columns.length; c++) stats[c]![r] = sums[c]! / n;
  }
  const alpha = (1 - confidence) / 2;
  return columns.map((col, c) => {
    const sorted = stats[c]!.sort();
    return { value: sumOf(col) / n, ci: [quantile(sorted, alpha), quantile(sorted, 1 - alpha)] };
  });
}

export interface PairedDifference extends MetricWithCI {
  /** Two-sided bootstrap p-value of "no difference": twice the share of resamples on the far side of 0. */
  pValue: number;
}

/**
 * Paired bootstrap of mean(b) - mean(a) over the same items: each resample draws items, and both
 * systems are scored on the drawn items, so the (large) variation between items cancels out of
 * the difference and only the systems' disagreement remains.
 */
export function pairedBootstrap(
  a: readonly number[],
  b: readonly number[],
  options: BootstrapOptions = {},
): PairedDifference {
  if (a.length !== b.length) throw new RangeError('paired bootstrap needs the same items on both sides');
  const n = a.length;
  if (n === 0) throw new RangeError('bootstrap of no items');
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  const rng = new Rng(options.seed ?? 0);
  const diffs = new Float64Array(resamples);
  let atOrBelow = 0;
  let atOrAbove = 0;
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let j = 0; j < n; j++) {
      const idx = Math.floor(rng.next() * n);
      s += b[idx]! - a[idx]!;
    }
    const d = s / n;
    diffs[r] = d;
    if (d <= 0) atOrBelow++;
    if (d >= 0) atOrAbove++;
  }
  diffs.sort();
  const alpha = (1 - confidence) / 2;
  const value = (sumOf(b) - sumOf(a)) / n;
  // Identical systems put every resample at 0: both tails count it, and the p-value is 1.
  const pValue = Math.min(1, (2 * Math.min(atOrBelow, atOrAbove)) / resamples);
  return { value, ci: [quantile(diffs, alpha), quantile(diffs, 1 - alpha)], pValue };
}

function sumOf(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}
