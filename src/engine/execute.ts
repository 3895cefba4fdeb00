/**
 * Running SPARQ in a run directory: lock it, open or create its database, record the
 * configuration and sparq version, run, and always release what was taken. Shared by
 * `sparq run` and `sparq demo`.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { createBackend } from '../backends/create.js';
import type { SparqConfig } from '../config/schema.js';
import { acquireRunLock } from '../storage/lock.js';
import { DB_FILE, SqliteRunStore } from '../storage/sqlite-store.js';
import { UserError } from '../util/errors.js';
import { sha256Hex } from '../util/hash.js';
import { SPARQ_VERSION } from '../version.js';
import { limitHeapGrowth } from './heap-growth.js';
import { createProgress } from './progress.js';
import { type RunResult, SparqRun } from './runner.js';

export const LOG_FILE = join('logs', 'run.jsonl');

export function isRunDirectory(dir: string): boolean {
  return existsSync(join(dir, DB_FILE));
}

export function configHash(config: SparqConfig): string {
  return sha256Hex(JSON.stringify(config)).slice(0, 16);
}

export interface ExecuteOptions {
  quiet?: boolean;
  /** Aborts the run cleanly (Ctrl-C): the committed generations stay, the rest resumes later. */
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
}

export async function executeRun(
  dir: string,
  config: SparqConfig,
  options: ExecuteOptions = {},
): Promise<RunResult> {
  mkdirSync(dir, { recursive: true });
  const lock = acquireRunLock(dir, `sparq run ${dir}`);
  limitHeapGrowth();
  // Synchronous writes: a few lines per generation, and nothing is lost when the process is killed.
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
  const progress = createProgress(process.stderr, options.quiet);
  let store: SqliteRunStore | null = null;
  const backend = createBackend(config.model, options.env ?? process.env, {
    onRetry: (info) => logger.warn({ event: 'retry', ...info }, 'model request retried'),
  });
  try {
    store = SqliteRunStore.open(dir);
    if (!store.getMeta('run_id')) {
      store.setMeta('run_id', sha256Hex(`${dir}|${Date.now()}|${process.pid}`).slice(0, 12));
      store.setMeta('created_at', new Date().toISOString());
      store.setMeta('created_by', `sparq ${SPARQ_VERSION}`);
    }
    store.saveConfigSnapshot(JSON.stringify(config), configHash(config), SPARQ_VERSION);
    logger.info(
      {
        event: 'start',
        dir,
        configHash: configHash(config),
        backend: backend.description,
        sparq: SPARQ_VERSION,
      },
      'run started',
    );
    const run = new SparqRun({ store, config, backend, logger, progress, signal: options.signal });
    return await run.run();
  } catch (err) {
    logger.error(
      { event: 'error', message: err instanceof Error ? err.message : String(err) },
      'run stopped',
    );
    if (options.signal?.aborted)
      throw new UserError(
        `interrupted; the committed generations are kept: resume with \`sparq run ${dir}\``,
        130,
      );
    if (err instanceof UserError) throw err;
    throw new UserError(
      `${err instanceof Error ? err.message : String(err)}\nThe run stopped; committed generations are kept and finished requests are cached. Fix the cause and resume with \`sparq run ${dir}\`.`,
      1,
    );
  } finally {
    progress.close();
    await backend.close();
    store?.close();
    destination.end();
    lock.release();
  }
}

/**
 * The configuration a run directory was last run with and how many generations it committed;
 * undefined for a new directory.
 */
export function storedRun(
  dir: string,
): { config: Record<string, unknown> | undefined; generations: number } | undefined {
  if (!isRunDirectory(dir)) return undefined;
  const store = SqliteRunStore.open(dir, { create: false });
  try {
    const snapshot = store.latestConfig();
    return {
      config: snapshot ? (JSON.parse(snapshot.configJson) as Record<string, unknown>) : undefined,
      generations: store.generations().length,
    };
  } finally {
    store.close();
  }
}
