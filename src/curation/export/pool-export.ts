/**
 * `sparq export`: the whole pool as a columnar dataset for analysis (DuckDB, pandas, Polars,
 * Spark), one row per problem with its solve statistics, graded attempts and provenance, at the
 * paper's scale (20 million problems on one machine).
 *
 * - Memory is flat: the pool is read in chunks of READ_CHUNK_ROWS by keyset pagination on the
 *   problems table's INTEGER PRIMARY KEY (each chunk its own short read, so a run writing at the
 *   same time can still checkpoint its WAL), bounded by the pool snapshot taken at the start (the
 *   last problem id: problems are append-only and never updated, so the rows are exactly the pool
 *   as of that moment). Parquet is written one row group at a time (hyparquet-writer's
 *   `ParquetWriter`, which takes row groups incrementally): at most one row group (`rowGroupRows`
 *   rows, or ROW_GROUP_BYTES of text, whichever comes first) is held in memory.
 * - Sharded: `part-00000.parquet`, `part-00001.parquet`, ... (or `.jsonl`) of `rowsPerFile` rows.
 * - Atomic: every shard is written under a hidden temporary name (`.part-00000.parquet.partial`),
 *   fsynced, and renamed into place only once all of them are written; `manifest.json` is written
 *   last, the same way. A crash, an error or Ctrl-C leaves no file under a final name; an export
 *   with a manifest is complete.
 * - Read-only on the run: the run database is opened through curation's read-only connection
 *   (src/storage/analysis-connection.ts, which opens it with the same read-only opener as
 *   `SqliteRunStore.openReadOnly` and, asked for `results: 'read'`, creates no file).
 */

import { createHash, type Hash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ByteWriter, ParquetWriter, type SchemaElement } from 'hyparquet-writer';
import { openAnalysisConnection } from '../../storage/analysis-connection.js';
import type { BodyCodec } from '../../storage/body-codec.js';
import { rowToProblem } from '../../storage/problem-rows.js';
import { runFileOf } from '../../storage/run-file.js';
import { UserError } from '../../util/errors.js';
import { SPARQ_VERSION } from '../../version.js';
import { poolSnapshot } from '../analysis-store.js';
import { readProvenance } from '../select.js';
import { assertCreatableFolder, assertWritableFolder, describeFsError } from './out-dir.js';

export const POOL_EXPORT_FORMATS = ['parquet', 'jsonl'] as const;
export type PoolExportFormat = (typeof POOL_EXPORT_FORMATS)[number];

export const DEFAULT_ROWS_PER_FILE = 1_000_000;
/**
 * Rows per Parquet row group. DuckDB reads row groups in parallel; the writer holds one group
 * and its encoding buffers, ~3 KB a row for the simulated model's problems, so a group of 20,000
 * keeps peak RSS near 350 MB where 50,000 took 600-950 MB (measured, bench/export.bench.ts).
 */
export const DEFAULT_ROW_GROUP_ROWS = 20_000;
/** A row group also closes at this much text, so long solutions cannot make one group huge. */
export const ROW_GROUP_BYTES = 32 * 1024 * 1024;
/** Rows read from SQLite per query. */
export const READ_CHUNK_ROWS = 10_000;
export const MANIFEST_FILE = 'manifest.json';
/** Bytes buffered before a write to the file. */
const FLUSH_BYTES = 1 << 20;

// --- the columns -------------------------------------------------------------------------------

/** One graded solve attempt, an element of `graded_attempts`. */
export interface ExportedAttempt {
  answer: string | null;
  correct: boolean;
  counted: boolean;
  finish_reason: string;
  checker_rule: string;
  request: number | null;
  choice: number;
  /** The judge model that decided the attempt (`checker_rule` is `judge`), else null. */
  judge_model: string | null;
}

