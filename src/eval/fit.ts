/**
 * Scaling-law fits of accuracy against a size x (training examples, parameters):
 *
 * - `power_law`: error = a · x^(-b), fitted by least squares on log(error) against log(x). The
 *   classic straight line on a log-log plot; needs 2 points and every error > 0.
 * - `power_law_offset`: error = a · x^(-b) + c with c >= 0, the irreducible error. Fitted by least
 *   squares on the error itself, by variable projection: for a fixed b the model is linear in
 *   (a, c), solved exactly, and b is found by a grid then golden-section search. Needs 4 points
 *   (3 parameters and at least one residual degree of freedom).
 * - `log_linear`: accuracy = a + b · ln(x), ordinary least squares; needs 2 points.
 *
 * Error is 1 - accuracy. R² and residuals are always reported on the accuracy scale (identical
 * on the error scale, which is accuracy flipped), so the three fits are compared on one footing.
 */

export interface XY {
  x: number;
  y: number;
}

export interface FitResult {
  model: 'power_law' | 'power_law_offset' | 'log_linear';
  formula: string;
  params: Record<string, number>;
  /** Fitted accuracy at x. */
  predict(x: number): number;
  r2: number;
  residuals: { x: number; residual: number }[];
  /** Why the fit should not be trusted as it stands, if it should not (a parameter at its search bound). */
  warning?: string;
}

/** Ordinary least squares y = intercept + slope · x. */
export function ols(xs: readonly number[], ys: readonly number[]): { intercept: number; slope: number } {
  const n = xs.length;
  if (n < 2 || ys.length !== n) throw new RangeError('ols needs at least 2 paired values');
  const mx = xs.reduce((s, v) => s + v, 0) / n;
  const my = ys.reduce((s, v) => s + v, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
  }
  if (sxx === 0) throw new RangeError('ols needs at least 2 distinct x values');
  const slope = sxy / sxx;
  return { intercept: my - slope * mx, slope };
}

/** 1 - SS_res / SS_tot; 1 when the data have no spread and the fit reproduces them. */
export function rSquared(ys: readonly number[], fitted: readonly number[]): number {
  const my = ys.reduce((s, v) => s + v, 0) / ys.length;
  let ssRes = 0;
  let ssTot = 0;
  ys.forEach((y, i) => {
    ssRes += (y - fitted[i]!) ** 2;
    ssTot += (y - my) ** 2;
  });
  if (ssTot === 0) return ssRes === 0 ? 1 : 0;
  return 1 - ssRes / ssTot;
}

function finish(
  model: FitResult['model'],
  formula: string,
  params: Record<string, number>,
  predict: (x: number) => number,
  points: readonly XY[],
): FitResult {
  const sorted = [...points].sort((p, q) => p.x - q.x);
  const fitted = sorted.map((p) => predict(p.x));
  return {
    model,
    formula,
    params,
    predict,
    r2: rSquared(
      sorted.map((p) => p.y),
      fitted,
    ),
    residuals: sorted.map((p, i) => ({ x: p.x, residual: p.y - fitted[i]! })),
  };
}

function checkPoints(points: readonly XY[], min: number, what: string): void {
  if (points.some((p) => !(p.x > 0) || !Number.isFinite(p.x) || !Number.isFinite(p.y)))
    throw new RangeError(`${what}: every x must be a positive number and every y finite`);
  if (new Set(points.map((p) => p.x)).size < min)
    throw new RangeError(
      `${what} needs at least ${min} distinct x values, got ${new Set(points.map((p) => p.x)).size}`,
    );
}

/** accuracy = a + b · ln x */
export function fitLogLinear(points: readonly XY[]): FitResult {
  checkPoints(points, 2, 'log-linear fit');
  const { intercept: a, slope: b } = ols(
    points.map((p) => Math.log(p.x)),
    points.map((p) => p.y),
  );
  return finish('log_linear', 'accuracy = a + b * ln(x)', { a, b }, (x) => a + b * Math.log(x), points);
}

/** error = a · x^(-b), by least squares in log-log space. */
export function fitPowerLaw(points: readonly XY[]): FitResult {
  checkPoints(points, 2, 'power-law fit');
  if (points.some((p) => 1 - p.y <= 0))
    throw new RangeError('power-law fit: an accuracy of 1 has error 0, which has no logarithm');
  const { intercept, slope } = ols(
    points.map((p) => Math.log(p.x)),
    points.map((p) => Math.log(1 - p.y)),
  );
  const a = Math.exp(intercept);
  const b = -slope;
  return finish('power_law', 'error = a * x^(-b)', { a, b }, (x) => 1 - a * x ** -b, points);
}

