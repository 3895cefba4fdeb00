/**
 * Running SPARQ in a run directory: lock it, open or create its database, record the
 * configuration and sparq version, wire the run together (backend -> gateway -> pipeline ->
 * scheduler -> core and store), run, and always release what was taken. Shared by `sparq run`
 * and `sparq demo`.
 */

import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { AnswerChecker } from '../answer/index.js';
import type { Capabilities, DecidedSettings } from '../backends/capabilities.js';
import { createBackend } from '../backends/create.js';
import { requestHeaders } from '../backends/openai-http.js';
import type { ModelBackend } from '../backends/types.js';
import { BatchApiClient } from '../batch/api-client.js';
import { type ApiModeSettings, awaitBatches } from '../batch/api-mode.js';
import type { ReturnedSummary } from '../batch/files.js';
import { BatchRound, type BatchRoundReport } from '../batch/round.js';
import { batchMode, type SparqConfig } from '../config/schema.js';
import { storableConfig } from '../config/storable.js';
import { QDCore } from '../core/qd-core.js';
import { SUBJECTS } from '../domain/subjects.js';
import { formatTaxonomy, loadTaxonomy } from '../domain/taxonomy.js';
import { runMetrics } from '../metrics/run-metrics.js';
import { type MetricsServer, startMetricsServer } from '../metrics/server.js';
import { loadTemplate, type TemplateId } from '../prompts/templates.js';
import { loadSeeds, type SeedProblem } from '../seeds/load.js';
import { acquireRunLock } from '../storage/lock.js';
import type { RunStore } from '../storage/run-store.js';
import { DB_FILE, SqliteRunStore } from '../storage/sqlite-store.js';
import { readStoredConfig } from '../storage/stored-config.js';
import { UserError } from '../util/errors.js';
import { Rng, sha256Hex } from '../util/hash.js';
import { interruptExitCode } from '../util/interrupt.js';
import { SPARQ_VERSION } from '../version.js';
import { type PreparedModel, prepareModel } from './doctor.js';
import { createBatchGateway, createGateway, RequestTally, SpendLedger } from './gateway/index.js';
import { limitHeapGrowth } from './heap-growth.js';
import { AnswerJudge, judgeEndpoint } from './judge.js';
import { NearDuplicateScreen } from './near-duplicates.js';
import { TaskPipeline } from './pipeline.js';
import { createProgress, type ProgressReporter } from './progress.js';
import { coreConfig, pipelineSettings, type RunConfig, schedulerSettings } from './run-settings.js';
import { type RunResult, Scheduler } from './scheduler.js';

export const LOG_FILE = join('logs', 'run.jsonl');

export function isRunDirectory(dir: string): boolean {
  return existsSync(join(dir, DB_FILE));
}

export function configHash(config: SparqConfig): string {
  return sha256Hex(JSON.stringify(storableConfig(config))).slice(0, 16);
}

export interface ExecuteOptions {
  quiet?: boolean;
  /** Aborts the run cleanly (Ctrl-C): the committed prefix stays, the rest resumes later. */
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  /** A backend to use instead of the configured one (tests drive runs in process this way). */
  backend?: ModelBackend;
  /** The same for the model judge (`verifier.judge`). */
  judgeBackend?: ModelBackend;
  progress?: ProgressReporter;
}

/** How a run stopped; in batch mode, with what its last round read and wrote. */
export type ExecuteResult = RunResult & { batch?: BatchRoundReport };

