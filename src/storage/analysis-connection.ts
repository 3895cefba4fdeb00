/**
 * The connection curation's analysis queries run on. It is not the run's store: a separate
 * better-sqlite3 connection opens the run's `sparq.db` read-only (`readonly: true`), so
 * curation can never write the run's tables, and ATTACHes a results database under the schema
 * name `curation`, where the `curation_*` tables live (src/curation/analysis-store.ts).
 *
 * SQLite attaches every database of a read-only connection read-only too (even `:memory:`),
 * and this better-sqlite3 build takes no URI filenames (`?mode=rwc`), so the results are
 * written by a second, small connection that attaches the same file under the same schema
 * name; the analysis connection sees each committed write at its next read. The results file
 * is `curation.db` in the run directory, created on first use. When that directory cannot be
 * written (a read-only archive, another user's run) it is a scratch file in the OS temporary
 * directory, deleted on close: the commands work, the results are just not kept.
 *
 * Consistency with a run that is writing: the run database is in WAL mode, so every read
 * transaction of this connection sees one committed state. `read(fn)` runs `fn` in one read
 * transaction; each analysis reads the pool inside one, bounded by a pool snapshot (the last
 * problem id: problems are append-only and never updated), so separate transactions agree.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { errorMessage } from '../util/errors.js';
import { BodyCodec } from './body-codec.js';
import { READS_IN_PLACE_FROM } from './migrations.js';
import { registerProblemText } from './problem-rows.js';
import { isNotWritable, openRunReadOnly, sqliteCode, writable } from './run-file.js';

/** The results database of a run directory. */
export const RESULTS_FILE = 'curation.db';
/** The schema name the results database is attached under, on both connections. */
export const RESULTS_SCHEMA = 'curation';

export interface AnalysisConnection {
  /**
   * For curation's analysis queries: `main` is the run database (read-only), `curation` the
   * results (read side; write through `writeResults`), `temp` is writable scratch.
   */
  readonly db: Database.Database;
  readonly runDir: string;
  /** Decodes the bodies of the run's rows (problem-rows.ts). */
  readonly codec: BodyCodec;
  /** True when results written are kept (in the run directory's curation.db). */
  readonly persistent: boolean;
  /** Runs `fn` in one read transaction (nested calls join the outer one). */
  read<T>(fn: () => T): T;
  /**
   * Runs `fn` in one transaction on the results database; on `w`, the results tables are
   * `curation.<table>` as on `db`. Not allowed inside `read` (the read would hold the results
   * file's shared lock that the write waits for).
   */
  writeResults(fn: (w: Database.Database) => void): void;
  close(): void;
}

export interface AnalysisConnectionOptions {
  /**
   * 'read': results are only read, never created or written (`sparq stats`); an absent
   * curation.db reads as empty. Default 'write'.
   */
  results?: 'read' | 'write';
  /** Where the one-time notes (results not kept, run read from a copy) go; default stderr. */
  warn?: (line: string) => void;
}

/** A connection with the results file attached as `curation`, for writing. */
function openWriter(file: string): Database.Database {
  const w = new Database(':memory:');
  try {
    w.pragma('busy_timeout = 5000');
    w.prepare(`ATTACH DATABASE ? AS ${RESULTS_SCHEMA}`).run(file);
    // Takes the write lock and lets it go without writing: fails now, not after a long
    // analysis, when the file cannot be written.
    w.exec('BEGIN IMMEDIATE; ROLLBACK');
    return w;
  } catch (err) {
    w.close();
    throw err;
  }
}

/**
 * Opens the run directory `runDir` for curation. Throws a UserError when it is not a run
 * directory or its database cannot be read.
 */
