import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { WAITING_EXIT_CODE, waitingMessage } from '../batch/instructions.js';
import type { Override } from '../config/load.js';
import { ConfigSchema } from '../config/schema.js';
import { REDACTED } from '../config/storable.js';
import { lockedChanges } from '../engine/config-drift.js';
import { executeRun, isRunDirectory, storedRun } from '../engine/execute.js';
import { acquireRunLock } from '../storage/lock.js';
import { UnreadableRun } from '../storage/run-file.js';
import { DB_FILE } from '../storage/sqlite-store.js';
import { UserError } from '../util/errors.js';
import { abortOnSignals } from '../util/interrupt.js';
import { addBackendOptions, addConfigOptions, type ConfigFlags, resolveConfig } from './config-options.js';
import { printStatus } from './status.js';

interface RunFlags extends ConfigFlags {
  generations?: string;
  scheduler?: string;
  seeds?: string;
  skipInvalid?: boolean;
  seed?: string;
  quiet?: boolean;
  allowConfigChange?: boolean;
  forceNew?: boolean;
  batchFiles?: boolean;
  metricsPort?: string;
}

export function register(program: Command): void {
  const cmd = program
    .command('run')
    .description(
      'Grow a pool of problems from the seeds (SPARQ); running it again on the same directory resumes',
    )
    .argument('<dir>', 'run directory (created if missing)')
    .option('--generations <n>', 'stop after this many generations (budget.generations)')
    .option(
      '--scheduler <kind>',
      'steady (a window of live tasks) or generations (a barrier per generation) (scheduler.kind)',
    )
    .option('--seed <n>', 'master seed (seed)')
    .option('--seeds <file>', 'seed problems, JSONL (seeds.path)')
    .option('--skip-invalid', 'skip malformed seed lines and report how many (seeds.skip_invalid)')
    .option('-q, --quiet', 'no progress output')
    .option(
      '--metrics-port <port>',
      'serve Prometheus metrics on http://127.0.0.1:PORT/metrics while the run runs (metrics.port)',
    )
    .option(
      '--batch-files',
      `write requests to DIR/batches as OpenAI Batch files instead of sending them; exits ${WAITING_EXIT_CODE} until their outputs are there (batch.files)`,
    )
    .option('--allow-config-change', "resume even though settings that change results differ from the run's")
    .option(
      '--force-new',
      'start a new run over an empty or damaged run database (it is kept aside as sparq.db.broken-<time>)',
    );
  addBackendOptions(addConfigOptions(cmd)).action(async (dir: string, flags: RunFlags) => {
    const extra: Override[] = [];
    if (flags.generations !== undefined)
      extra.push({ path: 'budget.generations', value: flags.generations, flag: '--generations' });
    if (flags.scheduler !== undefined)
      extra.push({ path: 'scheduler.kind', value: flags.scheduler, flag: '--scheduler' });
    if (flags.seed !== undefined) extra.push({ path: 'seed', value: flags.seed, flag: '--seed' });
    if (flags.seeds !== undefined) extra.push({ path: 'seeds.path', value: flags.seeds, flag: '--seeds' });
    if (flags.skipInvalid) extra.push({ path: 'seeds.skip_invalid', value: true, flag: '--skip-invalid' });
    if (flags.metricsPort !== undefined)
      extra.push({ path: 'metrics.port', value: flags.metricsPort, flag: '--metrics-port' });
    if (flags.batchFiles) extra.push({ path: 'batch.files', value: true, flag: '--batch-files' });
    if (flags.forceNew) setAsideBrokenRun(dir);
    const stored = storedRun(dir);
    // A run from before sparq knew a context length had none: resumed, it must not gain one.
    const storedModel = stored?.config?.model as Record<string, unknown> | undefined;
    if (storedModel && !('context_tokens' in storedModel)) storedModel.context_tokens = null;
    // Nor, from before the near-duplicate screen, a screen: its earlier problems have no band keys.
    const storedGeneration = stored?.config?.generation as Record<string, unknown> | undefined;
    if (storedGeneration && !('near_duplicate_threshold' in storedGeneration))
      storedGeneration.near_duplicate_threshold = null;
    // Nor, from before malformed content was its own class, its handling: attempts without an
    // answer counted wrong, labels never asked again.
    const storedSolver = stored?.config?.solver as Record<string, unknown> | undefined;
    if (storedSolver && !('no_answer' in storedSolver)) storedSolver.no_answer = 'wrong';
    const storedLabeling = stored?.config?.labeling as Record<string, unknown> | undefined;
    if (storedLabeling && !('malformed_retries' in storedLabeling)) storedLabeling.malformed_retries = 0;
    // Header values are not kept (they may be secrets): they come from the configuration again.
    const storedHeaders = (storedModel?.headers as Record<string, string> | undefined) ?? {};
    const blanked = Object.keys(storedHeaders).filter((h) => storedHeaders[h] === REDACTED);
    if (storedModel)
      storedModel.headers = Object.fromEntries(
        Object.entries(storedHeaders).filter(([, v]) => v !== REDACTED),
      );
    // A resumed run starts from its own configuration; the file, environment and flags override it.
    const config = resolveConfig(
      flags,
      process.env,
      extra,
      stored?.config && {
        config: stored.config,
        label: `the configuration stored with the run in ${dir}; override it with -c, --set or the environment`,
      },
    );
    const missing = blanked.filter((h) => !(h in config.model.headers) && !(h in config.model.header_env));
    if (missing.length > 0)
      throw new UserError(
        `this run was started with the header(s) ${missing.join(', ')}, whose values are not stored with it: give them again (-c with the same model.headers, or model.header_env)`,
      );
    // Before anything was committed (e.g. a run that stopped on a bad seed file) there is nothing to protect.
    if (stored?.config && stored.committed && !flags.allowConfigChange) {
      const changes = lockedChanges(ConfigSchema.parse(stored.config), config);
      if (changes.length > 0) {
        throw new UserError(
          `${dir} was run with other settings that change results:\n${changes.map((c) => `  - ${c.key}: ${c.from} -> ${c.to}`).join('\n')}\n` +
            'Use a new run directory, or pass --allow-config-change to resume with the new settings anyway.',
        );
      }
    }
    const controller = new AbortController();
    const stopListening = abortOnSignals(controller);
    try {
      const result = await executeRun(dir, config, { quiet: flags.quiet, signal: controller.signal });
      if (!flags.quiet) process.stderr.write(`run stopped at ${result.stoppedBy}\n`);
      printStatus(dir, false);
      if (result.waitingForBatches && result.batch && result.batch.waiting.length > 0) {
        process.stderr.write(
          `${waitingMessage(dir, result.batch.written, result.batch.waiting, config.model.model)}\n`,
        );
        process.exitCode = WAITING_EXIT_CODE;
      }
    } finally {
      stopListening();
    }
  });
}

/**
 * `--force-new`: an empty or damaged database is moved aside (never deleted) so that a new run
 * can start in its directory; a database that opens is refused, since resuming it is the job.
 */
function setAsideBrokenRun(dir: string): void {
  if (!isRunDirectory(dir)) return;
  const lock = acquireRunLock(dir, `sparq run ${dir} --force-new`);
  try {
    storedRun(dir);
  } catch (err) {
    if (!(err instanceof UnreadableRun)) throw err;
    const aside = join(dir, `${DB_FILE}.broken-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    for (const suffix of ['', '-wal', '-shm'])
      if (existsSync(join(dir, DB_FILE + suffix))) renameSync(join(dir, DB_FILE + suffix), aside + suffix);
    process.stderr.write(
      `note: the run database of ${dir} could not be read; kept aside as ${aside}, starting a new run\n`,
    );
    return;
  } finally {
    lock.release();
  }
  throw new UserError(
    `--force-new: ${dir} holds a run that opens fine; resume it with \`sparq run ${dir}\`, or start the new run in another directory`,
  );
}