/** One exported row: one problem of the pool. Keys are in column order. */
export interface PoolRow {
  uid: string;
  seq: number | null;
  generation: number;
  task_index: number;
  operator: string;
  seed_id: string | null;
  parents: string[];
  problem: string;
  solution: string;
  answer: string;
  subject: string | null;
  skill: string | null;
  level: string | null;
  cell: string | null;
  archive_status: string | null;
  solve_rate: number | null;
  quality: number | null;
  attempts: number;
  correct: number;
  truncated: number;
  graded_attempts: ExportedAttempt[];
  majority_answer: string | null;
  majority_share: number | null;
  verified: boolean;
  disputed: boolean;
  unverified_reason: string | null;
  label_malformed: boolean;
  raw_label: string | null;
  model: string | null;
  template_ref: string | null;
  template_hash: string | null;
  gen_params: string | null;
  solve_params: string | null;
  mutate_request_key: string | null;
  label_request_key: string | null;
  solve_request_keys: string[];
  text_hash: string;
}

type Scalar = 'VARCHAR' | 'INTEGER' | 'DOUBLE' | 'BOOLEAN';

interface AttemptField {
  name: keyof ExportedAttempt;
  type: Scalar;
  nullable: boolean;
}

const ATTEMPT_FIELDS: AttemptField[] = [
  { name: 'answer', type: 'VARCHAR', nullable: true },
  { name: 'correct', type: 'BOOLEAN', nullable: false },
  { name: 'counted', type: 'BOOLEAN', nullable: false },
  { name: 'finish_reason', type: 'VARCHAR', nullable: false },
  { name: 'checker_rule', type: 'VARCHAR', nullable: false },
  { name: 'request', type: 'INTEGER', nullable: true },
  { name: 'choice', type: 'INTEGER', nullable: false },
  { name: 'judge_model', type: 'VARCHAR', nullable: true },
];

/** The DuckDB type of `graded_attempts`. */
export const ATTEMPTS_TYPE = `STRUCT(${ATTEMPT_FIELDS.map((f) => `${f.name} ${f.type}`).join(', ')})[]`;

export type ColumnType = Scalar | 'VARCHAR[]' | typeof ATTEMPTS_TYPE;

export interface ColumnSpec {
  name: keyof PoolRow;
  /** The type DuckDB reads it as (Parquet: from the file's schema; JSONL: with the manifest's `read_with` query). */
  type: ColumnType;
  nullable: boolean;
  description: string;
}

const c = (name: keyof PoolRow, type: ColumnType, nullable: boolean, description: string): ColumnSpec => ({
  name,
  type,
  nullable,
  description,
});

export const POOL_COLUMNS: ColumnSpec[] = [
  c('uid', 'VARCHAR', false, 'problem id: `g<generation>-t<task>`, or `seed:<id>` for a seed'),
  c(
    'seq',
    'INTEGER',
    true,
    "the task's number in the run's task sequence (the order outcomes were told in); null in sparq 0.1 runs",
  ),
  c(
    'generation',
    'INTEGER',
    false,
    'reporting epoch: 0 for the seeds, then one per generation.batch_size mutation tasks',
  ),
  c('task_index', 'INTEGER', false, 'task number within its generation'),
  c('operator', 'VARCHAR', false, 'origin: seed, vary, harder or combine'),
  c('seed_id', 'VARCHAR', true, "the seed file's id of a seed problem"),
  c('parents', 'VARCHAR[]', false, 'uids of the parent problems (empty for seeds)'),
  c('problem', 'VARCHAR', false, 'problem statement'),
  c('solution', 'VARCHAR', false, 'worked solution ending in \\boxed{}'),
  c('answer', 'VARCHAR', false, 'reference final answer'),
  c('subject', 'VARCHAR', true, 'MATH subject (labelled)'),
  c('skill', 'VARCHAR', true, "skill from the run's taxonomy (labelled; `other` when off the list)"),
  c('level', 'VARCHAR', true, 'MATH level of a seed'),
  c('cell', 'VARCHAR', true, 'archive cell key'),
  c(
    'archive_status',
    'VARCHAR',
    true,
    'outcome when it competed for its cell: NEW, IMPROVED or NOT_ADDED; null when it did not compete',
  ),
  c('solve_rate', 'DOUBLE', true, 'correct / counted attempts; null when no attempt counted'),
  c('quality', 'DOUBLE', true, '1 - solve_rate for a verified problem, else null'),
  c('attempts', 'INTEGER', false, 'solve attempts made'),
  c('correct', 'INTEGER', false, 'attempts whose answer matched the reference'),
  c('truncated', 'INTEGER', false, 'attempts cut at max_tokens'),
  c(
    'graded_attempts',
    ATTEMPTS_TYPE,
    false,
    "every attempt: extracted answer (null: none found), grade, whether it counted in the solve-rate, finish reason, the checker's rule, index into solve_request_keys and choice within that response",
  ),
  c('majority_answer', 'VARCHAR', true, "the attempts' majority answer"),
  c('majority_share', 'DOUBLE', true, 'share of counted attempts that gave the majority answer'),
  c('verified', 'BOOLEAN', false, 'at least one attempt reproduced the reference answer'),
  c('disputed', 'BOOLEAN', false, 'a strong majority of attempts agrees on another answer'),
  c(
    'unverified_reason',
    'VARCHAR',
    true,
    'no_correct_attempt, all_truncated or no_answer; null when verified',
  ),
  c('label_malformed', 'BOOLEAN', false, 'the label reply broke the requested format even after re-asking'),
  c('raw_label', 'VARCHAR', true, 'what the labeller answered, before mapping'),
  c('model', 'VARCHAR', true, 'model that wrote the problem'),
  c('template_ref', 'VARCHAR', true, 'prompt template that wrote it, `<operator>@<version>`'),
  c('template_hash', 'VARCHAR', true, "hash of that template's text"),
  c('gen_params', 'VARCHAR', true, 'sampling parameters of the mutation (JSON text)'),
  c('solve_params', 'VARCHAR', true, 'sampling parameters of the attempts (JSON text)'),
  c(
    'mutate_request_key',
    'VARCHAR',
    true,
    'request key of the mutation (table requests of the run database)',
  ),
  c('label_request_key', 'VARCHAR', true, 'request key of the label'),
  c('solve_request_keys', 'VARCHAR[]', false, 'request keys of the solve attempts'),
  c('text_hash', 'VARCHAR', false, 'hash of the normalized problem text (exact duplicates share it)'),
];

