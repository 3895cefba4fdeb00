/**
 * `sparq plan`: what the configured run will cost before it is started. A short pilot runs the
 * configuration against its own endpoint (or the sim) in a scratch directory, first the seeds
 * alone, then a few generations; what a seed task and a mutation task used there is scaled to
 * the configured budget. The estimate is arithmetic on those measurements (`estimatePlan`), so it
 * is as good as the pilot is like the run: the same model and server, a sample of the same seeds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PricingConfig, SparqConfig } from '../config/schema.js';
import { SqliteRunStore } from '../storage/sqlite-store.js';
import { UserError } from '../util/errors.js';
import { interruptExitCode } from '../util/interrupt.js';
import { type Cost, costOf } from './cost.js';
import { executeRun } from './execute.js';

/** What one kind of task used in the pilot, on average. */
export interface TaskUse {
  tasks: number;
  requests: number;
  promptTokens: number;
  completionTokens: number;
  seconds: number;
}

export interface PilotMeasurement {
  seeds: TaskUse;
  mutations: TaskUse;
  /** Generated problems the mutation tasks put in the pool (accepted, not rejected). */
  generatedProblems: number;
}

export interface PlanBudget {
  /** Seed tasks of the run: the sample, or every valid seed. */
  seeds: number;
  batchSize: number;
  generations: number | null;
  problems: number | null;
  requests: number | null;
  tokens: number | null;
}

export interface PlanEstimate {
  mutationTasks: number | null;
  /** The budget that ends the run first, or null when none bounds it. */
  boundBy: string | null;
  /** Budgets set that the pilot gave nothing to scale by (e.g. budget.problems when no mutation added a problem). */
  unmeasured: string[];
  requests: number | null;
  promptTokens: number | null;
  completionTokens: number | null;
  generatedProblems: number | null;
  cost: Cost | null;
  /** At the pilot's request rate while it ran mutations; null without a bound. */
  seconds: number | null;
  /** Per 1,000 mutation tasks, which holds whatever the budget. */
  perThousandTasks: { requests: number; promptTokens: number; completionTokens: number; cost: Cost | null };
}

const per = (total: number, n: number) => (n > 0 ? total / n : 0);

/**
 * Scales the pilot to the budget: seeds first, then as many mutation tasks as the tightest of
 * the budgets allows. Requests are priced online, or at the batch discount when `batch` is set.
 */
export function estimatePlan(
  pilot: PilotMeasurement,
  budget: PlanBudget,
  pricing: PricingConfig | null,
  batch: boolean,
): PlanEstimate {
  const s = pilot.seeds;
  const m = pilot.mutations;
  const seedRequests = s.requests;
  const seedTokens = s.promptTokens + s.completionTokens;
  const seedScale = per(budget.seeds, s.tasks);
  const mutReq = per(m.requests, m.tasks);
  const mutTok = per(m.promptTokens + m.completionTokens, m.tasks);
  const mutProblems = per(pilot.generatedProblems, m.tasks);
  const bounds: { by: string; tasks: number }[] = [];
  const unmeasured: string[] = [];
  const bound = (by: string, limit: number | null, perTask: number, tasks: (limit: number) => number) => {
    if (limit === null) return;
    if (perTask > 0) bounds.push({ by, tasks: tasks(limit) });
    else unmeasured.push(by);
  };
  if (budget.generations !== null)
    bounds.push({ by: 'budget.generations', tasks: budget.generations * budget.batchSize });
  bound('budget.problems', budget.problems, mutProblems, (p) => p / mutProblems);
  bound('budget.requests', budget.requests, mutReq, (r) => (r - seedRequests * seedScale) / mutReq);
  bound('budget.tokens', budget.tokens, mutTok, (t) => (t - seedTokens * seedScale) / mutTok);
  const tightest = bounds.sort((a, b) => a.tasks - b.tasks)[0] ?? null;
  const tasks = tightest === null ? null : Math.max(0, Math.ceil(tightest.tasks));
  const price = (prompt: number, completion: number): Cost | null =>
    pricing === null
      ? null
      : costOf(
          {
            promptTokens: prompt,
            completionTokens: completion,
            batchPromptTokens: batch ? prompt : 0,
            batchCompletionTokens: batch ? completion : 0,
          },
          pricing,
        );
  const total = (seedPart: number, mutationPart: number) =>
    tasks === null ? null : seedPart * seedScale + per(mutationPart, m.tasks) * tasks;
  const requests = total(s.requests, m.requests);
  const promptTokens = total(s.promptTokens, m.promptTokens);
  const completionTokens = total(s.completionTokens, m.completionTokens);
  // The mutation phase's rate: a pilot's few seeds keep too few requests in flight to measure one.
  const rate = per(m.requests, m.seconds);
  return {
    mutationTasks: tasks,
    boundBy: tightest?.by ?? null,
    unmeasured,
    requests: requests === null ? null : Math.round(requests),
    promptTokens: promptTokens === null ? null : Math.round(promptTokens),
    completionTokens: completionTokens === null ? null : Math.round(completionTokens),
    generatedProblems: tasks === null ? null : Math.round(mutProblems * tasks),
    cost: promptTokens === null || completionTokens === null ? null : price(promptTokens, completionTokens),
    seconds: requests === null || rate === 0 ? null : requests / rate,
    perThousandTasks: {
      requests: mutReq * 1000,
      promptTokens: per(m.promptTokens, m.tasks) * 1000,
      completionTokens: per(m.completionTokens, m.tasks) * 1000,
      cost: price(per(m.promptTokens, m.tasks) * 1000, per(m.completionTokens, m.tasks) * 1000),
    },
  };
}

