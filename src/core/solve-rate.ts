/**
 * Solve-rate statistics: confidence intervals, difficulty bands, and the adaptive stopping rule.
 * Pure functions of counts.
 */

/** Two-sided normal quantile for a confidence level (Acklam's rational approximation). */
export function normalQuantile(p: number): number {
  if (p <= 0 || p >= 1) throw new RangeError('p must be in (0, 1)');
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
    );
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

/** Wilson score interval for `correct` successes in `n` trials at the given two-sided confidence. */
export function wilsonInterval(correct: number, n: number, confidence: number): [number, number] {
  if (n === 0) return [0, 1];
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const p = correct / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** Index of the difficulty band of a solve-rate, given increasing cut points: 0..cuts.length. */
export function bandOf(solveRate: number, cuts: readonly number[]): number {
  let band = 0;
  while (band < cuts.length && solveRate >= cuts[band]!) band++;
  return band;
}

/**
 * Adaptive sampling stops once the whole Wilson interval lies inside one band: more attempts
 * would not move the problem to another band (at this confidence).
 */
export function bandDecided(
  correct: number,
  n: number,
  cuts: readonly number[],
  confidence: number,
): boolean {
  if (n === 0) return false;
  const [lo, hi] = wilsonInterval(correct, n, confidence);
  return bandOf(lo, cuts) === bandOf(hi, cuts);
}