type Row = Record<string, unknown>;

/** A row of the run's problems table as an exported row. */
export function poolRow(r: Row, codec: BodyCodec): PoolRow {
  const p = rowToProblem(r, codec);
  return {
    uid: p.uid,
    seq: (r.seq as number | null) ?? null,
    generation: p.generation,
    task_index: p.taskIndex,
    operator: p.origin,
    seed_id: p.seedId,
    parents: p.parentUids,
    problem: p.problem,
    solution: p.solution,
    answer: p.answer,
    subject: p.subject,
    skill: p.skill,
    level: p.level,
    cell: p.cell,
    archive_status: p.archiveStatus,
    solve_rate: p.solveRate,
    quality: p.quality,
    attempts: p.attempts.length,
    correct: p.correct,
    truncated: p.truncated,
    graded_attempts: p.attempts.map((a) => {
      const request = p.solveKeys.indexOf(a.requestKey);
      return {
        answer: a.answer,
        correct: a.correct,
        counted: a.counted,
        finish_reason: a.finishReason,
        checker_rule: a.rule,
        request: request < 0 ? null : request,
        choice: a.choice,
        judge_model: a.judge?.model ?? null,
      };
    }),
    majority_answer: p.majorityAnswer,
    majority_share: p.majorityShare,
    verified: p.verified,
    disputed: p.disputed,
    unverified_reason: p.unverifiedReason,
    label_malformed: p.labelMalformed,
    raw_label: p.rawLabel,
    model: p.model,
    template_ref: p.templateRef,
    template_hash: p.templateHash,
    gen_params: p.genParams === null ? null : JSON.stringify(p.genParams),
    solve_params: p.solveParams === null ? null : JSON.stringify(p.solveParams),
    mutate_request_key: p.mutateKey,
    label_request_key: p.labelKey,
    solve_request_keys: p.solveKeys,
    text_hash: p.textHash,
  };
}

/** Text held for a row, for the row-group byte limit. */
const rowBytes = (row: PoolRow) => row.problem.length + row.solution.length + row.answer.length + 512;

/**
 * Columns whose values are (nearly) all distinct are written PLAIN, without trying a dictionary;
 * long text and nested columns get no min/max statistics, which no reader prunes on.
 */
const PLAIN: ReadonlySet<string> = new Set([
  'uid',
  'problem',
  'solution',
  'text_hash',
  'mutate_request_key',
  'label_request_key',
  'solve_request_keys',
]);
const NO_STATISTICS: ReadonlySet<string> = new Set([
  'problem',
  'solution',
  'answer',
  'graded_attempts',
  'majority_answer',
  'raw_label',
  'gen_params',
  'solve_params',
  'parents',
  'solve_request_keys',
]);

