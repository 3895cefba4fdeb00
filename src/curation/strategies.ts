/**
 * The paper's selection strategies, compared at matched size N (SPARQ §10):
 *
 * - quantity: N problems drawn uniformly at random.
 * - quality: problems whose solve-rate lies in a band (inclusive), hardest (lowest solve-rate) first.
 * - diversity: round-robin over archive cells, the hardest remaining problem of each cell per
 *   round: every cell is covered before any cell gets a second problem (maximal coverage).
 * - mix: weights over the three; each gets its share of N (largest remainder), taken in the
 *   fixed order quality, diversity, quantity, each from what the previous ones left.
 *
 * Randomness (the quantity draw, tie-breaks between equally hard problems, the order of cells
 * within a round) comes from a hash of (--seed, uid), registered as the SQL function
 * `sparq_rank`: the selection is a pure function of pool, settings and seed. Everything runs
 * in SQLite, so JavaScript memory stays flat however large the pool; the chosen uids go to a
 * TEMP table (`curation_selection`) that export streams from.
 */
import type { AnalysisConnection } from '../storage/analysis-connection.js';
import { UserError } from '../util/errors.js';
import { hash32 } from '../util/hash.js';
import type { PoolSnapshot } from './analysis-store.js';
import {
  CELL_KEY,
  countExclusions,
  EXCLUSION_REASONS,
  type ExclusionCounts,
  exclusionCase,
  poolFrom,
  REASON_FLAG,
  REASON_TEXT,
  type SelectionFilters,
} from './eligibility.js';

export const STRATEGIES = ['quantity', 'quality', 'diversity', 'mix'] as const;
export type Strategy = (typeof STRATEGIES)[number];
export type BaseStrategy = Exclude<Strategy, 'mix'>;
/** The order in which the components of a mix are filled: most selective first. */
export const MIX_ORDER: BaseStrategy[] = ['quality', 'diversity', 'quantity'];

export const DEFAULT_BAND: [number, number] = [0.1, 0.6];

export interface SelectionPlan {
  strategy: Strategy;
  n: number;
  seed: number;
  /** Inclusive solve-rate band of the quality strategy. */
  band: [number, number];
  /** Weights of a mix (only for strategy mix). */
  mix: Partial<Record<BaseStrategy, number>>;
}

export function parseStrategy(value: string): Strategy {
  if ((STRATEGIES as readonly string[]).includes(value)) return value as Strategy;
  throw new UserError(`unknown strategy "${value}": expected one of ${STRATEGIES.join(', ')}`);
}

/** `lo,hi` with 0 <= lo <= hi <= 1. */
export function parseBand(value: string): [number, number] {
  const parts = value.split(',').map((x) => x.trim());
  const nums = parts.map(Number);
  if (parts.length !== 2 || parts.some((x) => x === '') || nums.some((x) => !Number.isFinite(x)))
    throw new UserError(`--band expects two solve-rates "lo,hi" (e.g. 0.1,0.6), got "${value}"`);
  const [lo, hi] = nums as [number, number];
  if (lo < 0 || hi > 1) throw new UserError(`--band bounds must lie in [0, 1], got "${value}"`);
  if (lo > hi) throw new UserError(`--band lower bound ${lo} is above the upper bound ${hi}`);
  return [lo, hi];
}

/** `quality=0.5,diversity=0.5`: weights >= 0 over quantity, quality, diversity, summing above 0. */
export function parseMix(value: string): Partial<Record<BaseStrategy, number>> {
  const out: Partial<Record<BaseStrategy, number>> = {};
  for (const part of value.split(',')) {
    const m = /^\s*([a-z]+)\s*=\s*([^\s]+)\s*$/.exec(part);
    if (!m)
      throw new UserError(`--mix expects name=weight pairs (e.g. quality=0.5,diversity=0.5), got "${part}"`);
    const name = m[1]!;
    if (!(MIX_ORDER as string[]).includes(name))
      throw new UserError(`--mix: unknown strategy "${name}" (expected quantity, quality or diversity)`);
    const weight = Number(m[2]);
    if (!Number.isFinite(weight) || weight < 0)
      throw new UserError(`--mix: weight of ${name} must be a number >= 0, got "${m[2]}"`);
    if (out[name as BaseStrategy] !== undefined) throw new UserError(`--mix: ${name} is given twice`);
    out[name as BaseStrategy] = weight;
  }
  const total = Object.values(out).reduce((s, w) => s + w, 0);
  if (!(total > 0)) throw new UserError('--mix: the weights must not all be 0');
  return out;
}