export async function executeRun(
  dir: string,
  config: SparqConfig,
  options: ExecuteOptions = {},
): Promise<ExecuteResult> {
  mkdirSync(dir, { recursive: true });
  const lock = acquireRunLock(dir, `sparq run ${dir}`);
  limitHeapGrowth();
  // Synchronous writes: a few lines per epoch, and nothing is lost when the process is killed.
  const destination = pino.destination({ dest: join(dir, LOG_FILE), mkdir: true, sync: true });
  const logger = pino(
    {
      level: config.log_level,
      base: { pid: process.pid },
      // Belt and braces: sparq never logs credentials, and these paths are blanked if it ever tried.
      redact: {
        paths: ['*.authorization', '*.headers', 'headers', 'apiKey', '*.apiKey'],
        censor: '[redacted]',
      },
    },
    destination,
  );
  const progress = options.progress ?? createProgress(process.stderr, options.quiet);
  let store: SqliteRunStore | null = null;
  let backend: ModelBackend | null = null;
  let judgeBackend: ModelBackend | null = null;
  let metrics: MetricsServer | null = null;
  try {
    const env = options.env ?? process.env;
    const mode = batchMode(config);
    const model = await prepareModel(config.model, {
      env,
      batch: mode !== null,
      backend: options.backend,
      signal: options.signal,
      onWait: (message) => progress.warn(message),
      startedWith: startedWith(dir),
    });
    for (const warning of model.report?.warnings ?? []) {
      progress.warn(`warning: ${warning}`);
      logger.warn({ event: 'doctor', warning }, 'model endpoint');
    }
    const runConfig: RunConfig = { ...config, model: model.settings };
    // In batch mode nothing is sent online but the judge's requests.
    backend = mode ? null : (options.backend ?? createBackend(runConfig.model, env));
    const judge = config.verifier.judge ? judgeEndpoint(config.verifier.judge, model.settings) : null;
    judgeBackend = judge ? (options.judgeBackend ?? createBackend(judge, env)) : null;
    // Opened once the endpoint answered: a first start that never reached it leaves no run behind.
    store = SqliteRunStore.open(dir);
    if (!store.getMeta('run_id')) {
      store.setMeta('run_id', sha256Hex(`${dir}|${Date.now()}|${process.pid}`).slice(0, 12));
      store.setMeta('created_at', new Date().toISOString());
      store.setMeta('created_by', `sparq ${SPARQ_VERSION}`);
    }
    store.saveConfigSnapshot({
      configJson: JSON.stringify(storableConfig(config)),
      configHash: configHash(config),
      sparqVersion: SPARQ_VERSION,
      detectedJson: JSON.stringify({ settings: model.decided, capabilities: stableCapabilities(model) }),
    });
    const batch = mode
      ? new BatchRound(
          dir,
          store.batchStore(),
          {
            model: runConfig.model.model,
            supportsN: runConfig.model.supports_n,
            jsonSchema: runConfig.model.json_schema,
            maxRetries: runConfig.model.max_retries,
          },
          config.batch,
        )
      : null;
    const seeds = runSeeds(runConfig, progress, logger);
    const tally = new RequestTally();
    let current: Scheduler | null = null;
    if (config.metrics.port !== null) {
      const runStore = store;
      metrics = await startMetricsServer(config.metrics.host, config.metrics.port, () =>
        runMetrics({ store: runStore, tally, inFlight: () => current?.inFlight() ?? 0 }),
      );
      progress.line(`metrics: ${metrics.url}`);
      logger.info({ event: 'metrics', url: metrics.url }, 'serving metrics');
    }
    const batchApi =
      mode === 'api'
        ? new BatchApiClient(
            runConfig.model.base_urls[0]!,
            requestHeaders(runConfig.model, env),
            runConfig.model.timeout_ms,
          )
        : null;
    const apiSettings: ApiModeSettings = {
      runId: store.getMeta('run_id')!,
      completionWindow: config.batch.completion_window,
      pollInitialS: config.batch.poll_initial_s,
      pollMaxS: config.batch.poll_max_s,
      outageToleranceS: config.model.outage_tolerance_s,
    };
    // One round online; in batch mode, one per round trip of files (API mode waits for them here).
    for (let round = 0; ; round++) {
      const returned = await batch?.begin();
      if (returned && returned.files > 0) {
        progress.line(describeReturned(returned));
        logger.info({ event: 'batch_returned', ...returned }, 'batch outputs read');
      }
      const scheduler = assembleRun({
        config: runConfig,
        store,
        backend,
        judgeBackend,
        progress,
        logger,
        signal: options.signal,
        seeds,
        batch,
        tally,
      });
      current = scheduler;
      if (round === 0)
        logger.info(
          {
            event: 'start',
            dir,
            configHash: configHash(config),
            backend: backend?.description ?? `batch files (${mode})`,
            judge: judgeBackend?.description ?? null,
            model: model.decided,
            scheduler: config.scheduler.kind,
            window: scheduler.windowSize,
            sparq: SPARQ_VERSION,
          },
          'run started',
        );
      const result = await scheduler.run();
      if (!batch) return result;
      const report = batch.end(store);
      logger.info(
        {
          event: 'batch_round',
          answered: report.answered,
          written: report.written.map((f) => ({ name: f.name, lines: f.lines, bytes: f.bytes })),
          waiting: report.waiting.map((f) => f.name),
        },
        'batch round ended',
      );
      if (!result.waitingForBatches || report.waiting.length === 0) return { ...result, batch: report };
      if (mode === 'files' || !batchApi) return { ...result, batch: report };
      await awaitBatches(dir, batch.store, batchApi, apiSettings, progress, logger, options.signal);
    }
  } catch (err) {
    logger.error(
      { event: 'error', message: err instanceof Error ? err.message : String(err) },
      'run stopped',
    );
    if (options.signal?.aborted)
      throw new UserError(
        `interrupted; everything told so far is committed: resume with \`sparq run ${dir}\``,
        interruptExitCode(options.signal.reason),
      );
    if (err instanceof UserError) throw err;
    throw new UserError(
      `${err instanceof Error ? err.message : String(err)}\nThe run stopped; what was told is committed and finished requests are cached. Fix the cause and resume with \`sparq run ${dir}\`.`,
      1,
    );
  } finally {
    // Each step on its own: a store that fails to close (a full disk) must not keep the lock
    // taken, nor replace the error the run stopped with.
    const steps: (() => unknown)[] = [
      () => metrics?.close(),
      () => progress.close(),
      () => backend?.close(),
      () => judgeBackend?.close(),
      () => store?.close(),
      () => destination.end(),
      () => lock.release(),
    ];
    for (const step of steps) {
      try {
        await step();
      } catch (err) {
        logger.error(
          { event: 'cleanup', message: err instanceof Error ? err.message : String(err) },
          'cleanup failed',
        );
      }
    }
  }
}