const B_MIN = 1e-4;
const B_MAX = 5;
const B_GRID = 500;

/** error = a · x^(-b) + c, c >= 0, by least squares on the error (variable projection over b). */
export function fitPowerLawOffset(points: readonly XY[]): FitResult {
  checkPoints(points, 4, 'power-law fit with offset');
  const xs = points.map((p) => p.x);
  const es = points.map((p) => 1 - p.y);
  // Sizes span decades: scaling x by its geometric mean keeps x^(-b) near 1 and the 2x2 solve well
  // conditioned for any b. The reported a is converted back to raw x.
  const scale = Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
  const us = xs.map((x) => x / scale);
  const profile = (b: number) => linearAC(us, es, b);
  let bestB = B_MIN;
  let best = profile(B_MIN);
  const grid: number[] = [];
  for (let i = 0; i <= B_GRID; i++) grid.push(B_MIN + ((B_MAX - B_MIN) * i) / B_GRID);
  let bestIdx = 0;
  grid.forEach((b, i) => {
    const r = profile(b);
    if (r.sse < best.sse) {
      best = r;
      bestB = b;
      bestIdx = i;
    }
  });
  // Golden-section search between the grid neighbours of the best grid point.
  let lo = grid[Math.max(0, bestIdx - 1)]!;
  let hi = grid[Math.min(grid.length - 1, bestIdx + 1)]!;
  const phi = (Math.sqrt(5) - 1) / 2;
  let x1 = hi - phi * (hi - lo);
  let x2 = lo + phi * (hi - lo);
  let f1 = profile(x1).sse;
  let f2 = profile(x2).sse;
  for (let iter = 0; iter < 80 && hi - lo > 1e-12; iter++) {
    if (f1 < f2) {
      hi = x2;
      x2 = x1;
      f2 = f1;
      x1 = hi - phi * (hi - lo);
      f1 = profile(x1).sse;
    } else {
      lo = x1;
      x1 = x2;
      f1 = f2;
      x2 = lo + phi * (hi - lo);
      f2 = profile(x2).sse;
    }
  }
  const mid = (lo + hi) / 2;
  const refined = profile(mid);
  if (refined.sse <= best.sse) {
    best = refined;
    bestB = mid;
  }
  const b = bestB;
  const a = best.a * scale ** b;
  const c = best.c;
  const fit = finish(
    'power_law_offset',
    'error = a * x^(-b) + c',
    { a, b, c },
    (x) => 1 - (a * x ** -b + c),
    points,
  );
  // At a bound the least-squares optimum lies outside the searched exponents: the data do not pin
  // the curve down (flat or noisy points), and a, b are artefacts of where the search stopped.
  const bound = b - B_MIN < 1e-6 ? B_MIN : B_MAX - b < 1e-6 ? B_MAX : null;
  if (bound !== null)
    fit.warning = `the exponent b stopped at the search bound ${bound}: the points do not determine this fit, do not read its parameters`;
  return fit;
}

/**
 * For a fixed b, the least-squares (a, c) of e = a·u^(-b) + c with c >= 0: the unconstrained
 * 2x2 normal equations, or c = 0 and a alone when they put c below 0.
 */
function linearAC(
  us: readonly number[],
  es: readonly number[],
  b: number,
): { a: number; c: number; sse: number } {
  const n = us.length;
  const f = us.map((u) => u ** -b);
  let sf = 0;
  let sff = 0;
  let se = 0;
  let sfe = 0;
  for (let i = 0; i < n; i++) {
    sf += f[i]!;
    sff += f[i]! * f[i]!;
    se += es[i]!;
    sfe += f[i]! * es[i]!;
  }
  const det = n * sff - sf * sf;
  let a: number;
  let c: number;
  if (Math.abs(det) > 1e-300) {
    a = (n * sfe - sf * se) / det;
    c = (se - a * sf) / n;
  } else {
    a = 0;
    c = se / n;
  }
  if (c < 0) {
    c = 0;
    a = sfe / sff;
  }
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (es[i]! - (a * f[i]! + c)) ** 2;
  return { a, c, sse };
}

/** `count` points log-spaced over [lo, hi], for drawing a fitted curve. */
export function logGrid(lo: number, hi: number, count = 60): number[] {
  if (lo === hi) return [lo];
  const l = Math.log(lo);
  const h = Math.log(hi);
  return Array.from({ length: count }, (_, i) => Math.exp(l + ((h - l) * i) / (count - 1)));
}
