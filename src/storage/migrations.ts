/**
 * Versioned schema migrations of the run database. The version lives in SQLite's user_version;
 * each migration runs once, in its own transaction. Append new migrations, never edit old ones:
 * existing runs must open with any later sparq.
 */
import type Database from 'better-sqlite3';
import { REDACTED } from '../config/storable.js';
import { keyOldTextHashes } from './pool-key-index.js';
import { backfillPoolSummary } from './pool-summary.js';
import { SLOTS } from './response-table.js';

/** SQL, or a step that needs code (summarising the rows a run already has). */
export type Migration = string | ((db: Database.Database) => void);

export const MIGRATIONS: Migration[] = [
  // 1: the initial schema
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

  CREATE TABLE config_snapshots (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    sparq_version TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    config_json TEXT NOT NULL
  );

  -- Every model request by its deterministic key, with its response: the resume cache and the
  -- audit trail. Prompts are not stored verbatim: template ref + the problem texts rebuild them.
  CREATE TABLE requests (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    purpose TEXT NOT NULL,
    model TEXT NOT NULL,
    template_ref TEXT,
    params_json TEXT NOT NULL,
    response_json TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    latency_ms INTEGER NOT NULL,
    created_at TEXT NOT NULL
  );

  CREATE TABLE problems (
    id INTEGER PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE,
    generation INTEGER NOT NULL,
    task_index INTEGER NOT NULL,
    origin TEXT NOT NULL,
    seed_id TEXT,
    parent_uids TEXT NOT NULL,
    template_ref TEXT,
    template_hash TEXT,
    model TEXT,
    mutate_key TEXT,
    gen_params TEXT,
    problem TEXT NOT NULL,
    solution TEXT NOT NULL,
    answer TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    subject TEXT,
    skill TEXT,
    raw_label TEXT,
    label_key TEXT,
    level TEXT,
    attempts INTEGER NOT NULL,
    -- Every attempt, compactly: [answer or null, correct 0/1, rule, index into solve_keys, choice].
    attempts_json TEXT NOT NULL,
    correct INTEGER NOT NULL,
    solve_rate REAL,
    majority_answer TEXT,
    majority_share REAL,
    disputed INTEGER NOT NULL,
    verified INTEGER NOT NULL,
    quality REAL,
    solve_keys TEXT NOT NULL,
    solve_params TEXT,
    archive_status TEXT,
    cell TEXT,
    created_at TEXT NOT NULL
  );
  CREATE INDEX problems_generation ON problems (generation, task_index);
  CREATE INDEX problems_text_hash ON problems (text_hash);

  CREATE TABLE rejections (
    id INTEGER PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE,
    generation INTEGER NOT NULL,
    task_index INTEGER NOT NULL,
    operator TEXT NOT NULL,
    parent_uids TEXT NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT,
    raw_output TEXT,
    request_key TEXT,
    created_at TEXT NOT NULL
  );
  CREATE INDEX rejections_generation ON rejections (generation);

  CREATE TABLE generations (
    generation INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    metrics_json TEXT NOT NULL
  );

  -- The QD core's state after the last committed generation (one row, rewritten by each commit;
  -- since schema 2, as of the last committed told prefix and its generation column = the last complete epoch).
  CREATE TABLE core_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL,
    state_json TEXT NOT NULL
  );

  CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
  `,
  // 2: the steady-state scheduler. Every task has a number in the run's task sequence (seq), the
  // order its outcome was told in; a commit covers a told prefix and records the scheduler's
  // state (proposals asked but not yet told, the current epoch's tallies) so a resume continues
  // exactly. Truncated attempts are data: counted per problem, with the reason a problem is unverified.
  `
  ALTER TABLE problems ADD COLUMN seq INTEGER;
  ALTER TABLE problems ADD COLUMN truncated INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE problems ADD COLUMN unverified_reason TEXT;
  ALTER TABLE rejections ADD COLUMN seq INTEGER;
  CREATE INDEX problems_text_hash_seq ON problems (text_hash, seq);
  DROP INDEX problems_text_hash;
  CREATE TABLE scheduler_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    told INTEGER NOT NULL,
    state_json TEXT NOT NULL
  );
  `,
  // 3: what the model endpoint was found to do (n>1, JSON schema, context, slots) and the
  // settings decided from it, recorded beside the configuration each process ran with.
  `
  ALTER TABLE config_snapshots ADD COLUMN detected_json TEXT;
  `,
  // 4: malformed content. A label reply that broke the requested format is asked again; one still
  // malformed after that is flagged. And header values, which may be secrets, leave the
  // configuration snapshots that sparq 0.2.0 and before wrote with them (a resume asks for them).
  `
  ALTER TABLE problems ADD COLUMN label_malformed INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE problems ADD COLUMN label_reasks INTEGER NOT NULL DEFAULT 0;
  UPDATE config_snapshots
    SET config_json = json_set(config_json, '$.model.headers', json((
      SELECT json_group_object(key, '${REDACTED}') FROM json_each(config_snapshots.config_json, '$.model.headers'))))
    WHERE json_valid(config_json) AND json_type(config_json, '$.model.headers') = 'object';
  `,
  // 5: the pool's counts and distributions, kept at commit (pool-summary.ts), so that status,
  // stats and the report read a few hundred rows instead of scanning the pool.
  backfillPoolSummary,
  // 6: the near-duplicate screen's band keys (src/engine/near-duplicates.ts), one row per band of
  // each problem told; empty for runs from before it, which resume without the screen.
  `
  CREATE TABLE near_duplicate_keys (
    key INTEGER NOT NULL,
    problem_id INTEGER NOT NULL,
    PRIMARY KEY (key, problem_id)
  ) WITHOUT ROWID;
  `,
  // 7: requests.response_json holds the response deflated (a BLOB, see sqlite-store.ts); rows
  // written before stay JSON text. No change to the tables, but an older sparq must not read it.
  `
  SELECT 1;
  `,
  // 8: compact storage (response-table.ts, problem-rows.ts, hex-keys.ts, body-codec.ts). Responses go to
  // `responses`, grouped by task, with the key as bytes and the sampling parameters shared in
  // `request_kinds`; `requests` keeps what earlier sparq wrote. Problems keep request keys and the
  // text hash as bytes and their unqueried fields in a compressed `body`. A rejection no longer
  // copies the output its request's response holds. `request_log` shows both layouts as one.
  `
  CREATE TABLE request_kinds (
    id INTEGER PRIMARY KEY,
    purpose TEXT NOT NULL,
    model TEXT NOT NULL,
    template_ref TEXT,
    params_json TEXT NOT NULL
  );
  CREATE TABLE responses (
    id INTEGER PRIMARY KEY,
    key BLOB NOT NULL,
    kind INTEGER NOT NULL REFERENCES request_kinds (id),
    seed INTEGER,
    sample INTEGER,
    body BLOB NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    latency_ms INTEGER NOT NULL,
    created_ms INTEGER NOT NULL
  );
  ALTER TABLE problems ADD COLUMN body BLOB;
  CREATE TABLE compression_dictionaries (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, bytes BLOB NOT NULL);
  CREATE VIEW request_log AS
    SELECT lower(hex(r.key)) AS key, r.id / ${SLOTS} AS task, k.purpose, k.model, k.template_ref,
      k.params_json, r.seed, r.sample, r.body AS response, r.prompt_tokens, r.completion_tokens,
      r.latency_ms, strftime('%Y-%m-%dT%H:%M:%fZ', r.created_ms / 1000.0, 'unixepoch') AS created_at
    FROM responses r JOIN request_kinds k ON k.id = r.kind
    UNION ALL
    SELECT key, NULL, purpose, model, template_ref, params_json, NULL, NULL, response_json,
      prompt_tokens, completion_tokens, latency_ms, created_at
    FROM requests;
  `,
  // 9: the keys a told problem is looked up by (near-duplicate band keys, text hashes) as sorted
  // runs written by appends (pool-key-index.ts); near_duplicate_keys keeps the band keys told
  // before, read as the oldest run.
  keyOldTextHashes,
  // 10: which near-duplicate screen wrote a problem's band keys (-id) and screened it completely
  // (+id: every candidate verified), so that \`sparq select\` takes the screen's verdict instead
  // of verifying those pairs again (src/curation/analyze.ts). NULL: no screen, or before schema 10.
  `
  CREATE TABLE near_duplicate_screens (
    id INTEGER PRIMARY KEY,
    threshold REAL NOT NULL,
    num_hashes INTEGER NOT NULL,
    shingle_size INTEGER NOT NULL,
    UNIQUE (threshold, num_hashes, shingle_size)
  );
  -- A signed id of near_duplicate_screens (no foreign key: -id names the same row).
  ALTER TABLE problems ADD COLUMN near_screen INTEGER;
  `,
  // 11: runs of the pool key index as compressed blocks (key-blocks.ts), about 6 bytes an entry
  // where a row of pool_key_runs took about 19. Runs written before stay rows (format 0) and are
  // rewritten as blocks when they are next merged; top-tier runs are read as rows for good.
  `
  CREATE TABLE pool_key_blocks (
    id INTEGER PRIMARY KEY,
    run INTEGER NOT NULL,
    first_key INTEGER NOT NULL,
    data BLOB NOT NULL
  );
  CREATE INDEX pool_key_blocks_by_key ON pool_key_blocks (run, first_key, id);
  ALTER TABLE pool_key_run_index ADD COLUMN format INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE pool_key_run_index ADD COLUMN entries INTEGER;
  `,
  // 12: problems.problem holds the text compressed with the run's dictionary of problem texts
  // (problem-rows.ts; SQL reads it through problem_text()), and problems and rejections leave
  // created_at empty (their responses and epochs carry the times). Rows written before stay as
  // they are. No change to the tables, but an older sparq must not read the texts.
  `
  SELECT 1;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * The oldest schema the read-only commands (status, stats, report, show, export, select) read in
 * place; older runs are read from an upgraded copy. Schema 10 only added what select's dedup
 * reads when it is there (analyze.ts), so a schema-9 run is read as it is.
 */
export const READS_IN_PLACE_FROM = 9;

/** Brings `db` from schema `version` to `version + 1` (the caller holds the transaction, if any). */
export function applyMigration(db: Database.Database, version: number): void {
  const step = MIGRATIONS[version]!;
  if (typeof step === 'string') db.exec(step);
  else step(db);
  db.pragma(`user_version = ${version + 1}`);
}