// --- the Parquet schema --------------------------------------------------------------------------

const repetition = (nullable: boolean) => (nullable ? 'OPTIONAL' : 'REQUIRED');

function scalarElement(name: string, type: Scalar, nullable: boolean): SchemaElement {
  const repetition_type = repetition(nullable);
  switch (type) {
    case 'VARCHAR':
      return { name, repetition_type, type: 'BYTE_ARRAY', converted_type: 'UTF8' };
    case 'INTEGER':
      return { name, repetition_type, type: 'INT32' };
    case 'DOUBLE':
      return { name, repetition_type, type: 'DOUBLE' };
    case 'BOOLEAN':
      return { name, repetition_type, type: 'BOOLEAN' };
  }
}

function columnElements(col: ColumnSpec): SchemaElement[] {
  // Lists are never null (an empty list instead): the standard 3-level LIST.
  const list = (element: SchemaElement[]): SchemaElement[] => [
    { name: col.name, repetition_type: 'REQUIRED', converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    ...element,
  ];
  if (col.type === 'VARCHAR[]') return list([scalarElement('element', 'VARCHAR', false)]);
  if (col.type === ATTEMPTS_TYPE)
    return list([
      { name: 'element', repetition_type: 'REQUIRED', num_children: ATTEMPT_FIELDS.length },
      ...ATTEMPT_FIELDS.map((f) => scalarElement(f.name, f.type, f.nullable)),
    ]);
  return [scalarElement(col.name, col.type as Scalar, col.nullable)];
}

export const POOL_PARQUET_SCHEMA: SchemaElement[] = [
  { name: 'root', num_children: POOL_COLUMNS.length },
  ...POOL_COLUMNS.flatMap(columnElements),
];

/** The `columns` argument of DuckDB's read_json for the JSONL shards. */
export function duckdbJsonColumns(): string {
  return `{${POOL_COLUMNS.map((col) => `${col.name}: '${col.type}'`).join(', ')}}`;
}

// --- files ---------------------------------------------------------------------------------------

/** An OS error with the path it concerns, for the CLI's message (failure-message.ts). */
function withPath(err: unknown, path: string): unknown {
  if (err && typeof err === 'object' && 'code' in err && !('path' in err))
    (err as NodeJS.ErrnoException).path = path;
  return err;
}

/**
 * A file written under a temporary name: bytes counted and hashed as they are written, fsynced
 * when closed; renamed into place by the caller.
 */
class ShardFile {
  private fd: number | null;
  private readonly hash: Hash = createHash('sha256');
  bytes = 0;
  rows = 0;

  constructor(
    readonly temp: string,
    readonly final: string,
  ) {
    try {
      this.fd = openSync(temp, 'w');
    } catch (err) {
      throw withPath(err, temp);
    }
  }

  write(chunk: Uint8Array): void {
    try {
      let done = 0;
      while (done < chunk.length) done += writeSync(this.fd!, chunk, done, chunk.length - done);
    } catch (err) {
      throw withPath(err, this.final);
    }
    this.hash.update(chunk);
    this.bytes += chunk.length;
  }

  /** Flushes to the disk and closes; returns the sha256 of the content. */
  close(): string {
    try {
      fsyncSync(this.fd!);
      closeSync(this.fd!);
    } catch (err) {
      throw withPath(err, this.final);
    }
    this.fd = null;
    return this.hash.digest('hex');
  }

  /** Closes and removes the file (`renamed`: also under its final name). */
  abort(renamed = false): void {
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch {
        // already closed
      }
      this.fd = null;
    }
    rmSync(this.temp, { force: true });
    if (renamed) rmSync(this.final, { force: true });
  }
}

/** hyparquet-writer's byte writer, emptied into a ShardFile every MB instead of growing. */
class ShardSink extends ByteWriter {
  constructor(private readonly file: ShardFile) {
    super(FLUSH_BYTES * 2);
  }

  override ensure(size: number): void {
    if (this.index > FLUSH_BYTES) this.flush();
    super.ensure(size);
  }

