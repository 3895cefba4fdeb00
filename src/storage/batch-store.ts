/**
 * What a run in batch mode knows about its batch files, in the run database so that a process
 * killed at any moment resumes without writing, uploading or creating a batch twice:
 *
 * - `batch_files`: one row per input file written to DIR/batches, its state (`waiting` for its
 *   output, `returned` once an output or error file was read, `done` once every request in it was
 *   answered or moved to a later file), and in API mode the provider's file and batch ids;
 * - `batch_requests`: one row per request written and not yet answered: the file it was last
 *   written to, how often it was written and how often it failed, and for a request whose
 *   answer rejects its problem, that error (so that the task, asked again before it is told,
 *   meets the same error instead of sending the request again). A row is deleted once its answer
 *   is in the request cache, or once no task asks for it any more, so the table holds only the
 *   requests of the files in flight.
 *
 * The tables are created on first use: a run that never used batch mode has none.
 */
import type Database from 'better-sqlite3';
import { packHex, unpackHex } from './hex-keys.js';

export type BatchFileState = 'waiting' | 'returned' | 'done';

/** The provider's side of a file in API mode (`model.kind: openai-batch`). */
export interface RemoteBatch {
  fileId: string | null;
  batchId: string | null;
  /** The batch's last status as polled: validating, in_progress, finalizing, completed, expired, cancelled, failed. */
  status: string | null;
  outputFileId: string | null;
  errorFileId: string | null;
}

export interface BatchFileRow {
  id: number;
  /** The file's name without extension: DIR/batches/NAME.jsonl. */
  name: string;
  createdAt: string;
  lines: number;
  bytes: number;
  state: BatchFileState;
  remote: RemoteBatch;
}

export interface BatchRequestRow {
  key: string;
  fileId: number;
  /** Times the request was written to a file; its custom_id in the latest is `customId(key, sends - 1)`. */
  sends: number;
  /** Times its answer came back as an error (a non-200 status or an error object). */
  failures: number;
  lastError: string | null;
  /** The error that rejects the request's problem, once one did. */
  rejection: StoredRejection | null;
}