/** Each strategy's share of N: floor of its exact share, the rest to the largest remainders. */
export function componentSizes(plan: SelectionPlan): { strategy: BaseStrategy; n: number }[] {
  if (plan.strategy !== 'mix') return [{ strategy: plan.strategy, n: plan.n }];
  const total = MIX_ORDER.reduce((s, k) => s + (plan.mix[k] ?? 0), 0);
  const exact = MIX_ORDER.map((k) => ((plan.mix[k] ?? 0) / total) * plan.n);
  const sizes = exact.map(Math.floor);
  let left = plan.n - sizes.reduce((s, x) => s + x, 0);
  const byRemainder = MIX_ORDER.map((_, i) => i).sort(
    (a, b) => exact[b]! - sizes[b]! - (exact[a]! - sizes[a]!) || a - b,
  );
  for (const i of byRemainder) {
    if (left === 0) break;
    if ((plan.mix[MIX_ORDER[i]!] ?? 0) > 0) {
      sizes[i]!++;
      left--;
    }
  }
  return MIX_ORDER.map((strategy, i) => ({ strategy, n: sizes[i]! })).filter((c) => c.n > 0);
}

export interface SelectionResult {
  counts: ExclusionCounts;
  /** Qualifying problems inside the quality band (null when no quality component). */
  inBand: number | null;
  components: { strategy: BaseStrategy; n: number }[];
  /** Distinct cells among the qualifying problems and among the selected ones. */
  cells: { eligible: number; selected: number };
  selected: number;
}

const EPS = 1e-9;
/** Verified before unverified (whose difficulty is unknown), then lowest solve-rate, then the seeded hash. */
const HARDEST_FIRST = 'verified DESC, solve_rate IS NULL, solve_rate ASC, sparq_rank(uid), uid';

/**
 * Runs the plan into TEMP table `curation_selection (pos, uid, strategy)`. Throws a UserError
 * (exit 2) when fewer problems qualify than asked, with the counts of every exclusion reason.
 */
