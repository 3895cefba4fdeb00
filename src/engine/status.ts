/** What `sparq status` shows: a read-only summary of a run directory. */

import type { DecidedSettings } from '../backends/capabilities.js';
import { PricingSchema } from '../config/schema.js';
import { Archive } from '../core/archive.js';
import { distinctSkills, otherCells } from '../core/cells.js';
import type { GenerationMetrics } from '../core/metrics.js';
import { SUBJECTS } from '../domain/subjects.js';
import type { BatchSummary } from '../storage/batch-store.js';
import type { EpochRow } from '../storage/run-store.js';
import type { SchedulerProgress, SqliteRunStore } from '../storage/sqlite-store.js';
import { type Cost, costOf, formatMoney } from './cost.js';

export interface RunStatus {
  runId: string | null;
  createdAt: string | null;
  sparqVersion: string | null;
  model: string | null;
  /** The model settings decided at the last start (configured or detected from the endpoint). */
  modelSettings: DecidedSettings | null;
  /** The last epoch ("generation") with a metrics row. */
  generation: number | null;
  generationPartial: boolean;
  lastCommittedAt: string | null;
  scheduler: SchedulerProgress | null;
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
    | 'otherOccupied'
    | 'otherCells'
  > | null;
  spend: { requestsSent: number; cacheHits: number; promptTokens: number; completionTokens: number };
  faults: Record<string, number>;
  retries: number;
  failures: number;
  truncation: { attempts: number; problemsAllCut: number; mutationsCut: number };
  /** Solve attempts the model judge decided (`verifier.judge`), and how many it accepted. */
  judge: { attempts: number; accepted: number };
  /** Batch mode: the run's batch files by state; null when it never used batch mode. */
  batch: BatchSummary | null;
  /** Spend in money at the configured `pricing`; null without one. */
  cost: Cost | null;
  /**
   * Well-formed responses whose content broke the requested format, apart from transport faults
   * (a body cut mid-JSON is a `malformed_response` fault, retried).
   */
  malformed: {
    attemptsNoAnswer: number;
    problemsNoAnswer: number;
    labels: number;
    labelReasks: number;
    /** Mutations rejected as unparseable or without a final answer. */
    mutations: number;
  };
}

/** The run's spend in money, at the pricing of its latest configuration; null without one. */
export function runCost(configJson: string | null, counters: Record<string, number>): Cost | null {
  if (!configJson) return null;
  const parsed = PricingSchema.nullable().safeParse(
    (JSON.parse(configJson) as { pricing?: unknown }).pricing ?? null,
  );
  if (!parsed.success || parsed.data === null) return null;
  return costOf(
    {
      promptTokens: counters.prompt_tokens ?? 0,
      completionTokens: counters.completion_tokens ?? 0,
      batchPromptTokens: counters.batch_prompt_tokens ?? 0,
      batchCompletionTokens: counters.batch_completion_tokens ?? 0,
    },
    parsed.data,
  );
}

/**
 * The "other" cells of a run whose stored archive predates recording them: one per subject (the
 * taxonomy always has the MATH subjects), times the difficulty bands when they are a dimension.
 */
function legacyOtherCells(configJson: string | null): number {
  const archive = configJson
    ? (
        JSON.parse(configJson) as {
          archive?: { difficulty_dimension?: boolean; difficulty_bands?: number[] };
        }
      ).archive
    : undefined;
  // Without a stored configuration, the default cell space: no band dimension.
  const bands = archive?.difficulty_dimension ? (archive.difficulty_bands ?? []) : null;
  return otherCells({ skills: new Map(SUBJECTS.map((s) => [s, []])), bands });
}

/** The last epoch row; it is partial when the run stopped inside that epoch. */
function lastEpoch(store: SqliteRunStore): EpochRow | null {
  return store.generations().at(-1) ?? null;
}

