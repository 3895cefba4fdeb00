/**
 * The run database: one SQLite file per run directory (WAL), the source of truth of a run and
 * the implementation of the `RunStore` port. Model responses are buffered and written in small
 * batches (a lost batch is only re-requested on resume); each commit of a told prefix is one
 * transaction, so a run killed at any moment resumes from a consistent state.
 */

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { type CoreState, parseCoreState } from '../core/qd-core.js';
import type {
  CachedResponse,
  NearScreenSettings,
  ProblemRecord,
  RejectionRecord,
} from '../domain/records.js';
import { parseSchedulerState } from '../domain/tasks.js';
import type { Spend, SpendLedger } from '../engine/gateway/ledger.js';
import { UserError } from '../util/errors.js';
import { BatchStore, type BatchSummary, readBatchSummary } from './batch-store.js';
import { BodyCodec } from './body-codec.js';
import { packHex, unpackHex } from './hex-keys.js';
import { applyMigration, READS_IN_PLACE_FROM, SCHEMA_VERSION } from './migrations.js';
import { PoolKeyIndex, textKey } from './pool-key-index.js';
import { PoolSummaryReader, SummaryDeltas } from './pool-summary.js';
import { NO_ROW_TIME, problemRow, registerProblemText, rowToProblem } from './problem-rows.js';
import { ResponseTable } from './response-table.js';
import { DB_FILE, openRunReadOnly } from './run-file.js';
import { RunQueries } from './run-queries.js';
import type {
  ConfigSnapshot,
  EpochMetrics,
  EpochRow,
  PrefixCommit,
  RunStore,
  StoredProgress,
} from './run-store.js';

export { DB_FILE };

/** Where the scheduler stood at the last commit, for status. */
export interface SchedulerProgress {
  told: number;
  window: number;
  open: number;
}

type Row = Record<string, unknown>;

/**
 * How long an answered response (and the spend it adds) may wait in memory before it is written:
 * what a kill -9 can cost, sent again after the resume. Each flush rewrites the pages of the
 * responses table that the tasks in flight share, with the first page and the spend counters:
 * a cost per second, so per problem it grows as a run slows down. At 100 ms a run to 100,000
 * problems wrote 0.2× the database's size more than at 1 s, and at 1.5M problems 0.3× more per
 * problem added (README, Benchmarks: Scale).
 */
const FLUSH_MS = 1000;

export class SqliteRunStore implements RunStore {
  private readonly db: Database.Database;
  /** The read-side queries of status and report. */
  readonly queries: RunQueries;
  private readonly pending = new Map<string, CachedResponse>();
  private flushTimer: NodeJS.Timeout | null = null;
  private readonly stmt: Record<string, Database.Statement>;
  /** Prepared on the first commit: a reader may open a run one schema older (see openReadOnly). */
  private insertProblemStmt: Database.Statement | null = null;
  private readonly responses: ResponseTable;
  private readonly codec: BodyCodec;
  private readonly poolKeys: PoolKeyIndex;

  private constructor(
    readonly dir: string,
    db: Database.Database,
  ) {
    this.db = db;
    this.codec = new BodyCodec(db);
    registerProblemText(db, this.codec);
    this.queries = new RunQueries(db);
    this.responses = new ResponseTable(db, this.codec);
    this.poolKeys = new PoolKeyIndex(db);
    this.stmt = {
      insertRejection: db.prepare(
        `INSERT INTO rejections (uid, seq, generation, task_index, operator, parent_uids, reason, detail, raw_output, request_key, created_at)
         VALUES (@uid, @seq, @generation, @taskIndex, @operator, @parentUids, @reason, @detail, @rawOutput, @requestKey, @createdAt)`,
      ),
      putGeneration: db.prepare(
        `INSERT INTO generations (generation, started_at, finished_at, metrics_json) VALUES (?, ?, ?, ?)
         ON CONFLICT(generation) DO UPDATE SET finished_at = excluded.finished_at, metrics_json = excluded.metrics_json`,
      ),
      saveSchedulerState: db.prepare(
        'INSERT INTO scheduler_state (id, told, state_json) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET told = excluded.told, state_json = excluded.state_json',
      ),
      saveCoreState: db.prepare(
        'INSERT INTO core_state (id, generation, state_json) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET generation = excluded.generation, state_json = excluded.state_json',
      ),
      addCounter: db.prepare(
        'INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = value + excluded.value',
      ),
      problemTextHash: db.prepare('SELECT seq, text_hash FROM problems WHERE id = ?'),
      problemTextById: db.prepare(
        'SELECT seq, uid, problem_text(problem) AS problem FROM problems WHERE id = ?',
      ),
      getProblem: db.prepare('SELECT * FROM problems WHERE uid = ?'),
    };
  }

