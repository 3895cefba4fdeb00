/**
 * McNemar's test for two systems graded on the same items. Only the discordant items carry
 * information (A right and B wrong: b; A wrong and B right: c); under "no difference" each
 * discordant item is a fair coin, so b ~ Binomial(b + c, 1/2).
 *
 * With fewer than EXACT_BELOW discordant items the exact two-sided binomial test is used (the
 * chi-square approximation is poor there); from EXACT_BELOW on, the chi-square statistic with
 * Edwards' continuity correction, (|b - c| - 1)^2 / (b + c) on 1 degree of freedom, which agrees
 * with the exact test to within a few thousandths at that size and is what most papers report.
 */

export const EXACT_BELOW = 25;

export interface McNemar {
  test: 'exact-binomial' | 'chi-square-cc' | 'none';
  statistic: number | null;
  pValue: number;
}

/**
 * @param b items only the first system gets right
 * @param c items only the second system gets right
 * @example mcnemar(0, 5) // exact: p = 2 * (1/2)^5 = 0.0625
 */
export function mcnemar(b: number, c: number): McNemar {
  if (!Number.isInteger(b) || !Number.isInteger(c) || b < 0 || c < 0)
    throw new RangeError('mcnemar expects non-negative integer counts');
  const m = b + c;
  if (m === 0) return { test: 'none', statistic: null, pValue: 1 };
  if (m < EXACT_BELOW)
    return { test: 'exact-binomial', statistic: null, pValue: exactBinomialTwoSided(b, m) };
  const statistic = (Math.abs(b - c) - 1) ** 2 / m;
  return { test: 'chi-square-cc', statistic, pValue: chiSquare1Survival(Math.max(0, statistic)) };
}

/**
 * Two-sided exact binomial p-value for x successes in m fair trials: twice the smaller tail,
 * capped at 1 (the distribution is symmetric, so this equals summing all outcomes at most as
 * likely as x). Summed in log space so that large m does not underflow.
 */
export function exactBinomialTwoSided(x: number, m: number): number {
  const k = Math.min(x, m - x);
  let logP = -m * Math.LN2; // P(X = 0)
  let tail = 0;
  for (let i = 0; i <= k; i++) {
    tail += Math.exp(logP);
    logP += Math.log(m - i) - Math.log(i + 1);
  }
  return Math.min(1, 2 * tail);
}

/** P(X > x) for X ~ chi-square with 1 degree of freedom: erfc(sqrt(x / 2)). */
export function chiSquare1Survival(x: number): number {
  return erfc(Math.sqrt(x / 2));
}

/**
 * Complementary error function, Chebyshev fit of Numerical Recipes (erfcc), relative error below
 * 1.2e-7 everywhere: ample for p-values, and free of the cancellation 1 - erf(x) suffers.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