export function runSelection(
  conn: AnalysisConnection,
  plan: SelectionPlan,
  filters: SelectionFilters,
  snapshot: PoolSnapshot,
): SelectionResult {
  const { db } = conn;
  db.function('sparq_rank', { deterministic: true }, (x: unknown) =>
    hash32(`${plan.seed}\u0001${String(x)}`),
  );
  db.exec(`DROP TABLE IF EXISTS temp.curation_selection;
    CREATE TEMP TABLE curation_selection (pos INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE, strategy TEXT NOT NULL);`);

  const components = componentSizes(plan);
  const counts = countExclusions(conn, filters, snapshot);
  const eligible = `SELECT p.uid AS uid, p.solve_rate AS solve_rate, p.verified AS verified, ${CELL_KEY} AS cellkey
    FROM ${poolFrom(filters)}
    WHERE p.id <= @maxId AND (${exclusionCase(filters)}) IS NULL
      AND p.uid NOT IN (SELECT uid FROM temp.curation_selection)`;
  const inBandWhere = `solve_rate IS NOT NULL AND solve_rate >= @lo - ${EPS} AND solve_rate <= @hi + ${EPS}`;
  const params = { maxId: snapshot.maxId, lo: plan.band[0], hi: plan.band[1] };

  const quality = components.find((c) => c.strategy === 'quality');
  const inBand = quality
    ? (
        db.prepare(`SELECT COUNT(*) AS n FROM (${eligible}) WHERE ${inBandWhere}`).get(params) as {
          n: number;
        }
      ).n
    : null;
  const eligibleCells = (
    db.prepare(`SELECT COUNT(DISTINCT cellkey) AS n FROM (${eligible})`).get(params) as { n: number }
  ).n;

  if (plan.n > counts.eligible || (quality && inBand !== null && quality.n > inBand))
    throw new UserError(tooFewMessage(plan, counts, quality?.n ?? null, inBand));

  for (const { strategy, n } of components) {
    // Positions continue after the previous component's; computed here, not in the INSERT.
    const base = (
      db.prepare('SELECT COALESCE(MAX(pos), 0) AS n FROM temp.curation_selection').get() as { n: number }
    ).n;
    const args = { ...params, n, strategy, base };
    if (strategy === 'quantity' || strategy === 'quality') {
      const where = strategy === 'quality' ? `WHERE ${inBandWhere}` : '';
      const order = strategy === 'quality' ? HARDEST_FIRST : 'sparq_rank(uid), uid';
      db.prepare(
        `WITH picked AS (SELECT uid, verified, solve_rate FROM (${eligible}) ${where} ORDER BY ${order} LIMIT @n)
         INSERT INTO temp.curation_selection (pos, uid, strategy)
         SELECT @base + ROW_NUMBER() OVER (ORDER BY ${order}), uid, @strategy FROM picked`,
      ).run(args);
    } else {
      const cellOrder = "round, sparq_rank('cell' || char(1) || cellkey), cellkey";
      db.prepare(
        `WITH ranked AS (
           SELECT uid, cellkey, ROW_NUMBER() OVER (PARTITION BY cellkey ORDER BY ${HARDEST_FIRST}) AS round
           FROM (${eligible})),
         picked AS (SELECT uid, cellkey, round FROM ranked ORDER BY ${cellOrder} LIMIT @n)
         INSERT INTO temp.curation_selection (pos, uid, strategy)
         SELECT @base + ROW_NUMBER() OVER (ORDER BY ${cellOrder}), uid, @strategy FROM picked`,
      ).run(args);
    }
  }

  const selectedCells = (
    db
      .prepare(
        `SELECT COUNT(DISTINCT ${CELL_KEY}) AS n FROM temp.curation_selection s JOIN main.problems p ON p.uid = s.uid`,
      )
      .get() as { n: number }
  ).n;
  const selected = (db.prepare('SELECT COUNT(*) AS n FROM temp.curation_selection').get() as { n: number }).n;
  return {
    counts,
    inBand,
    components,
    cells: { eligible: eligibleCells, selected: selectedCells },
    selected,
  };
}

const num = (n: number) => n.toLocaleString('en-US');

function tooFewMessage(
  plan: SelectionPlan,
  counts: ExclusionCounts,
  qualityShare: number | null,
  inBand: number | null,
): string {
  const lines: string[] = [];
  if (plan.n > counts.eligible) {
    lines.push(
      `--n ${num(plan.n)} is more than the ${num(counts.eligible)} problem${counts.eligible === 1 ? '' : 's'} that qualify (pool: ${num(counts.total)} problems).`,
    );
  } else {
    lines.push(
      `the quality part${plan.strategy === 'mix' ? ` of the mix (${num(qualityShare ?? 0)} problems)` : ` (--n ${num(plan.n)})`} is more than the ${num(inBand ?? 0)} qualifying problems with a solve-rate in the band [${plan.band[0]}, ${plan.band[1]}] (of ${num(counts.eligible)} that qualify otherwise).`,
    );
  }
  const excluded = EXCLUSION_REASONS.filter((r) => (counts.excluded[r] ?? 0) > 0);
  if (excluded.length > 0) {
    lines.push('Excluded (each problem counted under its first reason):');
    for (const r of excluded)
      lines.push(
        `  ${num(counts.excluded[r]!).padStart(9)}  ${REASON_TEXT[r]}; include with ${REASON_FLAG[r]}`,
      );
  }
  if (inBand !== null && counts.eligible > inBand)
    lines.push(
      `  ${num(counts.eligible - inBand).padStart(9)}  qualify but lie outside the solve-rate band [${plan.band[0]}, ${plan.band[1]}]; widen it with --band`,
    );
  lines.push('Ask for fewer problems (--n) or lift an exclusion.');
  return lines.join('\n');
}