/**
 * The endpoint settings a run that has committed work decided when it first started, from its
 * oldest snapshot that has them; null for a new run.
 */
function startedWith(dir: string): DecidedSettings | null {
  if (!isRunDirectory(dir)) return null;
  const stored = readStoredConfig(dir);
  const json = stored.committed ? stored.firstDetected : null;
  return json ? ((JSON.parse(json) as { settings?: DecidedSettings }).settings ?? null) : null;
}

/** What the endpoint was found to do, less the latency, which differs at every start. */
function stableCapabilities(model: PreparedModel): Omit<Capabilities, 'latencyMs'> | null {
  if (!model.report) return null;
  const { latencyMs: _latency, ...stable } = model.report.capabilities;
  return stable;
}

export interface RunParts {
  config: RunConfig;
  store: RunStore;
  /** The model's backend; null in batch mode, where `batch` answers instead. */
  backend: ModelBackend | null;
  /** The model judge's backend, when `verifier.judge` is set (else the rules alone decide). */
  judgeBackend?: ModelBackend | null;
  progress: ProgressReporter;
  logger: pino.Logger;
  signal?: AbortSignal;
  /** The run's seeds, when the caller has loaded them already (else they are loaded here). */
  seeds?: SeedProblem[];
  /** Batch mode: the round whose dispatcher answers from batch files and defers the rest. */
  batch?: BatchRound | null;
  /** Counts the run's requests by purpose and outcome, for /metrics. */
  tally?: RequestTally | null;
}

/**
 * Wires one run together: backend -> gateway -> pipeline, the core resumed from the store's last
 * commit, and the scheduler over them. Nothing is sent until the scheduler runs.
 */
export function assembleRun({
  config,
  store,
  backend,
  judgeBackend,
  progress,
  logger,
  signal,
  seeds,
  batch,
  tally = null,
}: RunParts): Scheduler {
  const resumeFrom = store.loadProgress();
  const taxonomy = loadTaxonomy(config.taxonomy);
  const template = (id: TemplateId) => loadTemplate(id, config.prompts_dir);
  const onRetry = (info: Record<string, unknown>) =>
    logger.warn({ event: 'retry', ...info }, 'model request retried');
  let model: ReturnType<typeof createGateway>;
  if (batch) {
    const ledger = new SpendLedger();
    model = createBatchGateway(config.model, batch.dispatcherFor(ledger), store, ledger, tally);
  } else if (backend) model = createGateway(config.model, backend, store, onRetry, undefined, tally);
  else throw new Error('a run needs a backend or a batch round');
  const { gateway, ledger, inFlight } = model;
  const judgeConfig = config.verifier.judge;
  const judgeGateway =
    judgeConfig && judgeBackend
      ? createGateway(judgeEndpoint(judgeConfig, config.model), judgeBackend, store, onRetry, ledger, tally)
      : null;
  const judge =
    judgeConfig && judgeGateway
      ? new AnswerJudge(judgeGateway.gateway, template('judge'), {
          maxTokens: judgeConfig.max_tokens,
          responseChars: judgeConfig.response_chars,
        })
      : null;
  store.trackSpend(ledger);
  const pipeline = new TaskPipeline({
    gateway,
    checker: new AnswerChecker(),
    templates: {
      vary: template('vary'),
      harder: template('harder'),
      combine: template('combine'),
      solve: template('solve'),
      label: template('label'),
    },
    taxonomy,
    taxonomyText: formatTaxonomy(taxonomy),
    settings: pipelineSettings(config, taxonomy),
    judge,
  });
  return new Scheduler({
    store,
    core: new QDCore(coreConfig(config, taxonomy), resumeFrom?.core),
    pipeline,
    seeds: seeds ?? runSeeds(config, progress, logger),
    ledger,
    settings: schedulerSettings(config),
    progress,
    logger,
    resumeFrom,
    inFlight,
    slots: batch ? undefined : config.model.max_concurrency,
    signal,
    batch: batch && {
      blocked: () => batch.blocked(),
      activity: () => batch.activity(),
      otherInFlight: () => judgeGateway?.busy() ?? 0,
    },
    nearDuplicates:
      config.generation.near_duplicate_threshold === null
        ? null
        : new NearDuplicateScreen(config.generation.near_duplicate_threshold),
  });
}

