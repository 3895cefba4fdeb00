/**
 * A run's metrics for Prometheus, read when scraped: the run's status as `sparq status` reads it
 * (summary tables and counters, constant time at any pool size), the solve-rate histogram from
 * the pool summary, and what this process is doing now (requests by purpose and outcome,
 * requests in flight).
 */
import { histogramBin } from '../core/metrics.js';
import type { RequestTally } from '../engine/gateway/tally.js';
import { readRunStatus } from '../engine/status.js';
import type { SqliteRunStore } from '../storage/sqlite-store.js';
import { Exposition } from './exposition.js';

export interface MetricsSources {
  store: SqliteRunStore;
  tally: RequestTally;
  /** Requests in flight now. */
  inFlight: () => number;
}

/** Upper bounds of the solve-rate histogram's buckets: the report's bins (core/metrics.ts histogramBin). */
export const SOLVE_RATE_BUCKETS = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

export function runMetrics(sources: MetricsSources): string {
  const { store, tally } = sources;
  const s = readRunStatus(store);
  const counters = store.counters();
  const out = new Exposition();
  out.counter(
    'sparq_requests_total',
    'Model requests of this process by purpose and outcome (answered by the model, answered from the cache, failed for good)',
    tally.samples().map((t) => ({ labels: { purpose: t.purpose, outcome: t.outcome }, value: t.count })),
  );
  out.counter('sparq_tokens_total', 'Tokens the run spent, by kind', [
    { labels: { kind: 'prompt' }, value: s.spend.promptTokens },
    { labels: { kind: 'completion' }, value: s.spend.completionTokens },
  ]);
  out.counter('sparq_batch_tokens_total', 'Tokens answered through batch files, by kind', [
    { labels: { kind: 'prompt' }, value: counters.batch_prompt_tokens ?? 0 },
    { labels: { kind: 'completion' }, value: counters.batch_completion_tokens ?? 0 },
  ]);
  out.counter('sparq_retries_total', 'Requests that failed and were tried again', [{ value: s.retries }]);
  out.counter(
    'sparq_faults_total',
    'Failed request attempts by kind',
    Object.entries(s.faults).map(([kind, value]) => ({ labels: { kind }, value })),
  );
  out.gauge('sparq_requests_in_flight', 'Model requests in flight now', [{ value: sources.inFlight() }]);
  out.counter(
    'sparq_problems_total',
    'Problems in the pool by origin (seed, vary, harder, combine)',
    Object.entries(s.problems.byOrigin).map(([origin, value]) => ({ labels: { origin }, value })),
  );
  out.gauge('sparq_problems_by_status', 'Problems in the pool by verification status', [
    { labels: { status: 'verified' }, value: s.problems.verified },
    { labels: { status: 'disputed' }, value: s.problems.disputed },
    { labels: { status: 'unverified' }, value: s.problems.unverified },
  ]);
  out.counter(
    'sparq_rejections_total',
    'Generated problems rejected, by reason',
    Object.entries(s.rejections.byReason).map(([reason, value]) => ({ labels: { reason }, value })),
  );
  out.gauge('sparq_tasks_told', 'Tasks told and committed', [{ value: s.scheduler?.told ?? 0 }]);
  out.gauge('sparq_generation', 'The last generation committed', [{ value: s.generation ?? -1 }]);
  if (s.archive) {
    out.gauge('sparq_archive_coverage', 'Share of the taxonomy cells occupied ("other" cells left out)', [
      { value: s.archive.coverage },
    ]);
    out.gauge('sparq_archive_other_cells_occupied', '"Other" cells (labels outside the taxonomy) occupied', [
      { value: s.archive.otherOccupied },
    ]);
    out.gauge('sparq_archive_qd_score', 'QD-score: the sum of elite qualities', [
      { value: s.archive.qdScore },
    ]);
    out.gauge('sparq_archive_elites', 'Elites in the archive', [{ value: s.archive.elites }]);
    out.gauge('sparq_archive_mean_quality', 'Mean elite quality (1 - solve-rate)', [
      { value: s.archive.meanQuality },
    ]);
  }
  const counts = SOLVE_RATE_BUCKETS.map(() => 0);
  let sum = 0;
  // histogramBin's bins ([0], then (0, 0.1] ... (0.9, 1]) are exactly these buckets' `le` ranges.
  for (const r of store.solveRateCounts()) {
    counts[histogramBin(r.rate)]! += r.problems;
    sum += r.rate * r.problems;
  }
  out.histogram(
    'sparq_solve_rate',
    'Solve-rates of the verified problems in the pool',
    SOLVE_RATE_BUCKETS,
    counts,
    sum,
  );
  if (s.cost)
    out.counter('sparq_cost_total', 'Spend in money at the configured pricing', [
      { labels: { currency: s.cost.currency }, value: s.cost.amount },
    ]);
  return out.toString();
}
