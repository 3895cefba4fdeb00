/**
 * `sparq status --check`: what SQLite can still read of a run database, for a run that will not
 * open or is suspected damaged. Read-only, like every reader.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { copyRun, isNotWritable, runFileOf, sqliteCode, writable } from './run-file.js';

export interface IntegrityReport {
  file: string;
  /** "ok", or SQLite's list of problems (at most 20). */
  problems: string[];
  /** Rows per table that could be counted; a table that cannot be read has its error instead. */
  tables: { name: string; rows: number | null; error: string | null }[];
  /** Set when a copy was checked instead of the file itself, and why. */
  note?: string;
}

export function checkIntegrity(runDir: string): IntegrityReport {
  const file = runFileOf(runDir);
  const inPlace = checkFile(file);
  const dirProblem = writable(runDir);
  if (inPlace.openError === null || !isNotWritable(inPlace.openError) || dirProblem === null)
    return { file, ...inPlace.report };
  // A WAL database in a directory that cannot be written cannot be read in place: check a copy.
  const scratch = mkdtempSync(join(tmpdir(), 'sparq-check-'));
  try {
    const copy = checkFile(copyRun(file, scratch));
    return {
      file,
      ...copy.report,
      note: `${runDir} is not writable (${dirProblem}), so a copy of the database was checked`,
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function checkFile(file: string): { report: Omit<IntegrityReport, 'file'>; openError: unknown } {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    return {
      report: { problems: [`cannot open: ${(err as Error).message} (${sqliteCode(err)})`], tables: [] },
      openError: err,
    };
  }
  try {
    let problems: string[];
    try {
      problems = (db.pragma('integrity_check(20)') as { integrity_check: string }[]).map(
        (r) => r.integrity_check,
      );
    } catch (err) {
      return {
        report: { problems: [`${(err as Error).message} (${sqliteCode(err)})`], tables: [] },
        openError: err,
      };
    }
    const names = (
      db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all() as {
        name: string;
      }[]
    ).map((r) => r.name);
    const tables = names.map((name) => {
      try {
        const row = db.prepare(`SELECT COUNT(*) AS n FROM "${name.replace(/"/g, '""')}"`).get() as {
          n: number;
        };
        return { name, rows: row.n, error: null };
      } catch (err) {
        return { name, rows: null, error: (err as Error).message };
      }
    });
    return { report: { problems, tables }, openError: null };
  } finally {
    db.close();
  }
}

export function integrityOk(r: IntegrityReport): boolean {
  return r.problems.length === 1 && r.problems[0] === 'ok' && r.tables.every((t) => t.error === null);
}
