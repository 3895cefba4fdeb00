/**
 * From a validated configuration to what each part of a run needs: the core's cell space and
 * selection settings, the pipeline's sampling settings, the scheduler's window, commits and
 * budgets. One place, so a setting means the same thing everywhere.
 */
import type { ModelSettings } from '../backends/capabilities.js';
import { batchMode, MAX_LIVE_TASKS, type SparqConfig } from '../config/schema.js';
import type { CellSpace } from '../core/cells.js';
import type { CoreConfig } from '../core/qd-core.js';
import type { Taxonomy } from '../domain/taxonomy.js';
import { labelResponseFormat } from './labels.js';
import type { PipelineSettings } from './pipeline.js';
import type { SchedulerSettings } from './scheduler.js';

/** The configuration of a run once the model settings left on `auto` are decided (src/engine/doctor.ts). */
export type RunConfig = Omit<SparqConfig, 'model'> & { model: ModelSettings };

export function cellSpace(config: Pick<SparqConfig, 'archive'>, taxonomy: Taxonomy): CellSpace {
  return {
    skills: taxonomy.skills,
    bands: config.archive.difficulty_dimension ? config.archive.difficulty_bands : null,
  };
}

export function coreConfig(config: RunConfig | SparqConfig, taxonomy: Taxonomy): CoreConfig {
  return {
    seed: config.seed,
    capacity: config.archive.cell_capacity,
    space: cellSpace(config, taxonomy),
    strategy: config.selection.strategy,
    frontier: config.selection.frontier,
    operators: config.generation.operators,
  };
}

export function pipelineSettings(config: RunConfig, taxonomy: Taxonomy): PipelineSettings {
  const { generation, labeling, solver, archive } = config;
  return {
    seed: config.seed,
    generation: {
      temperature: generation.temperature,
      topP: generation.top_p,
      maxTokens: generation.max_tokens,
      maxProblemChars: generation.max_problem_chars,
    },
    labeling: {
      temperature: labeling.temperature,
      maxTokens: labeling.max_tokens,
      responseFormat: config.model.json_schema ? labelResponseFormat(taxonomy) : undefined,
      malformedRetries: labeling.malformed_retries,
    },
    solve: {
      k: solver.k,
      temperature: solver.temperature,
      topP: solver.top_p,
      maxTokens: solver.max_tokens,
      disputedMajority: solver.disputed_majority,
      truncated: solver.truncated,
      noAnswer: solver.no_answer,
      adaptive: {
        enabled: solver.adaptive.enabled,
        roundSize: solver.adaptive.round_size,
        maxK: solver.adaptive.max_k,
        confidence: solver.adaptive.confidence,
      },
      bands: archive.difficulty_bands,
    },
  };
}

/**
 * Live tasks per request slot that keep every slot busy, measured (bench/utilization.bench.ts
 * and an event simulation of the scheduler) with log-normal latency (sigma 0.9): outcomes are
 * told in task order, so tasks that finished behind a slow one hold window places without
 * holding requests. 16 slot-fills of tasks reached >= 0.98 of the slots in every case tried;
 * 8 reached only 0.83-0.92.
 */
export const WINDOW_FILLS = 16;

/**
 * The default window: enough live tasks to keep `max_concurrency` requests in flight; in batch
 * mode, enough to fill `batch.max_requests` in one round trip. A task
 * has on average about 1.5 requests in flight with n>1 (mutate, then label and solve at once),
 * and (k+2)/2 when each of the k attempts is its own request.
 */
export function defaultWindow(config: RunConfig): number {
  const { model, solver } = config;
  const k = solver.adaptive.enabled ? solver.adaptive.round_size : solver.k;
  // In batch mode a round trip takes hours, not slots: as many tasks as fill one round's files,
  // whose largest round is every live task's label and solve requests at once.
  if (batchMode(config))
    return Math.min(
      MAX_LIVE_TASKS,
      Math.max(1, Math.floor(config.batch.max_requests / (1 + (model.supports_n ? 1 : k)))),
    );
  const perTask = model.supports_n ? 1.5 : (k + 2) / 2;
  return Math.max(1, Math.ceil((WINDOW_FILLS * model.max_concurrency) / perTask));
}

/** Mutate, label, and the solve requests: k of them without n>1, one per adaptive round with it. */
export function maxRequestsPerTask(config: RunConfig): number {
  const { solver, model } = config;
  const attempts = solver.adaptive.enabled ? solver.adaptive.max_k : solver.k;
  const rounds = solver.adaptive.enabled ? Math.ceil(attempts / solver.adaptive.round_size) : 1;
  return 2 + (model.supports_n ? rounds : attempts);
}

export function schedulerSettings(config: RunConfig): SchedulerSettings {
  const { scheduler } = config;
  return {
    kind: scheduler.kind,
    window:
      scheduler.window ??
      (scheduler.kind === 'generations' ? config.generation.batch_size : defaultWindow(config)),
    windowExplicit: scheduler.window !== null,
    commitTasks: scheduler.commit_tasks,
    commitMs: Math.round(scheduler.commit_seconds * 1000),
    batchSize: config.generation.batch_size,
    maxRequestsPerTask: maxRequestsPerTask(config),
    budget: { ...config.budget },
  };
}
