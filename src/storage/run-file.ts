/**
 * Opening a run's database to read it, and nothing else: `status`, `report`, `stats`, `select`,
 * `decontaminate` and a resume's look at its stored configuration never write the run, so they
 * work on a directory the user cannot write (another user's run, a mounted archive) and never
 * put a schema into an empty or foreign file.
 *
 * - A WAL database whose directory cannot be written cannot be read in place when its -wal/-shm
 *   files are gone (SQLite must create them): a copy is read instead.
 * - A run of an older schema is read from a copy upgraded in the scratch directory; the run
 *   itself is upgraded only by `sparq run`.
 * - An empty file, a file that is not SQLite, a damaged one, or one from a newer sparq each get
 *   a message saying so and what can be done.
 */
import { accessSync, constants, copyFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { errorMessage, UserError } from '../util/errors.js';
import { applyMigration, SCHEMA_VERSION } from './migrations.js';

export const DB_FILE = 'sparq.db';

const RUN_HINT = 'pass the directory a run was started in (`sparq run <dir>`)';

/** A run database that cannot be read at all (empty, not SQLite, damaged, not sparq's): `--force-new` may set it aside. */
export class UnreadableRun extends UserError {}

/** Tables every sparq run database has, whatever its schema version. */
const RUN_TABLES = ['meta', 'problems', 'rejections', 'requests', 'config_snapshots', 'counters'];

export function sqliteCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/** Errors that mean "this file or directory cannot be written here". */
export function isNotWritable(err: unknown): boolean {
  const code = sqliteCode(err);
  return (
    code.startsWith('SQLITE_READONLY') ||
    code.startsWith('SQLITE_CANTOPEN') ||
    code === 'SQLITE_PERM' ||
    code === 'SQLITE_AUTH'
  );
}

/** Null when `path` can be written; else why not, in words. */
export function writable(path: string): string | null {
  try {
    accessSync(path, constants.W_OK);
    return null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'EROFS'
      ? 'read-only file system'
      : code === 'EACCES'
        ? 'no write permission'
        : errorMessage(err);
  }
}

/** The run's database file, after checking that `runDir` is a run directory it can read. */
export function runFileOf(runDir: string): string {
  if (!existsSync(runDir)) throw new UserError(`${runDir} is not a sparq run directory (no such directory)`);
  if (!statSync(runDir).isDirectory())
    throw new UserError(`${runDir} is not a sparq run directory (it is a file): ${RUN_HINT}`);
  const runFile = join(runDir, DB_FILE);
  if (!existsSync(runFile))
    throw new UserError(`${runDir} is not a sparq run directory (no ${DB_FILE}): ${RUN_HINT}`);
  if (statSync(runFile).isDirectory())
    throw new UserError(`${runFile} is a directory, not a run database: ${RUN_HINT}`);
  try {
    accessSync(runFile, constants.R_OK);
  } catch (err) {
    throw new UserError(
      `cannot read ${runFile}: ${(err as NodeJS.ErrnoException).code === 'EACCES' ? 'no read permission (ask the owner of the run for read access, or read a copy)' : errorMessage(err)}`,
    );
  }
  if (statSync(runFile).size === 0)
    throw new UnreadableRun(
      `${runFile} is empty (0 bytes): the run's database was lost or never written. Nothing can be read from it; \`sparq run ${runDir} --force-new\` starts a new run there`,
    );
  return runFile;
}

/**
 * Opens the run in `runDir` read-only. `scratchDir` gives a private temporary directory, made
 * on first use, for the copies; `warn` hears when a copy is read. `readsFrom`: the oldest schema
 * the caller's queries work on (default this sparq's); a run at or above it is read as it is,
 * one below from an upgraded copy of the whole database.
 */
export function openRunReadOnly(
  runDir: string,
  scratchDir: () => string,
  warn: (line: string) => void,
  readsFrom = SCHEMA_VERSION,
): Database.Database {
  const runFile = runFileOf(runDir);
  const dirProblem = writable(runDir);
  let db: Database.Database;
  try {
    db = openChecked(runDir, runFile, readsFrom);
  } catch (err) {
    if (err instanceof OlderSchema) return openUpgradedCopy(runDir, runFile, scratchDir(), err.version, warn);
    if (!(dirProblem !== null && isNotWritable(err))) throw err;
    const copy = copyRun(runFile, scratchDir());
    warn(
      `note: ${runDir} is not writable (${dirProblem}), so SQLite cannot open its WAL database in place; reading a copy (${(statSync(copy).size / 1e6).toFixed(1)} MB)`,
    );
    try {
      return openChecked(runDir, copy, readsFrom);
    } catch (inner) {
      if (inner instanceof OlderSchema)
        return openUpgradedCopy(runDir, copy, scratchDir(), inner.version, warn);
      throw inner;
    }
  }
  return db;
}

class OlderSchema extends Error {
  constructor(readonly version: number) {
    super(`schema ${version}`);
  }
}

function notARunDatabase(runDir: string, file: string, what: string): UserError {
  return new UnreadableRun(
    `${runDir} is not a sparq run directory: ${file} ${what}. If it is a run, its database was overwritten or damaged: restore it from a backup (\`sparq status ${runDir} --check\` shows what SQLite can still read); else ${RUN_HINT}`,
  );
}

/** Opens `file` read-only and checks that it is a run database of schema `readsFrom` or later. */
function openChecked(runDir: string, file: string, readsFrom = SCHEMA_VERSION): Database.Database {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    // The first read of the file: a text file or a damaged database fails here.
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION)
      throw new UserError(
        `${file} uses database schema ${version}, but this sparq only knows schema ${SCHEMA_VERSION}: upgrade sparq to read it`,
      );
    if (version === 0)
      throw notARunDatabase(runDir, file, 'is a SQLite database without the sparq run schema');
    const tables = new Set(
      (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as { name: string }[]).map(
        (r) => r.name,
      ),
    );
    const missing = RUN_TABLES.filter((t) => !tables.has(t));
    if (missing.length > 0)
      throw notARunDatabase(
        runDir,
        file,
        `is a SQLite database sparq did not write (no ${missing.join(', ')} table)`,
      );
    if (version < readsFrom) throw new OlderSchema(version);
    return db;
  } catch (err) {
    db.close();
    const code = sqliteCode(err);
    if (code === 'SQLITE_NOTADB') throw notARunDatabase(runDir, file, 'is not a SQLite database');
    if (code.startsWith('SQLITE_CORRUPT'))
      throw notARunDatabase(runDir, file, 'is a damaged SQLite database');
    throw err;
  }
}