  /** Called by ParquetWriter after every row group, and by finish. */
  flush(): void {
    if (this.index === 0) return;
    this.file.write(new Uint8Array(this.buffer, 0, this.index));
    this.index = 0;
  }

  override finish(): void {
    this.flush();
  }
}

interface Shard {
  readonly file: ShardFile;
  add(row: PoolRow): void;
  /** Writes what is buffered and the file's footer; the file is then closed. */
  finish(): void;
}

class ParquetShard implements Shard {
  private readonly writer: ParquetWriter;
  private columns: unknown[][] = POOL_COLUMNS.map(() => []);
  private groupRows = 0;
  private groupBytes = 0;

  constructor(
    readonly file: ShardFile,
    private readonly rowGroupRows: number,
    keyValue: Record<string, string>,
  ) {
    this.writer = new ParquetWriter({
      writer: new ShardSink(file),
      schema: POOL_PARQUET_SCHEMA,
      kvMetadata: Object.entries(keyValue).map(([key, value]) => ({ key, value })),
      createdBy: `sparq version ${SPARQ_VERSION}`,
    });
  }

  add(row: PoolRow): void {
    for (let i = 0; i < POOL_COLUMNS.length; i++) this.columns[i]!.push(row[POOL_COLUMNS[i]!.name]);
    this.file.rows++;
    this.groupRows++;
    this.groupBytes += rowBytes(row);
    if (this.groupRows >= this.rowGroupRows || this.groupBytes >= ROW_GROUP_BYTES) this.writeGroup();
  }

  private writeGroup(): void {
    if (this.groupRows === 0) return;
    const columnData = POOL_COLUMNS.map((col, i) => ({
      name: col.name,
      data: this.columns[i]!,
      ...(PLAIN.has(col.name) ? { encoding: 'PLAIN' as const } : {}),
      ...(NO_STATISTICS.has(col.name) ? { statistics: false } : {}),
    }));
    this.writer.write({ columnData, rowGroupSize: this.groupRows });
    this.columns = POOL_COLUMNS.map(() => []);
    this.groupRows = 0;
    this.groupBytes = 0;
  }

  finish(): void {
    this.writeGroup();
    this.writer.finish();
  }
}

class JsonlShard implements Shard {
  private buffer: string[] = [];
  private buffered = 0;

  constructor(readonly file: ShardFile) {}

  add(row: PoolRow): void {
    const line = `${JSON.stringify(row)}\n`;
    this.buffer.push(line);
    this.buffered += line.length;
    this.file.rows++;
    if (this.buffered >= FLUSH_BYTES) this.flush();
  }

  private flush(): void {
    if (this.buffer.length === 0) return;
    this.file.write(Buffer.from(this.buffer.join(''), 'utf8'));
    this.buffer = [];
    this.buffered = 0;
  }

  finish(): void {
    this.flush();
  }
}

// --- the output folder ---------------------------------------------------------------------------

/** Files of an export (and of an interrupted one), which --force replaces. */
const EXPORT_FILE = /^(part-\d+\.(parquet|jsonl)|manifest\.json)$/;
const PARTIAL_FILE = /^\.(part-\d+\.(parquet|jsonl)|manifest\.json)\.partial$/;

/**
 * Checks, before any work, that `dir` can take the export: an existing folder must be empty
 * (or `force`), writable and not the run directory; a missing one must be creatable. Returns the
 * absolute path.
 */
export function checkExportDir(dir: string, runDir: string, force: boolean): string {
  const out = resolve(dir);
  if (out === resolve(runDir))
    throw new UserError(`--out ${dir} is the run directory: choose a folder of its own for the export`);
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw new UserError(`--out ${dir} exists and is not a directory`);
    const entries = readdirSync(out).sort();
    if (entries.length > 0 && !force) {
      const shown = entries.slice(0, 3).join(', ') + (entries.length > 3 ? ', ...' : '');
      const what = entries.includes(MANIFEST_FILE) ? 'already holds an export' : 'is not empty';
      throw new UserError(
        `--out ${dir} ${what} (${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}: ${shown}); choose a new or empty folder, or pass --force to replace the export in it`,
      );
    }
    assertWritableFolder(out, dir);
    return out;
  }
  assertCreatableFolder(out, dir);
  return out;
}