export interface PilotOptions {
  /** Seeds the pilot evaluates (at most the run's own). */
  seeds: number;
  /** Generations of the run's batch size the pilot runs after the seeds. */
  generations: number;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

/**
 * Runs the pilot in a scratch directory, deleted afterwards. It is the configured run, made
 * small: a sample of its seeds, a few generations, sent online (a batch API would take hours),
 * with no metrics server. Budgets other than generations are lifted so the pilot measures tasks.
 */
export async function runPilot(config: SparqConfig, options: PilotOptions): Promise<PilotMeasurement> {
  const dir = mkdtempSync(join(tmpdir(), 'sparq-plan-'));
  try {
    const pilot = (generations: number): SparqConfig => ({
      ...config,
      model: config.model.kind === 'openai-batch' ? { ...config.model, kind: 'openai' } : config.model,
      seeds: { ...config.seeds, sample: options.seeds },
      budget: { generations, problems: null, requests: null, tokens: null },
      batch: { ...config.batch, files: false },
      metrics: { ...config.metrics, port: null },
    });
    const run = async (generations: number) => {
      try {
        await executeRun(dir, pilot(generations), { quiet: true, env: options.env, signal: options.signal });
      } catch (err) {
        if (options.signal?.aborted)
          throw new UserError('plan interrupted: nothing was kept', interruptExitCode(options.signal.reason));
        // The run's advice (resume the scratch directory) does not apply to a pilot.
        const message = (err instanceof Error ? err.message : String(err))
          .split('\n')
          .filter((line) => !line.startsWith('The run stopped;'))
          .join('\n')
          .replaceAll(dir, "(the pilot's scratch directory)");
        throw new UserError(
          `plan: the pilot run failed: ${message}`,
          err instanceof UserError ? err.exitCode : 1,
        );
      }
      if (options.signal?.aborted)
        throw new UserError('plan interrupted: nothing was kept', interruptExitCode(options.signal.reason));
    };
    const read = () => {
      const store = SqliteRunStore.openReadOnly(dir);
      try {
        const c = store.counters();
        const totals = store.queries.problemTotals();
        // Epoch durations run from the scheduler's start, so they leave out start-up (probing the
        // server, loading the seeds), which a long run pays once.
        const epochs = store.generations();
        return {
          told: store.schedulerProgress()?.told ?? 0,
          requests: c.requests_sent ?? 0,
          promptTokens: c.prompt_tokens ?? 0,
          completionTokens: c.completion_tokens ?? 0,
          generated: totals.total - totals.seeds,
          seedSeconds: epochs
            .filter((e) => e.generation === 0)
            .reduce((t, e) => t + (e.metrics.seconds ?? 0), 0),
          mutationSeconds: epochs
            .filter((e) => e.generation > 0)
            .reduce((t, e) => t + (e.metrics.seconds ?? 0), 0),
        };
      } finally {
        store.close();
      }
    };
    await run(0);
    const a = read();
    await run(options.generations);
    const b = read();
    const seedSeconds = a.seedSeconds;
    const mutationSeconds = b.mutationSeconds;
    return {
      seeds: {
        tasks: a.told,
        requests: a.requests,
        promptTokens: a.promptTokens,
        completionTokens: a.completionTokens,
        seconds: seedSeconds,
      },
      mutations: {
        tasks: b.told - a.told,
        requests: b.requests - a.requests,
        promptTokens: b.promptTokens - a.promptTokens,
        completionTokens: b.completionTokens - a.completionTokens,
        seconds: mutationSeconds,
      },
      generatedProblems: b.generated,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
