/** What `sparq status` shows: a read-only summary of a run directory. */
import type { GenerationMetrics } from '../core/metrics.js';
import type { SqliteRunStore } from '../storage/sqlite-store.js';

export interface RunStatus {
  runId: string | null;
  createdAt: string | null;
  sparqVersion: string | null;
  model: string | null;
  generation: number | null;
  lastCommittedAt: string | null;
  problems: {
    total: number;
    byOrigin: Record<string, number>;
    verified: number;
    disputed: number;
    unverified: number;
  };
  rejections: { total: number; byReason: Record<string, number> };
  archive: Pick<
    GenerationMetrics,
    | 'coverage'
    | 'occupied'
    | 'cells'
    | 'elites'
    | 'qdScore'
    | 'normalizedQdScore'
    | 'meanQuality'
    | 'maxQuality'
    | 'distinctSkills'
  > | null;
  spend: { requestsSent: number; cacheHits: number; promptTokens: number; completionTokens: number };
  faults: Record<string, number>;
  retries: number;
  failures: number;
}

/**
 * The metrics of the last committed generation. Untyped in the store today (JSON of
 * `GenerationMetrics`): the one place status reads them, to type when the store does.
 */
function lastGenerationMetrics(store: SqliteRunStore): {
  generation: number;
  finishedAt: string;
  metrics: GenerationMetrics;
} | null {
  const generations = store.generations();
  const last = generations[generations.length - 1];
  return last
    ? {
        generation: last.generation,
        finishedAt: last.finishedAt,
        metrics: last.metrics as GenerationMetrics & Record<string, unknown>,
      }
    : null;
}

export function readRunStatus(store: SqliteRunStore): RunStatus {
  const last = lastGenerationMetrics(store);
  const m = last?.metrics;
  const counters = store.counters();
  const config = store.latestConfig();
  const flags = store.queries.problemTotals();
  const byOrigin: Record<string, number> = {};
  for (const { origin, count } of store.queries.problemsByOrigin()) byOrigin[origin] = count;
  const byReason: Record<string, number> = {};
  for (const { reason, count } of store.queries.rejectionsByReason()) byReason[reason] = count;
  const faults: Record<string, number> = {};
  for (const [k, v] of Object.entries(counters))
    if (k.startsWith('fault_')) faults[k.slice('fault_'.length)] = v;
  return {
    runId: store.getMeta('run_id') ?? null,
    createdAt: store.getMeta('created_at') ?? null,
    sparqVersion: config?.sparqVersion ?? null,
    model: config
      ? ((JSON.parse(config.configJson) as { model?: { model?: string } }).model?.model ?? null)
      : null,
    generation: last?.generation ?? null,
    lastCommittedAt: last?.finishedAt ?? null,
    problems: {
      total: flags.total,
      byOrigin,
      verified: flags.verified,
      disputed: flags.disputed,
      unverified: flags.total - flags.verified,
    },
    rejections: {
      total: store.count('rejections'),
      byReason,
    },
    archive: m
      ? {
          coverage: m.coverage,
          occupied: m.occupied,
          cells: m.cells,
          elites: m.elites,
          qdScore: m.qdScore,
          normalizedQdScore: m.normalizedQdScore,
          meanQuality: m.meanQuality,
          maxQuality: m.maxQuality,
          distinctSkills: m.distinctSkills,
        }
      : null,
    spend: {
      requestsSent: counters.requests_sent ?? 0,
      cacheHits: counters.cache_hits ?? 0,
      promptTokens: counters.prompt_tokens ?? 0,
      completionTokens: counters.completion_tokens ?? 0,
    },
    faults,
    retries: counters.retries ?? 0,
    failures: counters.failures ?? 0,
  };
}

const num = (n: number) => n.toLocaleString('en-US');
const pct = (a: number, b: number) => (b === 0 ? '0.0%' : `${((100 * a) / b).toFixed(1)}%`);
const list = (r: Record<string, number>) =>
  Object.entries(r)
    .map(([k, v]) => `${k} ${num(v)}`)
    .join(', ') || 'none';

export function formatRunStatus(dir: string, s: RunStatus): string {
  const lines = [
    `run:         ${dir} (id ${s.runId ?? '?'}, created ${s.createdAt ?? '?'}, sparq ${s.sparqVersion ?? '?'}, model ${s.model ?? '?'})`,
    `generation:  ${s.generation ?? 'none committed yet'}${s.lastCommittedAt ? ` (committed ${s.lastCommittedAt})` : ''}`,
    `problems:    ${num(s.problems.total)} (${list(s.problems.byOrigin)})`,
    `             verified ${pct(s.problems.verified, s.problems.total)}, disputed ${pct(s.problems.disputed, s.problems.total)}, unverified ${pct(s.problems.unverified, s.problems.total)}`,
    `rejected:    ${num(s.rejections.total)} (${list(s.rejections.byReason)})`,
  ];
  if (s.archive) {
    const a = s.archive;
    lines.push(
      `archive:     coverage ${(a.coverage * 100).toFixed(1)}% (${num(a.occupied)}/${num(a.cells)} cells, ${num(a.elites)} elites, ${a.distinctSkills} skills)`,
      `             QD-score ${a.qdScore.toFixed(2)} (normalized ${a.normalizedQdScore.toFixed(4)}), mean elite quality ${a.meanQuality.toFixed(3)}, max ${a.maxQuality.toFixed(3)}`,
    );
  }
  lines.push(
    `spend:       ${num(s.spend.requestsSent)} requests sent (+${num(s.spend.cacheHits)} answered from the cache), tokens ${num(s.spend.promptTokens)} prompt / ${num(s.spend.completionTokens)} completion`,
    `faults:      ${list(s.faults)}; retries ${num(s.retries)}, failed requests ${num(s.failures)}`,
  );
  return `${lines.join('\n')}\n`;
}