/** A copy of the run database (and its WAL) in `dir`, for reading where the run cannot be opened in place. */
export function copyRun(runFile: string, dir: string): string {
  const copy = join(dir, DB_FILE);
  if (!existsSync(copy)) {
    copyFileSync(runFile, copy);
    if (existsSync(`${runFile}-wal`)) copyFileSync(`${runFile}-wal`, `${copy}-wal`);
  }
  return copy;
}

/** A run of an older schema, read from a copy brought up to date; the run itself stays as it is. */
function openUpgradedCopy(
  runDir: string,
  file: string,
  dir: string,
  version: number,
  warn: (line: string) => void,
): Database.Database {
  const copy = copyRun(file, dir);
  const w = new Database(copy);
  try {
    // A scratch copy: no need to survive a crash, and each step in one transaction (a migration
    // that writes row by row would otherwise commit, and sync, each row).
    w.pragma('synchronous = OFF');
    for (let v = version; v < SCHEMA_VERSION; v++) w.transaction(() => applyMigration(w, v))();
  } catch (err) {
    throw notARunDatabase(
      runDir,
      file,
      `cannot be brought from schema ${version} to ${SCHEMA_VERSION} (${errorMessage(err)})`,
    );
  } finally {
    w.close();
  }
  warn(
    `note: ${runDir} has database schema ${version} (an older sparq); reading an upgraded copy. \`sparq run\` upgrades the run itself`,
  );
  return openChecked(runDir, copy);
}