  /** Opens (creating when asked) the database of a run directory and brings its schema up to date. */
  static open(dir: string, options: { create: boolean } = { create: true }): SqliteRunStore {
    if (options.create) mkdirSync(dir, { recursive: true });
    let db: Database.Database;
    try {
      db = new Database(join(dir, DB_FILE), { fileMustExist: !options.create });
    } catch (err) {
      if (!options.create) throw new UserError(`${dir} is not a sparq run directory (no ${DB_FILE})`);
      throw err;
    }
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    // A 64 MB page cache (SQLite's default is 2 MB, which made index inserts rewrite pages many
    // times over), and a WAL cut back to 64 MB after each checkpoint: a long reader lets it grow
    // past that meanwhile, but not stay grown (it stayed at 3 GB until the run closed).
    db.pragma('cache_size = -65536');
    db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
    db.pragma('wal_autocheckpoint = 16384');
    migrate(db, dir);
    return new SqliteRunStore(dir, db);
  }

  /**
   * Opens a run to read it only (status, report, a resume's look at its configuration): never
   * writes it, never migrates it, works where the directory cannot be written (src/storage/run-file.ts).
   */
  static openReadOnly(dir: string, warn: (line: string) => void = () => {}): SqliteRunStore {
    let scratch: string | null = null;
    const cleanUp = () => {
      if (scratch !== null) rmSync(scratch, { recursive: true, force: true });
    };
    let db: Database.Database | null = null;
    try {
      db = openRunReadOnly(
        dir,
        () => {
          scratch ??= mkdtempSync(join(tmpdir(), 'sparq-read-'));
          return scratch;
        },
        warn,
        READS_IN_PLACE_FROM,
      );
      const store = new SqliteRunStore(dir, db);
      store.onClose = cleanUp;
      return store;
    } catch (err) {
      if (db?.open) db.close();
      cleanUp();
      throw err;
    }
  }

  // --- metadata and configuration ------------------------------------------------------------