export function openAnalysisConnection(
  runDir: string,
  options: AnalysisConnectionOptions = {},
): AnalysisConnection {
  const warn = options.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
  const mode = options.results ?? 'write';
  let scratch: string | null = null;
  const scratchDir = () => {
    scratch ??= mkdtempSync(join(tmpdir(), 'sparq-curation-'));
    return scratch;
  };
  const connections: Database.Database[] = [];
  const cleanUp = () => {
    for (const c of connections) if (c.open) c.close();
    if (scratch !== null) rmSync(scratch, { recursive: true, force: true });
  };

  try {
    const dirProblem = writable(runDir);
    const db = openRunReadOnly(runDir, scratchDir, warn, READS_IN_PLACE_FROM);
    connections.push(db);

    let writer: Database.Database | null = null;
    let persistent = false;
    let notKept: string | null = null;
    const resultsFile = join(runDir, RESULTS_FILE);
    if (mode === 'write') {
      const fileProblem = existsSync(resultsFile) ? writable(resultsFile) : null;
      if (dirProblem === null && fileProblem === null) {
        try {
          writer = openWriter(resultsFile);
          persistent = true;
        } catch (err) {
          if (!isNotWritable(err)) throw err;
          notKept = errorMessage(err);
        }
      } else {
        notKept = dirProblem ?? `${RESULTS_FILE}: ${fileProblem}`;
      }
      if (writer === null) {
        // Results stored earlier (before the directory became read-only) are still used: the
        // scratch starts as a copy of them.
        const scratchResults = join(scratchDir(), RESULTS_FILE);
        if (existsSync(resultsFile)) {
          try {
            copyFileSync(resultsFile, scratchResults);
          } catch {
            // Unreadable: start empty.
          }
        }
        writer = openWriter(scratchResults);
      }
      connections.push(writer);
      db.prepare(`ATTACH DATABASE ? AS ${RESULTS_SCHEMA}`).run(
        persistent ? resultsFile : join(scratchDir(), RESULTS_FILE),
      );
    } else {
      // Read only: stored results when there are any, else an empty schema.
      let attached = false;
      if (existsSync(resultsFile)) {
        try {
          db.prepare(`ATTACH DATABASE ? AS ${RESULTS_SCHEMA}`).run(resultsFile);
          db.prepare(`SELECT 1 FROM ${RESULTS_SCHEMA}.sqlite_schema LIMIT 1`).get();
          attached = true;
        } catch (err) {
          if (!isNotWritable(err) && sqliteCode(err) !== 'SQLITE_NOTADB') throw err;
          warn(
            `note: cannot read the stored curation results ${resultsFile} (${errorMessage(err)}); showing none`,
          );
          if (db.prepare('SELECT 1 FROM pragma_database_list WHERE name = ?').get(RESULTS_SCHEMA))
            db.exec(`DETACH DATABASE ${RESULTS_SCHEMA}`);
        }
      }
      if (!attached) db.exec(`ATTACH DATABASE ':memory:' AS ${RESULTS_SCHEMA}`);
    }

    let warned = false;
    const resultsWriter = writer;
    const codec = new BodyCodec(db, 'main');
    registerProblemText(db, codec);
    return {
      db,
      runDir,
      codec,
      persistent,
      read<T>(fn: () => T): T {
        if (db.inTransaction) return fn();
        db.exec('BEGIN');
        try {
          const result = fn();
          db.exec('COMMIT');
          return result;
        } catch (err) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw err;
        }
      },
      writeResults(fn: (w: Database.Database) => void): void {
        if (resultsWriter === null) throw new Error('curation results were opened read-only');
        if (db.inTransaction) throw new Error('curation results are written outside a read transaction');
        resultsWriter.transaction(() => fn(resultsWriter))();
        if (!persistent && !warned) {
          warned = true;
          warn(
            `note: the curation results cannot be stored in ${resolve(resultsFile)} (${notKept}); they were computed for this command only and will be recomputed next time`,
          );
        }
      },
      close: cleanUp,
    };
  } catch (err) {
    cleanUp();
    throw err;
  }
}

// --- what curation reads from the run besides its analysis queries ----------------------------

export interface RunConfigSnapshot {
  configJson: string;
  configHash: string;
  sparqVersion: string;
  createdAt: string;
}

/** The run's latest configuration snapshot (the configuration its last process ran with). */
export function latestRunConfig(conn: AnalysisConnection): RunConfigSnapshot | null {
  const row = conn.db
    .prepare(
      'SELECT config_json, config_hash, sparq_version, created_at FROM main.config_snapshots ORDER BY id DESC LIMIT 1',
    )
    .get() as Record<string, string> | undefined;
  return row
    ? {
        configJson: row.config_json!,
        configHash: row.config_hash!,
        sparqVersion: row.sparq_version!,
        createdAt: row.created_at!,
      }
    : null;
}

/** A value of the run's `meta` table (e.g. `run_id`), or null. */
export function runMeta(conn: AnalysisConnection, key: string): string | null {
  const row = conn.db.prepare('SELECT value FROM main.meta WHERE key = ?').get(key) as
    | { value: string }
    | undefined;
  return row?.value ?? null;
}

/** How many generations the run has committed. */
export function runGenerationCount(conn: AnalysisConnection): number {
  return (conn.db.prepare('SELECT COUNT(*) AS n FROM main.generations').get() as { n: number }).n;
}