/** A request's final error, as the dispatcher throws it again. */
export interface StoredRejection {
  message: string;
  status: number | null;
  inputRejection: 'context_exceeded' | 'server_rejected';
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS batch_files (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    lines INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    state TEXT NOT NULL,
    remote_file_id TEXT,
    remote_batch_id TEXT,
    remote_status TEXT,
    remote_output_file_id TEXT,
    remote_error_file_id TEXT
  );
  CREATE TABLE IF NOT EXISTS batch_requests (
    key BLOB PRIMARY KEY,
    file_id INTEGER NOT NULL,
    sends INTEGER NOT NULL,
    failures INTEGER NOT NULL,
    last_error TEXT,
    rejection TEXT
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS batch_requests_by_file ON batch_requests (file_id);
`;

interface FileRowData {
  id: number;
  name: string;
  created_at: string;
  lines: number;
  bytes: number;
  state: BatchFileState;
  remote_file_id: string | null;
  remote_batch_id: string | null;
  remote_status: string | null;
  remote_output_file_id: string | null;
  remote_error_file_id: string | null;
}

function fileRow(r: FileRowData): BatchFileRow {
  return {
    id: r.id,
    name: r.name,
    createdAt: r.created_at,
    lines: r.lines,
    bytes: r.bytes,
    state: r.state,
    remote: {
      fileId: r.remote_file_id,
      batchId: r.remote_batch_id,
      status: r.remote_status,
      outputFileId: r.remote_output_file_id,
      errorFileId: r.remote_error_file_id,
    },
  };
}

/** One request as written to a new file. */
export interface WrittenRequest {
  key: string;
  /** Failures so far (carried over from the file it failed in). */
  failures: number;
  lastError: string | null;
}

/** A run's batch files by state, for `sparq status`; null for a run that never used batch mode. */
export interface BatchSummary {
  files: Record<BatchFileState, number>;
  /** Requests in files whose output has not come back. */
  waitingRequests: number;
  waitingFiles: string[];
}

/** Reads the batch tables without creating them (a read-only connection may look). */
export function readBatchSummary(db: Database.Database): BatchSummary | null {
  const exists = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'batch_files'")
    .get();
  if (!exists) return null;
  const files: Record<BatchFileState, number> = { waiting: 0, returned: 0, done: 0 };
  for (const r of db.prepare('SELECT state, count(*) AS n FROM batch_files GROUP BY state').all() as {
    state: BatchFileState;
    n: number;
  }[])
    files[r.state] = r.n;
  const waiting = db
    .prepare("SELECT name, lines FROM batch_files WHERE state = 'waiting' ORDER BY id")
    .all() as { name: string; lines: number }[];
  return {
    files,
    waitingRequests: waiting.reduce((s, f) => s + f.lines, 0),
    waitingFiles: waiting.map((f) => f.name),
  };
}

export class BatchStore {
  constructor(private readonly db: Database.Database) {
    db.exec(SCHEMA);
  }

  files(states?: readonly BatchFileState[]): BatchFileRow[] {
    const rows = this.db.prepare('SELECT * FROM batch_files ORDER BY id').all() as FileRowData[];
    return rows.map(fileRow).filter((f) => !states || states.includes(f.state));
  }

  file(id: number): BatchFileRow | undefined {
    const row = this.db.prepare('SELECT * FROM batch_files WHERE id = ?').get(id) as FileRowData | undefined;
    return row && fileRow(row);
  }

  /** The next file's number (files are never renumbered, so a name is never used twice). */
  nextFileNumber(): number {
    const row = this.db.prepare('SELECT max(id) AS id FROM batch_files').get() as { id: number | null };
    return (row.id ?? 0) + 1;
  }

  request(key: string): BatchRequestRow | undefined {
    const r = this.db
      .prepare(
        'SELECT key, file_id, sends, failures, last_error, rejection FROM batch_requests WHERE key = ?',
      )
      .get(packHex(key)) as
      | {
          key: unknown;
          file_id: number;
          sends: number;
          failures: number;
          last_error: string | null;
          rejection: string | null;
        }
      | undefined;
    return (
      r && {
        key: unpackHex(r.key),
        fileId: r.file_id,
        sends: r.sends,
        failures: r.failures,
        lastError: r.last_error,
        rejection: r.rejection === null ? null : (JSON.parse(r.rejection) as StoredRejection),
      }
    );
  }

  /**
   * Records a file and the requests in it, in one transaction: after a crash either the file is
   * known with all its requests or none of it is.
   */
  addFile(
    file: { id: number; name: string; lines: number; bytes: number },
    requests: readonly WrittenRequest[],
  ) {
    const upsert = this.db.prepare(`
      INSERT INTO batch_requests (key, file_id, sends, failures, last_error) VALUES (?, ?, 1, ?, ?)
      ON CONFLICT (key) DO UPDATE SET file_id = excluded.file_id, sends = sends + 1,
        failures = excluded.failures, last_error = excluded.last_error`);
    this.db.transaction(() => {
      this.db
        .prepare(
          "INSERT INTO batch_files (id, name, created_at, lines, bytes, state) VALUES (?, ?, ?, ?, ?, 'waiting')",
        )
        .run(file.id, file.name, new Date().toISOString(), file.lines, file.bytes);
      for (const r of requests) upsert.run(packHex(r.key), file.id, r.failures, r.lastError);
    })();
  }

  setState(fileId: number, state: BatchFileState): void {
    this.db.prepare('UPDATE batch_files SET state = ? WHERE id = ?').run(state, fileId);
  }

  setRemote(fileId: number, remote: Partial<RemoteBatch>): void {
    const columns: Record<keyof RemoteBatch, string> = {
      fileId: 'remote_file_id',
      batchId: 'remote_batch_id',
      status: 'remote_status',
      outputFileId: 'remote_output_file_id',
      errorFileId: 'remote_error_file_id',
    };
    for (const [k, v] of Object.entries(remote))
      this.db
        .prepare(`UPDATE batch_files SET ${columns[k as keyof RemoteBatch]} = ? WHERE id = ?`)
        .run(v ?? null, fileId);
  }

  /** Forgets requests whose answers are now in the request cache. */
  answered(keys: readonly string[]): void {
    const del = this.db.prepare('DELETE FROM batch_requests WHERE key = ?');
    this.db.transaction(() => {
      for (const k of keys) del.run(packHex(k));
    })();
  }

  /** Records the errors that rejected these requests' problems. */
  rejected(entries: readonly { key: string; rejection: StoredRejection }[]): void {
    const set = this.db.prepare('UPDATE batch_requests SET rejection = ? WHERE key = ?');
    this.db.transaction(() => {
      for (const e of entries) set.run(JSON.stringify(e.rejection), packHex(e.key));
    })();
  }

  /**
   * Forgets the requests of returned files that no task asked for in a round: a task asks again
   * for every request it made before, each round, until it is told, so these are answered from
   * the cache (their answers cached before a kill), or their tasks are told.
   */
  forgetUnasked(asked: ReadonlySet<string>): void {
    const rows = this.db
      .prepare(
        "SELECT r.key FROM batch_requests r JOIN batch_files f ON f.id = r.file_id WHERE f.state != 'waiting'",
      )
      .all() as { key: unknown }[];
    this.answered(rows.map((r) => unpackHex(r.key)).filter((k) => !asked.has(k)));
  }

  /** Files whose output was read and none of whose requests still wait on them are done. */
  retireAnswered(): void {
    this.db
      .prepare(
        `UPDATE batch_files SET state = 'done' WHERE state = 'returned'
           AND NOT EXISTS (SELECT 1 FROM batch_requests r WHERE r.file_id = batch_files.id AND r.rejection IS NULL)`,
      )
      .run();
  }
}