  getMeta(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)
      ?.value;
  }

  setMeta(key: string, value: string): void {
    this.db
      .prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      )
      .run(key, value);
  }

  /** Records the configuration a process runs with, unless it is the same as the last one. */
  saveConfigSnapshot(snapshot: Omit<ConfigSnapshot, 'createdAt'>): void {
    const last = this.latestConfig();
    if (
      last &&
      last.configHash === snapshot.configHash &&
      last.sparqVersion === snapshot.sparqVersion &&
      last.detectedJson === snapshot.detectedJson
    )
      return;
    this.db
      .prepare(
        'INSERT INTO config_snapshots (created_at, sparq_version, config_hash, config_json, detected_json) VALUES (?, ?, ?, ?, ?)',
      )
      .run(
        new Date().toISOString(),
        snapshot.sparqVersion,
        snapshot.configHash,
        snapshot.configJson,
        snapshot.detectedJson,
      );
  }

  latestConfig(): ConfigSnapshot | undefined {
    const row = this.db.prepare('SELECT * FROM config_snapshots ORDER BY id DESC LIMIT 1').get() as
      | Row
      | undefined;
    if (!row) return undefined;
    return {
      configJson: row.config_json as string,
      configHash: row.config_hash as string,
      sparqVersion: row.sparq_version as string,
      detectedJson: (row.detected_json as string | null | undefined) ?? null,
      createdAt: row.created_at as string,
    };
  }

  /** The run's batch files by state; null when it never used batch mode. */
  batchSummary(): BatchSummary | null {
    return readBatchSummary(this.db);
  }

  /** Verified problems by exact solve-rate, from the pool summary (constant time at any pool size). */
  solveRateCounts(): { rate: number; problems: number }[] {
    return new PoolSummaryReader(this.db)
      .rows('solve_rate')
      .map((r) => ({ rate: Number(r.key), problems: r.problems }));
  }

  /** The batch-mode tables, over this store's connection (created on first use). */
  batchStore(): BatchStore {
    return new BatchStore(this.db);
  }

  // --- the request cache -----------------------------------------------------------------------

  getResponse(key: string, task: number | null): CachedResponse | undefined {
    return this.pending.get(pendingKey(key, task)) ?? this.responses.get(key, task);
  }

  putResponse(response: CachedResponse): void {
    // A response that arrives after the run closed its store is dropped: a resume asks again.
    if (!this.db.open) return;
    this.pending.set(pendingKey(response.key, response.task), response);
    if (this.pending.size >= 1000) this.flush();
    else this.flushSoon();
  }

  trackSpend(ledger: SpendLedger): void {
    this.ledger = ledger;
    ledger.onActivity = () => this.flushSoon();
  }

  private ledger: SpendLedger | null = null;

  private flushSoon(): void {
    if (this.flushTimer || !this.db.open) return;
    this.flushTimer = setTimeout(() => {
      // A timer has no caller to throw to: the error (a full disk, say) waits for the next
      // commit or close, which the run's error handling sees.
      try {
        this.flush();
      } catch (err) {
        this.flushError ??= err;
      }
    }, FLUSH_MS);
    this.flushTimer.unref();
  }

  private flushError: unknown = null;

  flush(): void {
    if (!this.db.open) return;
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    const spend = this.ledger?.pendingSpend() ?? null;
    const spent = spend !== null && spendCounters(spend).length > 0;
    if (this.pending.size === 0 && !spent) return;
    const batch = [...this.pending.values()];
    const now = new Date();
    this.transaction(() => {
      if (spend) for (const [name, value] of spendCounters(spend)) this.stmt.addCounter!.run(name, value);
      for (const r of batch) this.responses.put(r, now);
    });
    // Cleared only once written: a failed write loses no spend.
    if (spent) this.ledger!.drain();
    for (const r of batch) this.pending.delete(pendingKey(r.key, r.task));
  }

  // --- commits of a told prefix ------------------------------------------------------------------

  /** Writes a told prefix, atomically: after a crash it is all there or none of it. */
  commit(commit: PrefixCommit): void {
    if (this.flushError !== null) throw this.flushError;
    this.flush();
    const now = new Date().toISOString();
    const summary = new SummaryDeltas();
    this.transaction(() => {
      const keysBySeq = new Map((commit.nearDuplicateKeys ?? []).map((k) => [k.seq, k]));
      const screen = commit.nearDuplicateScreen ? this.nearScreenId(commit.nearDuplicateScreen) : null;
      const keys: { key: number; problemId: number }[] = [];
      for (const p of commit.problems) {
        const told = keysBySeq.get(p.seq);
        // +id: screened completely by that screen; -id: its band keys written by it, no more.
        const mark = screen === null || !told?.keys.length ? null : told.screened ? screen : -screen;
        const row = problemRow(p, this.codec, mark);
        const problemId = Number(this.insertProblem().run(row).lastInsertRowid);
        summary.addProblem(p);
        keys.push({ key: textKey(p.textHash), problemId });
        for (const key of told?.keys ?? []) keys.push({ key, problemId });
      }
      this.poolKeys.append(keys);
      for (const r of commit.rejections) {
        this.stmt.insertRejection!.run({
          ...r,
          parentUids: JSON.stringify(r.parentUids),
          // The output is the response stored under the request key: not kept twice (since schema 8).
          rawOutput: r.requestKey === null ? r.rawOutput : null,
          requestKey: r.requestKey === null ? null : packHex(r.requestKey),
          createdAt: NO_ROW_TIME,
        });
        summary.addRejection(r);
      }
      summary.writeTo(this.db);
      for (const [name, value] of Object.entries(commit.counters))
        if (value !== 0) this.stmt.addCounter!.run(name, value);
      for (const e of commit.epochs)
        this.stmt.putGeneration!.run(e.generation, e.startedAt, now, JSON.stringify(e.metrics));
      const complete = commit.epochs.filter((e) => !e.metrics.partial).map((e) => e.generation);
      const last = this.lastCompleteEpoch();
      this.stmt.saveCoreState!.run(Math.max(last ?? -1, ...complete), packState(commit.coreState));
      this.stmt.saveSchedulerState!.run(commit.scheduler.told, packState(commit.scheduler));
    });
  }

  /** A write transaction; if it fails, the dictionaries, request kinds and key runs it added are forgotten with it. */
  private transaction(write: () => void): void {
    try {
      this.db.transaction(write)();
    } catch (err) {
      this.codec.load();
      this.responses.load();
      this.poolKeys.load();
      throw err;
    }
  }

  private lastCompleteEpoch(): number | null {
    const row = this.db.prepare('SELECT generation FROM core_state WHERE id = 1').get() as
      | { generation: number }
      | undefined;
    return row ? row.generation : null;
  }

  /**
   * The core state of the last commit, for reading (report, status); null when nothing was
   * committed, or for runs of sparq 0.1 whose archive state this version does not read.
   */
  private insertProblem(): Database.Statement {
    this.insertProblemStmt ??= this.db.prepare(
      `INSERT INTO problems (uid, seq, truncated, unverified_reason, generation, task_index, origin, seed_id, parent_uids, template_ref, template_hash, model, mutate_key, gen_params,
           problem, solution, answer, text_hash, subject, skill, raw_label, label_key, label_malformed, label_reasks, level, attempts, attempts_json, correct, solve_rate, majority_answer,
           majority_share, disputed, verified, quality, solve_keys, solve_params, archive_status, cell, body, near_screen, created_at)
         VALUES (@uid, @seq, @truncated, @unverifiedReason, @generation, @taskIndex, @origin, @seedId, @parentUids, @templateRef, @templateHash, @model, @mutateKey, @genParams,
           @problem, @solution, @answer, @textHash, @subject, @skill, @rawLabel, @labelKey, @labelMalformed, @labelReasks, @level, @attemptCount, @attemptsJson, @correct, @solveRate, @majorityAnswer,
           @majorityShare, @disputed, @verified, @quality, @solveKeys, @solveParams, @archiveStatus, @cell, @body, @nearScreen, @createdAt)`,
    );
    return this.insertProblemStmt;
  }

  /**
   * The row of these screen settings in near_duplicate_screens, added on first use. Looked up
   * in the commit's transaction every time: an id kept from a commit that rolled back would
   * name no row.
   */
  private nearScreenId(s: NearScreenSettings): number {
    const args = [s.threshold, s.numHashes, s.shingleSize];
    this.db
      .prepare(
        'INSERT OR IGNORE INTO near_duplicate_screens (threshold, num_hashes, shingle_size) VALUES (?, ?, ?)',
      )
      .run(...args);
    const row = this.db
      .prepare(
        'SELECT id FROM near_duplicate_screens WHERE threshold = ? AND num_hashes = ? AND shingle_size = ?',
      )
      .get(...args) as { id: number };
    return row.id;
  }

  coreState(): CoreState | null {
    const json = this.stateJson('core_state');
    if (json === undefined) return null;
    try {
      return parseCoreState(json);
    } catch {
      return null;
    }
  }

  schedulerProgress(): SchedulerProgress | null {
    const json = this.stateJson('scheduler_state');
    if (json === undefined) return null;
    try {
      const s = parseSchedulerState(json);
      return { told: s.told, window: s.window, open: s.open.length };
    } catch {
      return null;
    }
  }

  loadProgress(): StoredProgress | null {
    const core = this.stateJson('core_state');
    if (core === undefined) return null;
    const scheduler = this.stateJson('scheduler_state');
    try {
      if (scheduler === undefined)
        throw new Error(
          'the run was written by sparq 0.1 (generation scheduler, no scheduler state): finish or read it with sparq 0.1, or start a new run directory',
        );
      return { core: parseCoreState(core), scheduler: parseSchedulerState(scheduler) };
    } catch (err) {
      throw new UserError(`cannot resume ${this.dir}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** The parsed JSON of a one-row state table, or undefined when nothing was committed. */
  private stateJson(table: 'core_state' | 'scheduler_state'): unknown {
    const row = this.db.prepare(`SELECT state_json FROM ${table} WHERE id = 1`).get() as
      | { state_json: string | Buffer }
      | undefined;
    if (!row) return undefined;
    return JSON.parse(
      Buffer.isBuffer(row.state_json) ? inflateRawSync(row.state_json).toString('utf8') : row.state_json,
    );
  }

  /** Epoch rows in order; the last may be partial (the run stopped inside it). */
  generations(): EpochRow[] {
    return (
      this.db
        .prepare(
          'SELECT generation, started_at, finished_at, metrics_json FROM generations ORDER BY generation',
        )
        .all() as Row[]
    ).map((row) => ({
      generation: row.generation as number,
      startedAt: row.started_at as string,
      finishedAt: row.finished_at as string,
      metrics: readMetrics(row.metrics_json as string),
    }));
  }

  counters(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const row of this.db.prepare('SELECT name, value FROM counters').all() as {
      name: string;
      value: number;
    }[])
      out[row.name] = row.value;
    return out;
  }

  nearDuplicateCandidates(
    keys: readonly number[],
    limit: number,
  ): { seq: number; uid: string; problem: string }[] {
    if (keys.length === 0 || limit <= 0) return [];
    return this.poolKeys
      .candidates(keys, limit)
      .map((id) => this.stmt.problemTextById!.get(id) as { seq: number; uid: string; problem: string });
  }

  hasProblemText(textHash: string, beforeSeq: number): boolean {
    // 52 bits of the hash find the problems; the whole hash decides.
    return this.poolKeys.candidates([textKey(textHash)], TEXT_KEY_CANDIDATES).some((id) => {
      const row = this.stmt.problemTextHash!.get(id) as { seq: number | null; text_hash: unknown };
      return row.seq !== null && row.seq < beforeSeq && unpackHex(row.text_hash) === textHash;
    });
  }

  textHashesFrom(fromSeq: number): { seq: number; textHash: string }[] {
    // Problems are inserted in task order, so the newest rows by id are the last told: read
    // backwards only as far as needed, with no index on seq to maintain for it.
    const out: { seq: number; textHash: string }[] = [];
    const stmt = this.db.prepare('SELECT seq, text_hash FROM problems ORDER BY id DESC');
    for (const row of stmt.iterate() as Iterable<{ seq: number; text_hash: unknown }>) {
      if (row.seq < fromSeq) break;
      out.push({ seq: row.seq, textHash: unpackHex(row.text_hash) });
    }
    return out.reverse();
  }

  /**
   * What a problem or rejection was made from: the record and every stored response of its task
   * (the mutation, labels and re-asks, solve attempts), or null for a uid the run does not have.
   */
  provenance(uid: string): {
    problem: ProblemRecord | null;
    rejection: RejectionRecord | null;
    responses: CachedResponse[];
  } | null {
    const problem = this.getProblems([uid])[0] ?? null;
    const row = problem
      ? undefined
      : (this.db.prepare('SELECT * FROM rejections WHERE uid = ?').get(uid) as Row | undefined);
    if (!problem && !row) return null;
    const rejection: RejectionRecord | null = row
      ? {
          uid: row.uid as string,
          seq: (row.seq as number | null) ?? -1,
          generation: row.generation as number,
          taskIndex: row.task_index as number,
          operator: row.operator as RejectionRecord['operator'],
          parentUids: JSON.parse(row.parent_uids as string),
          reason: row.reason as RejectionRecord['reason'],
          detail: (row.detail as string | null) ?? null,
          rawOutput: (row.raw_output as string | null) ?? null,
          requestKey: row.request_key == null ? null : unpackHex(row.request_key),
        }
      : null;
    const seq = problem?.seq ?? rejection!.seq;
    const responses = seq >= 0 ? this.responses.ofTask(seq) : [];
    // Responses written before schema 8 are found by key.
    const keys = problem
      ? [problem.mutateKey, problem.labelKey, ...problem.solveKeys]
      : [rejection!.requestKey];
    for (const key of keys)
      if (key !== null && !responses.some((r) => r.key === key)) {
        const old = this.responses.get(key, null);
        if (old) responses.push(old);
      }
    return { problem, rejection, responses };
  }

  getProblems(uids: readonly string[]): ProblemRecord[] {
    if (uids.length === 0) return [];
    const stmt = this.stmt.getProblem!;
    return uids
      .map((uid) => stmt.get(uid) as Row | undefined)
      .filter((r): r is Row => r !== undefined)
      .map((r) => rowToProblem(r, this.codec));
  }

  /** Streams problems in pool order without loading the pool into memory. */
  *iterateProblems(where = '1 = 1', params: unknown[] = []): Generator<ProblemRecord> {
    const stmt = this.db.prepare(`SELECT * FROM problems WHERE ${where} ORDER BY id`);
    for (const row of stmt.iterate(...params) as Iterable<Row>) yield rowToProblem(row, this.codec);
  }

  count(table: 'problems' | 'rejections', where = '1 = 1', params: unknown[] = []): number {
    return (
      this.db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`).get(...params) as { n: number }
    ).n;
  }

  /** Whether any told prefix was committed (the run has results a config change would mix with). */
  hasCommitted(): boolean {
    return this.db.prepare('SELECT 1 FROM core_state WHERE id = 1').get() !== undefined;
  }

  close(): void {
    try {
      if (!this.db.readonly) this.flush();
    } finally {
      if (this.db.open) this.db.close();
      this.onClose();
    }
    if (this.flushError !== null) throw this.flushError;
  }

  /** Cleans up after the connection (a read-only store's scratch copies). */
  private onClose: () => void = () => {};
}