/** What reading the returned batch files found, as one progress line. */
function describeReturned(r: ReturnedSummary): string {
  const extra = [
    r.errors > 0 ? `${r.errors} failed lines (sent again under model.max_retries)` : '',
    r.unreadable > 0 ? `${r.unreadable} unreadable lines (a file cut short?)` : '',
    r.ignored > 0 ? `${r.ignored} lines for requests this run did not write or sent again since` : '',
  ].filter(Boolean);
  return `batch: read ${r.files} returned file(s): ${r.answers} answers${extra.length ? `, ${extra.join(', ')}` : ''}`;
}

/**
 * The run's seeds in task order: the seed file, or the sample of it the configuration asks for,
 * less seeds over generation.max_problem_chars (skipped with --skip-invalid or from a bundled
 * set, else refused with their line). The sample is drawn first, so the limit does not change it.
 */
function runSeeds(config: RunConfig, progress: ProgressReporter, logger: pino.Logger): SeedProblem[] {
  const loaded = loadSeeds(config.seeds.path, {
    skipInvalid: config.seeds.skip_invalid,
    maxProblemChars: config.generation.max_problem_chars,
  });
  if (loaded.skipped.length > 0) {
    progress.warn(
      `seeds: skipped ${loaded.skipped.length} invalid line(s) of ${loaded.file} (first: line ${loaded.skipped[0]!.line}: ${loaded.skipped[0]!.reason})`,
    );
    logger.warn({ file: loaded.file, skipped: loaded.skipped }, 'invalid seed lines skipped');
  }
  if (loaded.unknownSubjects.length > 0) {
    const first = loaded.unknownSubjects[0]!;
    progress.warn(
      `warning: ${loaded.unknownSubjects.length} seed(s) name a subject that is not one of ${SUBJECTS.join(', ')}; the model's label decides theirs (first: ${loaded.file}:${first.line}: ${JSON.stringify(first.subject)})`,
    );
    logger.warn(
      { file: loaded.file, unknownSubjects: loaded.unknownSubjects },
      'seed subjects not in the taxonomy',
    );
  }
  const sampled = sampleSeeds(loaded.seeds, config);
  const long = sampled.filter((s) => loaded.tooLong.has(s.id));
  if (long.length === 0) return sampled;
  const lines = long.map(
    (s) => `${loaded.file}:${loaded.tooLong.get(s.id)!.line}: ${loaded.tooLong.get(s.id)!.reason}`,
  );
  if (!config.seeds.skip_invalid && !config.seeds.path.startsWith('bundled:'))
    throw new UserError(
      `${long.length} seed problem(s) too long to send:\n${lines.map((l) => `  ${l}`).join('\n')}\nRaise generation.max_problem_chars, or pass --skip-invalid (seeds.skip_invalid: true) to skip them.`,
    );
  if (long.length === sampled.length)
    throw new UserError(
      `every seed problem is over generation.max_problem_chars (${config.generation.max_problem_chars}); first: ${lines[0]}. Raise the limit or give shorter seeds.`,
    );
  progress.warn(`seeds: skipped ${long.length} over generation.max_problem_chars (first: ${lines[0]})`);
  logger.warn({ file: loaded.file, tooLong: lines }, 'seeds over the problem length limit skipped');
  return sampled.filter((s) => !loaded.tooLong.has(s.id));
}

function sampleSeeds(seeds: SeedProblem[], config: RunConfig): SeedProblem[] {
  if (config.seeds.sample === null || config.seeds.sample >= seeds.length) return seeds;
  const rng = Rng.from(config.seed, 'seed-sample');
  const order = seeds.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const keep = new Set(order.slice(0, config.seeds.sample));
  return seeds.filter((_, i) => keep.has(i));
}

/**
 * The configuration a run directory was last run with and whether it committed anything;
 * undefined for a new directory.
 */
export function storedRun(
  dir: string,
): { config: Record<string, unknown> | undefined; committed: boolean } | undefined {
  if (!isRunDirectory(dir)) return undefined;
  const stored = readStoredConfig(dir);
  return {
    config:
      stored.configJson === null ? undefined : (JSON.parse(stored.configJson) as Record<string, unknown>),
    committed: stored.committed,
  };
}