/** Removes an earlier export from `out` (--force): the manifest first, so it never describes a mix. */
function removeEarlierExport(out: string): void {
  rmSync(join(out, MANIFEST_FILE), { force: true });
  for (const name of readdirSync(out))
    if (EXPORT_FILE.test(name) || PARTIAL_FILE.test(name)) rmSync(join(out, name), { force: true });
}

function fsyncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Not every file system can sync a directory; the files themselves are synced.
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

// --- the export ----------------------------------------------------------------------------------

export interface PoolExportOptions {
  runDir: string;
  outDir: string;
  format: PoolExportFormat;
  rowsPerFile: number;
  /** Parquet only. */
  rowGroupRows: number;
  includeSeeds: boolean;
  force: boolean;
  log: (line: string) => void;
  /** Aborting stops the export at the next chunk and removes what it wrote. */
  signal?: AbortSignal;
}

export interface ExportedFile {
  name: string;
  rows: number;
  bytes: number;
  sha256: string;
}

/** The run an export came from. */
export interface ManifestRun {
  /** The run directory's name. */
  dir: string;
  config_hash: string | null;
  model: string | null;
  /** The sparq version of the run's last process. */
  sparq_version: string | null;
  seeds: string | null;
  solver_k: number | null;
  generations: number;
}

export interface PoolManifest {
  format: PoolExportFormat;
  /** The sparq version that wrote the export. */
  sparq_version: string;
  run_id: string | null;
  run: ManifestRun;
  /** The pool as of the export's start: every problem with an id up to max_id. */
  snapshot: { problems: number; max_id: number };
  filters: { include_seeds: boolean };
  rows: number;
  /** Problems of the snapshot left out by the filters. Rejections are never rows. */
  excluded: { seeds: number };
  rows_per_file: number;
  row_group_rows: number | null;
  files: ExportedFile[];
  columns: ColumnSpec[];
  /** A query that reads the whole export with the manifest's column types, run in the export folder. */
  read_with: { duckdb: string };
}

export interface PoolExportResult {
  dir: string;
  manifest: PoolManifest;
  seconds: number;
}

const num = (n: number) => n.toLocaleString('en-US');

function checkCount(flag: string, n: number, max: number): void {
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new UserError(`${flag} expects an integer in [1, ${max}], got "${n}"`);
}

/** Reads a query for the export, relative to its folder. */
function readQuery(format: PoolExportFormat): string {
  return format === 'parquet'
    ? "SELECT * FROM read_parquet('part-*.parquet')"
    : `SELECT * FROM read_json('part-*.jsonl', format = 'newline_delimited', columns = ${duckdbJsonColumns()})`;
}