/**
 * The core and scheduler states are rewritten whole at every commit (hundreds of KB each at a
 * few hundred thousand problems): deflated since schema 8, a fifth of the size, so a fifth of
 * those writes. Rows written before are JSON text.
 */
function packState(state: unknown): Buffer {
  return deflateRawSync(Buffer.from(JSON.stringify(state), 'utf8'), { level: 1 });
}

/** Problems sharing a text key looked at: exact duplicates are rejected when told, so one is all a key has but by a 52-bit collision. */
const TEXT_KEY_CANDIDATES = 16;

/** Responses are kept by task and key (response-table.ts), and so are those waiting to be written. */
function pendingKey(key: string, task: number | null): string {
  return `${task}:${key}`;
}

function migrate(db: Database.Database, dir: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new UserError(
      `run ${dir} uses database schema ${version}, but this sparq only knows schema ${SCHEMA_VERSION}: upgrade sparq to open it`,
    );
  }
  for (let v = version; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      applyMigration(db, v);
    })();
  }
}

/** Epoch metrics as written by `commit` (rows of sparq 0.1 lack the newer fields; they read as zero). */
function readMetrics(json: string): EpochMetrics {
  const m = JSON.parse(json) as Partial<EpochMetrics>;
  return {
    ...(m as EpochMetrics),
    partial: m.partial ?? false,
    truncatedAttempts: m.truncatedAttempts ?? 0,
    allTruncated: m.allTruncated ?? 0,
    spend: m.spend ?? {},
  };
}

/** A spend as counter increments, under the names `sparq status` reads. */
function spendCounters(spend: Spend): [string, number][] {
  const out: [string, number][] = [
    ['requests_sent', spend.requestsSent],
    ['cache_hits', spend.cacheHits],
    ['retries', spend.retries],
    ['failures', spend.failures],
    ['prompt_tokens', spend.promptTokens],
    ['completion_tokens', spend.completionTokens],
    ['batch_prompt_tokens', spend.batchPromptTokens],
    ['batch_completion_tokens', spend.batchCompletionTokens],
    ...Object.entries(spend.faults).map(([kind, n]): [string, number] => [`fault_${kind}`, Number(n ?? 0)]),
  ];
  return out.filter(([, v]) => v !== 0);
}
