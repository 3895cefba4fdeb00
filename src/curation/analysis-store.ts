/**
 * Where curation results live: `curation_*` tables in the run database, created on first use
 * (CREATE TABLE IF NOT EXISTS; they are not part of the run schema, so no migration is needed
 * and older sparq versions ignore them). Each analysis is stored with a fingerprint of the pool
 * snapshot and the settings it was computed with, so it is recomputed only when one changed.
 * When the database cannot be written (a read-only copy of a run), the same tables are created
 * in SQLite's TEMP schema, which shadows the main one for this connection: the command works,
 * the result is just not kept.
 */
import type Database from 'better-sqlite3';

export type AnalysisKind = 'dedup' | 'decontamination';

/** The part of the pool an analysis covers: problems are append-only, so the last id fixes it. */
export interface PoolSnapshot {
  maxId: number;
  count: number;
}

export interface StoredAnalysis<S = unknown, R = unknown> {
  kind: AnalysisKind;
  fingerprint: string;
  settings: S;
  summary: R;
  snapshot: PoolSnapshot;
  createdAt: string;
}

export type Schema = 'main' | 'temp';

function tablesSql(schema: Schema): string {
  return `
  CREATE TABLE IF NOT EXISTS ${schema}.curation_analyses (
    kind TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    settings_json TEXT NOT NULL,
    summary_json TEXT NOT NULL,
    max_problem_id INTEGER NOT NULL,
    problem_count INTEGER NOT NULL,
    created_at TEXT NOT NULL
  );
  -- One row per pool problem: its duplicate cluster, named by the representative (the earliest
  -- member; 'seedfile:<id>' when that is a seed-file problem outside the pool).
  CREATE TABLE IF NOT EXISTS ${schema}.curation_clusters (
    uid TEXT PRIMARY KEY,
    cluster TEXT NOT NULL,
    size INTEGER NOT NULL,
    match TEXT,
    similarity REAL,
    exact INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS ${schema}.curation_clusters_by_cluster ON curation_clusters (cluster);
  -- One row per contaminated problem and evaluation set: the best-matching item of that set.
  CREATE TABLE IF NOT EXISTS ${schema}.curation_contamination (
    uid TEXT NOT NULL,
    eval_set TEXT NOT NULL,
    item_id TEXT NOT NULL,
    matches INTEGER NOT NULL,
    overlap REAL NOT NULL,
    ngram TEXT NOT NULL,
    PRIMARY KEY (uid, eval_set)
  ) WITHOUT ROWID;`;
}

export function poolSnapshot(db: Database.Database): PoolSnapshot {
  const row = db
    .prepare('SELECT COALESCE(MAX(id), 0) AS maxId, COUNT(*) AS count FROM problems')
    .get() as PoolSnapshot;
  return { maxId: row.maxId, count: row.count };
}

export function curationTablesExist(db: Database.Database): boolean {
  const row = db
    .prepare(
      `SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'curation_analyses'
       UNION ALL SELECT 1 FROM sqlite_temp_schema WHERE type = 'table' AND name = 'curation_analyses'`,
    )
    .get();
  return row !== undefined;
}

export function readAnalysis<S, R>(db: Database.Database, kind: AnalysisKind): StoredAnalysis<S, R> | null {
  if (!curationTablesExist(db)) return null;
  const row = db.prepare('SELECT * FROM curation_analyses WHERE kind = ?').get(kind) as
    | Record<string, unknown>
    | undefined;
  if (!row) return null;
  return {
    kind,
    fingerprint: row.fingerprint as string,
    settings: JSON.parse(row.settings_json as string) as S,
    summary: JSON.parse(row.summary_json as string) as R,
    snapshot: { maxId: row.max_problem_id as number, count: row.problem_count as number },
    createdAt: row.created_at as string,
  };
}

function isReadonly(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_READONLY');
}

/**
 * Replaces one analysis atomically: `writeRows(schema)` deletes and inserts its rows, then the
 * analysis row is written, all in one transaction. Returns where it went.
 */
export function saveAnalysis(
  db: Database.Database,
  analysis: Omit<StoredAnalysis, 'createdAt'>,
  writeRows: (schema: Schema) => void,
): Schema {
  const write = (schema: Schema) => {
    db.exec(tablesSql(schema));
    db.transaction(() => {
      writeRows(schema);
      db.prepare(
        `INSERT INTO ${schema}.curation_analyses (kind, fingerprint, settings_json, summary_json, max_problem_id, problem_count, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(kind) DO UPDATE SET fingerprint = excluded.fingerprint, settings_json = excluded.settings_json,
           summary_json = excluded.summary_json, max_problem_id = excluded.max_problem_id,
           problem_count = excluded.problem_count, created_at = excluded.created_at`,
      ).run(
        analysis.kind,
        analysis.fingerprint,
        JSON.stringify(analysis.settings),
        JSON.stringify(analysis.summary),
        analysis.snapshot.maxId,
        analysis.snapshot.count,
        new Date().toISOString(),
      );
    })();
  };
  try {
    write('main');
    return 'main';
  } catch (err) {
    if (!isReadonly(err)) throw err;
    write('temp');
    return 'temp';
  }
}