export async function exportPool(o: PoolExportOptions): Promise<PoolExportResult> {
  const started = performance.now();
  if (!(POOL_EXPORT_FORMATS as readonly string[]).includes(o.format))
    throw new UserError(`--format expects one of ${POOL_EXPORT_FORMATS.join(', ')}, got "${o.format}"`);
  checkCount('--rows-per-file', o.rowsPerFile, 1_000_000_000);
  checkCount('--row-group-rows', o.rowGroupRows, 1_000_000);
  runFileOf(o.runDir);
  const out = checkExportDir(o.outDir, o.runDir, o.force);
  const conn = openAnalysisConnection(o.runDir, { results: 'read', warn: o.log });
  const pending: ShardFile[] = [];
  let current: Shard | null = null;
  let createdOut = false;
  let renaming = false;
  try {
    const snapshot = poolSnapshot(conn);
    if (snapshot.count === 0) throw new UserError(`run ${o.runDir} has no problems yet: nothing to export`);
    const provenance = readProvenance(conn, snapshot);
    const run: ManifestRun = {
      dir: provenance.runDir,
      config_hash: provenance.configHash,
      model: provenance.model,
      sparq_version: provenance.runSparqVersion,
      seeds: provenance.seeds,
      solver_k: provenance.solverK,
      generations: provenance.generations,
    };

    createdOut = !existsSync(out);
    try {
      mkdirSync(out, { recursive: true });
    } catch (err) {
      throw new UserError(`cannot create output folder ${o.outDir}: ${describeFsError(err)}`);
    }
    if (o.force) removeEarlierExport(out);

    const width = Math.max(5, String(Math.ceil(snapshot.count / o.rowsPerFile) - 1).length);
    const keyValue = {
      'sparq.run_id': provenance.runId ?? '',
      'sparq.export': JSON.stringify({
        sparq_version: SPARQ_VERSION,
        include_seeds: o.includeSeeds,
        snapshot_max_id: snapshot.maxId,
      }),
    };
    const openShard = (): Shard => {
      const name = `part-${String(pending.length).padStart(width, '0')}.${o.format}`;
      const file = new ShardFile(join(out, `.${name}.partial`), join(out, name));
      pending.push(file);
      return o.format === 'parquet' ? new ParquetShard(file, o.rowGroupRows, keyValue) : new JsonlShard(file);
    };
    const files: ExportedFile[] = [];
    let rows = 0;
    const closeShard = (shard: Shard) => {
      shard.finish();
      const sha256 = shard.file.close();
      const name = basename(shard.file.final);
      files.push({ name, rows: shard.file.rows, bytes: shard.file.bytes, sha256 });
      o.log(
        `${name}: ${num(shard.file.rows)} rows, ${(shard.file.bytes / 1e6).toFixed(1)} MB (${num(rows)} rows so far, ${((performance.now() - started) / 1000).toFixed(1)} s)`,
      );
    };

    // Keyset pagination on the primary key, bounded by the snapshot; each chunk is one query.
    const chunk = conn.db.prepare(
      `SELECT * FROM main.problems WHERE id > ? AND id <= ?${o.includeSeeds ? '' : " AND origin <> 'seed'"} ORDER BY id LIMIT ?`,
    );
    // Stepped through, not read whole: 10,000 row objects at once would outlive the young
    // generation and slow every collection (measured: twice the time of stepping).
    let last = 0;
    for (;;) {
      if (o.signal?.aborted) throw o.signal.reason;
      let read = 0;
      for (const r of chunk.iterate(last, snapshot.maxId, READ_CHUNK_ROWS) as Iterable<Row>) {
        read++;
        last = r.id as number;
        current ??= openShard();
        current.add(poolRow(r, conn.codec));
        rows++;
        if (current.file.rows >= o.rowsPerFile) {
          closeShard(current);
          current = null;
        }
      }
      if (read === 0) break;
      // Let signals (Ctrl-C) through between chunks.
      await new Promise((done) => setImmediate(done));
    }
    // An export always has a file, so `part-*` globs match and give the columns (an empty one when no row qualified).
    if (current !== null || pending.length === 0) {
      closeShard(current ?? openShard());
      current = null;
    }
    if (rows === 0)
      o.log(
        `note: no problem qualified (the pool holds ${num(snapshot.count)} seeds and no generated problem); --include-seeds exports the seeds`,
      );

    renaming = true;
    for (const file of pending) {
      try {
        renameSync(file.temp, file.final);
      } catch (err) {
        throw withPath(err, file.final);
      }
    }
    pending.length = 0;

    const manifest: PoolManifest = {
      format: o.format,
      sparq_version: SPARQ_VERSION,
      run_id: provenance.runId,
      run,
      snapshot: { problems: snapshot.count, max_id: snapshot.maxId },
      filters: { include_seeds: o.includeSeeds },
      rows,
      excluded: { seeds: snapshot.count - rows },
      rows_per_file: o.rowsPerFile,
      row_group_rows: o.format === 'parquet' ? o.rowGroupRows : null,
      files,
      columns: POOL_COLUMNS,
      read_with: { duckdb: readQuery(o.format) },
    };
    const manifestFile = new ShardFile(join(out, `.${MANIFEST_FILE}.partial`), join(out, MANIFEST_FILE));
    pending.push(manifestFile);
    manifestFile.write(Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8'));
    manifestFile.close();
    renameSync(manifestFile.temp, manifestFile.final);
    pending.length = 0;
    fsyncDir(out);
    return { dir: out, manifest, seconds: (performance.now() - started) / 1000 };
  } catch (err) {
    // Nothing of this export stays: every file is still under its temporary name.
    current?.file.abort();
    for (const file of pending) file.abort(renaming);
    if (createdOut && existsSync(out) && readdirSync(out).length === 0) rmSync(out, { recursive: true });
    throw err;
  } finally {
    conn.close();
  }
}