export function readRunStatus(store: SqliteRunStore): RunStatus {
  const last = lastEpoch(store);
  const progress = store.schedulerProgress();
  // The archive as of the last commit, which in a steady-state run is ahead of the last epoch row.
  const core = store.coreState();
  const config = store.latestConfig();
  const archive = core ? Archive.fromState(core.archive, legacyOtherCells(config?.configJson ?? null)) : null;
  const a = archive?.stats();
  const counters = store.counters();
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
    modelSettings: config?.detectedJson
      ? ((JSON.parse(config.detectedJson) as { settings?: DecidedSettings }).settings ?? null)
      : null,
    generation: last?.generation ?? null,
    generationPartial: last?.metrics.partial ?? false,
    lastCommittedAt: last?.finishedAt ?? null,
    scheduler: progress,
    problems: {
      total: flags.total,
      byOrigin,
      verified: flags.verified,
      disputed: flags.disputed,
      unverified: flags.total - flags.verified,
    },
    rejections: {
      total: store.queries.rejectionTotal(),
      byReason,
    },
    archive:
      archive && a
        ? {
            coverage: a.coverage,
            occupied: a.occupied,
            cells: a.cells,
            elites: a.elites,
            qdScore: a.qdScore,
            normalizedQdScore: a.normalizedQdScore,
            meanQuality: a.meanQuality,
            maxQuality: a.maxQuality,
            distinctSkills: distinctSkills(archive.occupiedCells()),
            otherOccupied: a.otherOccupied,
            otherCells: a.otherCells,
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
    batch: store.batchSummary(),
    cost: runCost(config?.configJson ?? null, counters),
    failures: counters.failures ?? 0,
    truncation: {
      attempts: counters.truncated_attempts ?? 0,
      problemsAllCut: counters.all_truncated ?? 0,
      mutationsCut: counters.rejected_truncated ?? 0,
    },
    judge: { attempts: counters.judged_attempts ?? 0, accepted: counters.judge_accepted ?? 0 },
    malformed: {
      attemptsNoAnswer: counters.no_answer_attempts ?? 0,
      problemsNoAnswer: counters.no_answer_problems ?? 0,
      labels: counters.malformed_labels ?? 0,
      labelReasks: counters.label_reasks ?? 0,
      mutations: (counters.rejected_unparseable ?? 0) + (counters.rejected_no_final_answer ?? 0),
    },
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
    ...(s.modelSettings ? [`endpoint:    ${formatDecided(s.modelSettings)}`] : []),
    `generation:  ${s.generation ?? 'none committed yet'}${s.generationPartial ? ' (partial: the run stopped inside it)' : ''}${s.lastCommittedAt ? ` (committed ${s.lastCommittedAt})` : ''}`,
    ...(s.scheduler
      ? [
          `tasks:       ${num(s.scheduler.told)} told and committed; window ${num(s.scheduler.window)}; ${num(s.scheduler.open)} proposals asked, not yet told (a resume or a larger budget runs them)`,
        ]
      : []),
    `problems:    ${num(s.problems.total)} (${list(s.problems.byOrigin)})`,
    `             verified ${pct(s.problems.verified, s.problems.total)}, disputed ${pct(s.problems.disputed, s.problems.total)}, unverified ${pct(s.problems.unverified, s.problems.total)}`,
    `rejected:    ${num(s.rejections.total)} (${list(s.rejections.byReason)})`,
  ];
  if (s.archive) {
    const a = s.archive;
    lines.push(
      `archive:     coverage ${(a.coverage * 100).toFixed(1)}% (${num(a.occupied)}/${num(a.cells)} taxonomy cells, ${a.distinctSkills} skills; ${num(a.elites)} elites; "other" cells for off-list labels: ${a.otherOccupied}/${a.otherCells})`,
      `             QD-score ${a.qdScore.toFixed(2)} (normalized ${a.normalizedQdScore.toFixed(4)}), mean elite quality ${a.meanQuality.toFixed(3)}, max ${a.maxQuality.toFixed(3)}`,
    );
  }
  lines.push(
    `spend:       ${num(s.spend.requestsSent)} requests sent (+${num(s.spend.cacheHits)} answered from the cache), tokens ${num(s.spend.promptTokens)} prompt / ${num(s.spend.completionTokens)} completion`,
    `faults:      ${list(s.faults)}; retries ${num(s.retries)}, failed requests ${num(s.failures)}`,
    `malformed:   ${num(s.malformed.attemptsNoAnswer)} solve attempts stated no final answer, ${num(s.malformed.problemsNoAnswer)} problems with no attempt that could count; ${num(s.malformed.labels)} labels broke the requested format (${num(s.malformed.labelReasks)} asked again); ${num(s.malformed.mutations)} mutations unparseable or without a final answer`,
    `truncated:   ${num(s.truncation.attempts)} solve attempts cut at max_tokens (left out of solve-rates), ${num(s.truncation.problemsAllCut)} problems with every attempt cut, ${num(s.truncation.mutationsCut)} mutations cut`,
  );
  if (s.cost) {
    const c = s.cost;
    lines.push(
      `cost:        ${formatMoney(c.amount, c.currency)}${c.batchAmount > 0 ? ` (${formatMoney(c.batchAmount, c.currency)} of it through batch files, at ${Math.round(c.batchDiscount * 100)}% off)` : ''}, at the configured pricing`,
    );
  }
  if (s.batch) {
    const b = s.batch;
    lines.push(
      `batch:       ${num(b.files.waiting)} file(s) waiting for outputs (${num(b.waitingRequests)} requests${b.waitingFiles.length ? `: ${b.waitingFiles.slice(0, 3).join(', ')}${b.waitingFiles.length > 3 ? ', ...' : ''}` : ''}), ${num(b.files.returned)} returned and partly answered, ${num(b.files.done)} done`,
    );
  }
  if (s.judge.attempts > 0)
    lines.push(
      `judge:       ${num(s.judge.attempts)} solve attempts no rule could decide were decided by the judge, ${num(s.judge.accepted)} of them correct`,
    );
  return `${lines.join('\n')}\n`;
}

/** `supports_n false (detected), ...`: each decided model setting and where it came from. */
export function formatDecided(d: DecidedSettings): string {
  return Object.entries(d)
    .map(([key, { value, source }]) => `${key} ${value === null ? 'none' : String(value)} (${source})`)
    .join(', ');
}
