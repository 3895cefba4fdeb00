/**
 * Where curation results live: `curation_*` tables in the results database, attached as schema
 * `curation` to the analysis connection (src/storage/analysis-connection.ts): `curation.db` in
 * the run directory, or a scratch file when that directory cannot be written (the command
 * works, the result is just not kept). The tables are created on first use (CREATE TABLE IF NOT
 * EXISTS). Each analysis is stored with a fingerprint of the pool snapshot and the settings it
 * was computed with, so it is recomputed only when one changed.
 *
 * Older sparq versions kept these tables in the run database itself. Those are ignored (every
 * query names the `curation` schema): such a run's analyses are recomputed once into
 * curation.db, and the old tables stay where they are, since curation never writes the run.
 */
import type Database from 'better-sqlite3';
import { type AnalysisConnection, RESULTS_SCHEMA } from '../storage/analysis-connection.js';

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

export type Schema = typeof RESULTS_SCHEMA;

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

export function poolSnapshot(conn: AnalysisConnection): PoolSnapshot {
  const row = conn.db
    .prepare('SELECT COALESCE(MAX(id), 0) AS maxId, COUNT(*) AS count FROM main.problems')
    .get() as PoolSnapshot;
  return { maxId: row.maxId, count: row.count };
}

export function curationTablesExist(conn: AnalysisConnection): boolean {
  const row = conn.db
    .prepare(
      `SELECT 1 FROM ${RESULTS_SCHEMA}.sqlite_schema WHERE type = 'table' AND name = 'curation_analyses'`,
    )
    .get();
  return row !== undefined;
}

export function readAnalysis<S, R>(
  conn: AnalysisConnection,
  kind: AnalysisKind,
): StoredAnalysis<S, R> | null {
  if (!curationTablesExist(conn)) return null;
  const row = conn.db.prepare(`SELECT * FROM ${RESULTS_SCHEMA}.curation_analyses WHERE kind = ?`).get(kind) as
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

/**
 * Replaces one analysis atomically: `writeRows(w, schema)` deletes and inserts its rows on the
 * results connection `w`, then the analysis row is written, all in one transaction. Returns
 * whether it is kept (false: the run directory cannot be written, see analysis-connection.ts).
 */
export function saveAnalysis(
  conn: AnalysisConnection,
  analysis: Omit<StoredAnalysis, 'createdAt'>,
  writeRows: (w: Database.Database, schema: Schema) => void,
): boolean {
  const schema = RESULTS_SCHEMA;
  conn.writeResults((w) => {
    w.exec(tablesSql(schema));
    writeRows(w, schema);
    w.prepare(
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
  });
  return conn.persistent;
}
