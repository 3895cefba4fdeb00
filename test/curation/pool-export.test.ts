/**
 * `sparq export`: the whole pool as sharded Parquet or JSONL with a manifest, on a real run (the
 * CLI against a sim-server process), read back with DuckDB: row counts, column types and values
 * against the run database, shards and row groups, identical re-exports, the same rows in both
 * formats, atomic files under kill -9 and Ctrl-C, and every user error with exit code 2.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import Database from 'better-sqlite3';
import { parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  POOL_COLUMNS,
  type PoolManifest,
  type PoolRow,
  poolRow,
} from '../../src/curation/export/pool-export.js';
import { BodyCodec } from '../../src/storage/body-codec.js';
import { SPARQ_VERSION } from '../../src/version.js';
import {
  CLI,
  canRunAsNobody,
  runCli,
  runCliAsNobody,
  type SpawnedServer,
  startSimServerProcess,
  tempDir,
} from '../helpers/cli.js';

type Row = Record<string, unknown>;

let server: SpawnedServer;
let work: string;
let run: string;
/** Every row of the run's problems table, in id order. */
let dbRows: Row[];
let runId: string;

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const manifestOf = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as PoolManifest;
const parts = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.startsWith('part-'))
    .sort();

async function duck<T = Row>(sql: string, searchPath?: string): Promise<T[]> {
  const instance = await DuckDBInstance.create();
  const connection = await instance.connect();
  try {
    if (searchPath !== undefined) await connection.run(`SET file_search_path = '${searchPath}'`);
    return (await connection.runAndReadAll(sql)).getRowObjectsJson() as T[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** The attempts of a problems row, unpacked here independently of the store's decoder. */
function attemptsOf(row: Row) {
  return (JSON.parse(row.attempts_json as string) as unknown[][]).map((a) => ({
    answer: a[0] ?? null,
    correct: a[1] === 1,
    counted: a[6] !== 0,
    finish_reason: a[5] ?? 'stop',
    checker_rule: a[2],
    request: (a[3] as number) < 0 ? null : a[3],
    choice: a[4],
    judge_model: (a[7] as [string, string] | undefined)?.[0] ?? null,
  }));
}

/**
 * The problems rows, decoded here independently of the store (as storage documents the layout:
 * keys as bytes; the problem text, and a body of the other fields, each as one byte naming its
 * dictionary and raw deflate), into the layout with a column per field.
 */
function readDb(dir: string): Row[] {
  const db = new Database(join(dir, 'sparq.db'), { readonly: true });
  try {
    const dictionaries = new Map(
      (
        db.prepare('SELECT id, bytes FROM compression_dictionaries').all() as { id: number; bytes: Buffer }[]
      ).map((d) => [d.id, d.bytes]),
    );
    const hex = (v: unknown) => (Buffer.isBuffer(v) ? v.toString('hex') : v);
    const inflate = (stored: Buffer) => {
      const dictionary = dictionaries.get(stored[0]!);
      return inflateRawSync(stored.subarray(1), dictionary ? { dictionary } : {}).toString('utf8');
    };
    return (db.prepare('SELECT * FROM problems ORDER BY id').all() as Row[]).map((r) => {
      const body = JSON.parse(inflate(r.body as Buffer)) as Record<string, unknown>;
      const keys = r.solve_keys as Buffer;
      const width = keys[0]!;
      const solveKeys = Array.from({ length: (keys.length - 1) / width }, (_, i) =>
        keys.subarray(1 + i * width, 1 + (i + 1) * width).toString('hex'),
      );
      return {
        ...r,
        body: null,
        // Compressed the same way since schema 12.
        problem: Buffer.isBuffer(r.problem) ? inflate(r.problem) : r.problem,
        solution: body.solution,
        attempts_json: JSON.stringify(body.attempts),
        raw_label: body.rawLabel,
        gen_params: body.genParams === null ? null : JSON.stringify(body.genParams),
        solve_params: body.solveParams === null ? null : JSON.stringify(body.solveParams),
        mutate_key: hex(r.mutate_key),
        label_key: hex(r.label_key),
        text_hash: hex(r.text_hash),
        solve_keys: JSON.stringify(solveKeys),
      };
    });
  } finally {
    db.close();
  }
}

const generated = () => dbRows.filter((r) => r.origin !== 'seed');

beforeAll(async () => {
  server = await startSimServerProcess([]);
  work = tempDir('sparq-pool-export-');
  run = join(work, 'run');
  const r = runCli([
    'run',
    run,
    '--base-url',
    server.url,
    '-q',
    '--set',
    'seeds.sample=30',
    '--set',
    'budget.generations=2',
  ]);
  expect(r.status, r.stderr).toBe(0);
  dbRows = readDb(run);
  const db = new Database(join(run, 'sparq.db'), { readonly: true });
  runId = (db.prepare("SELECT value FROM meta WHERE key = 'run_id'").get() as { value: string }).value;
  db.close();
  expect(generated().length).toBeGreaterThan(60);
}, 120_000);
afterAll(() => server?.stop());

describe('parquet', () => {
  let out: string;
  let manifest: PoolManifest;
  let stdout: string;
  const runFiles = () =>
    Object.fromEntries(
      readdirSync(run)
        .filter((f) => f.startsWith('sparq.db'))
        .map((f) => [f, sha256(join(run, f))]),
    );
  let before: Record<string, string>;

  beforeAll(() => {
    out = join(work, 'pq');
    before = runFiles();
    const r = runCli([
      'export',
      run,
      '--format',
      'parquet',
      '--out',
      out,
      '--rows-per-file',
      '40',
      '--row-group-rows',
      '16',
    ]);
    expect(r.status, r.stderr).toBe(0);
    stdout = r.stdout;
    manifest = manifestOf(out);
  });

  it('writes shards of --rows-per-file rows and a manifest, and leaves the run as it was', () => {
    expect(stdout.trim()).toBe(out);
    const n = generated().length;
    const files = parts(out);
    expect(files).toHaveLength(Math.ceil(n / 40));
    expect(files[0]).toBe('part-00000.parquet');
    expect(readdirSync(out).sort()).toEqual([...files, 'manifest.json'].sort());
    expect(manifest.files.map((f) => f.name)).toEqual(files);
    expect(manifest.files.map((f) => f.rows)).toEqual(files.map((_, i) => Math.min(40, n - i * 40)));
    for (const f of manifest.files) expect(sha256(join(out, f.name)), f.name).toBe(f.sha256);
    expect(manifest).toMatchObject({
      format: 'parquet',
      sparq_version: SPARQ_VERSION,
      rows: n,
      filters: { include_seeds: false },
      excluded: { seeds: 30 },
      snapshot: { problems: dbRows.length, max_id: dbRows.at(-1)!.id },
      rows_per_file: 40,
      row_group_rows: 16,
      run_id: runId,
      run: { dir: 'run', model: 'sim-1', solver_k: 8, sparq_version: SPARQ_VERSION },
    });
    // Read only: the run database and its WAL are byte for byte what they were; no file added.
    expect(runFiles()).toEqual(before);
    expect(existsSync(join(run, 'curation.db'))).toBe(false);
  });

  it('has as many rows as the run has generated problems, in pool order, in row groups', async () => {
    const [count] = await duck<{ n: number; uids: number }>(
      `SELECT count(*)::INTEGER AS n, count(DISTINCT uid)::INTEGER AS uids FROM read_parquet('${out}/*.parquet')`,
    );
    expect(count).toEqual({ n: generated().length, uids: generated().length });
    const uids = await duck<{ uid: string }>(
      `SELECT uid FROM read_parquet('${out}/*.parquet', filename = true, file_row_number = true) ORDER BY filename, file_row_number`,
    );
    expect(uids.map((r) => r.uid)).toEqual(generated().map((r) => r.uid));
    const groups = await duck<{ file: string; groups: number; rows: number }>(
      `SELECT parse_filename(file_name) AS file, count(DISTINCT row_group_id)::INTEGER AS groups, max(row_group_num_rows)::INTEGER AS rows
       FROM parquet_metadata('${out}/*.parquet') GROUP BY 1 ORDER BY 1`,
    );
    expect(groups[0]).toEqual({ file: 'part-00000.parquet', groups: 3, rows: 16 });
  });

  it('has the columns and types the manifest lists', async () => {
    const described = await duck<{ column_name: string; column_type: string }>(
      `DESCRIBE SELECT * FROM read_parquet('${out}/*.parquet')`,
    );
    const unquote = (t: string) => t.replace(/"(\w+)"/g, '$1');
    expect(described.map((d) => [d.column_name, unquote(d.column_type)])).toEqual(
      manifest.columns.map((c) => [c.name, c.type]),
    );
    expect(manifest.columns).toEqual(POOL_COLUMNS);
    expect(described.find((d) => d.column_name === 'graded_attempts')!.column_type).toMatch(
      /^STRUCT\(answer VARCHAR, correct BOOLEAN, counted BOOLEAN, finish_reason VARCHAR, checker_rule VARCHAR, request INTEGER, choice INTEGER, judge_model VARCHAR\)\[\]$/,
    );
  });

  it('carries the values of the run database', async () => {
    const rows = await duck<Row>(`SELECT * FROM read_parquet('${out}/*.parquet')`);
    const byUid = new Map(rows.map((r) => [r.uid as string, r]));
    for (const p of generated()) {
      const e = byUid.get(p.uid as string)!;
      expect(e, p.uid as string).toBeDefined();
      expect(e).toMatchObject({
        seq: p.seq,
        generation: p.generation,
        task_index: p.task_index,
        operator: p.origin,
        parents: JSON.parse(p.parent_uids as string),
        problem: p.problem,
        solution: p.solution,
        answer: p.answer,
        subject: p.subject,
        skill: p.skill,
        cell: p.cell,
        archive_status: p.archive_status,
        solve_rate: p.solve_rate,
        attempts: p.attempts,
        correct: p.correct,
        majority_answer: p.majority_answer,
        verified: p.verified === 1,
        disputed: p.disputed === 1,
        model: 'sim-1',
        template_ref: p.template_ref,
        template_hash: p.template_hash,
        mutate_request_key: p.mutate_key,
        label_request_key: p.label_key,
        solve_request_keys: JSON.parse(p.solve_keys as string),
        gen_params: p.gen_params,
        text_hash: p.text_hash,
      });
      expect(e.graded_attempts).toEqual(attemptsOf(p));
      expect((e.graded_attempts as { correct: boolean }[]).filter((a) => a.correct)).toHaveLength(
        p.correct as number,
      );
    }
    // Provenance leads back: every parent is a problem of the run, every key a request.
    const uids = new Set(dbRows.map((r) => r.uid));
    for (const r of rows)
      for (const parent of r.parents as string[]) expect(uids.has(parent), parent).toBe(true);
    const operators = new Set(rows.map((r) => r.operator));
    expect([...operators].sort()).toEqual(['combine', 'harder', 'vary']);
    // DuckDB reads the list columns as lists: unnest works.
    const [attempts] = await duck<{ n: number }>(
      `SELECT count(*)::INTEGER AS n FROM (SELECT unnest(graded_attempts) AS a FROM read_parquet('${out}/*.parquet')) WHERE a.correct`,
    );
    expect(attempts!.n).toBe(generated().reduce((s, p) => s + (p.correct as number), 0));
  });

  it('exports the same bytes again with --force, and refuses to overwrite without it', () => {
    const again = runCli(['export', run, '--out', out, '--rows-per-file', '40', '--row-group-rows', '16']);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/already holds an export .*--force/);
    const r = runCli([
      'export',
      run,
      '--out',
      out,
      '--rows-per-file',
      '40',
      '--row-group-rows',
      '16',
      '--force',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(manifestOf(out)).toEqual(manifest);
    // --force with fewer shards leaves no stale shard behind.
    const fewer = runCli(['export', run, '--out', out, '--force', '--json']);
    expect(fewer.status, fewer.stderr).toBe(0);
    expect(parts(out)).toEqual(['part-00000.parquet']);
    expect(JSON.parse(fewer.stdout)).toMatchObject({
      out,
      rows: generated().length,
      rows_per_file: 1_000_000,
    });
  });
});

describe('--include-seeds', () => {
  it('adds the seeds (generation 0) to the rows', async () => {
    const out = join(work, 'seeds');
    const r = runCli(['export', run, '--out', out, '--include-seeds']);
    expect(r.status, r.stderr).toBe(0);
    const rows = await duck<{ uid: string; operator: string; parents: string[]; generation: number }>(
      `SELECT uid, operator, parents, generation FROM read_parquet('${out}/*.parquet')`,
    );
    expect(rows.map((x) => x.uid)).toEqual(dbRows.map((x) => x.uid));
    const seeds = rows.filter((x) => x.operator === 'seed');
    expect(seeds).toHaveLength(30);
    for (const s of seeds) expect(s).toMatchObject({ parents: [], generation: 0 });
    expect(manifestOf(out)).toMatchObject({ rows: dbRows.length, excluded: { seeds: 0 } });
  });
});

describe('a pool without generated problems', () => {
  it('gives one empty shard with the columns, and a note', async () => {
    const seedsOnly = join(work, 'seeds-only');
    mkdirSync(seedsOnly);
    copyFileSync(join(run, 'sparq.db'), join(seedsOnly, 'sparq.db'));
    if (existsSync(join(run, 'sparq.db-wal')))
      copyFileSync(join(run, 'sparq.db-wal'), join(seedsOnly, 'sparq.db-wal'));
    const db = new Database(join(seedsOnly, 'sparq.db'));
    db.exec("DELETE FROM problems WHERE origin <> 'seed'");
    db.close();
    for (const format of ['parquet', 'jsonl'] as const) {
      const out = join(work, `empty-${format}`);
      const r = runCli(['export', seedsOnly, '--out', out, '--format', format]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/no problem qualified .*--include-seeds exports the seeds/);
      expect(parts(out)).toEqual([`part-00000.${format}`]);
      const manifest = manifestOf(out);
      expect(manifest).toMatchObject({ rows: 0, excluded: { seeds: 30 }, files: [{ rows: 0 }] });
      const described = await duck<{ column_name: string }>(`DESCRIBE ${manifest.read_with.duckdb}`, out);
      expect(described.map((d) => d.column_name)).toEqual(POOL_COLUMNS.map((c) => c.name));
      const [n] = await duck<{ n: number }>(
        `SELECT count(*)::INTEGER AS n FROM (${manifest.read_with.duckdb})`,
        out,
      );
      expect(n!.n).toBe(0);
    }
  });
});

describe('jsonl', () => {
  let out: string;
  let manifest: PoolManifest;
  beforeAll(() => {
    out = join(work, 'jl');
    const r = runCli(['export', run, '--format', 'jsonl', '--out', out, '--rows-per-file', '50']);
    expect(r.status, r.stderr).toBe(0);
    manifest = manifestOf(out);
  });

  it('writes shards of JSON lines, one object per problem with the columns in order', () => {
    const files = parts(out);
    expect(files).toEqual(
      Array.from({ length: Math.ceil(generated().length / 50) }, (_, i) => `part-0000${i}.jsonl`),
    );
    const lines = files.flatMap((f) =>
      readFileSync(join(out, f), 'utf8')
        .split('\n')
        .filter((l) => l !== ''),
    );
    expect(lines).toHaveLength(generated().length);
    const rows = lines.map((l) => JSON.parse(l) as PoolRow);
    for (const row of rows) expect(Object.keys(row)).toEqual(POOL_COLUMNS.map((c) => c.name));
    expect(rows.map((r) => r.uid)).toEqual(generated().map((r) => r.uid));
    // The rows are the store's reading of the problems table.
    expect(rows).toEqual(generated().map((p) => poolRow(p, new BodyCodec(new Database(':memory:')))));
    expect(manifest.files.map((f) => [f.name, f.rows, f.sha256])).toEqual(
      files.map((f, i) => [f, lines.length - i * 50 >= 50 ? 50 : lines.length % 50, sha256(join(out, f))]),
    );
  });

  it("reads in DuckDB with the manifest's query and types", async () => {
    const described = await duck<{ column_name: string; column_type: string }>(
      `DESCRIBE ${manifest.read_with.duckdb}`,
      out,
    );
    expect(described.map((d) => [d.column_name, d.column_type.replace(/"(\w+)"/g, '$1')])).toEqual(
      POOL_COLUMNS.map((c) => [c.name, c.type]),
    );
    const [n] = await duck<{ n: number }>(
      `SELECT count(*)::INTEGER AS n FROM (${manifest.read_with.duckdb})`,
      out,
    );
    expect(n!.n).toBe(generated().length);
    const auto = await duck<{ n: number; correct: number }>(
      `SELECT count(*)::INTEGER AS n, sum(correct)::INTEGER AS correct FROM read_json_auto('${out}/*.jsonl')`,
    );
    expect(auto[0]).toEqual({
      n: generated().length,
      correct: generated().reduce((s, p) => s + (p.correct as number), 0),
    });
  });

  it('holds the same rows as the Parquet export', async () => {
    const pq = join(work, 'pq-same');
    const r = runCli(['export', run, '--out', pq]);
    expect(r.status, r.stderr).toBe(0);
    const file = readFileSync(join(pq, 'part-00000.parquet'));
    const fromParquet = await parquetReadObjects({
      file: file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength),
    });
    const fromJsonl = readFileSync(join(out, 'part-00000.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l));
    expect(fromParquet.slice(0, fromJsonl.length)).toEqual(fromJsonl);
  });
});

describe('atomic files', () => {
  let big: string;
  beforeAll(() => {
    // A larger pool: the run's problems copied under new uids, straight in SQL on a copy.
    big = join(work, 'big');
    mkdirSync(big);
    copyFileSync(join(run, 'sparq.db'), join(big, 'sparq.db'));
    if (existsSync(join(run, 'sparq.db-wal')))
      copyFileSync(join(run, 'sparq.db-wal'), join(big, 'sparq.db-wal'));
    const db = new Database(join(big, 'sparq.db'));
    const columns = (db.prepare('PRAGMA table_info(problems)').all() as { name: string }[])
      .map((c) => c.name)
      .filter((c) => c !== 'id');
    const copy = db.prepare(
      `INSERT INTO problems (${columns.join(', ')}) SELECT ${columns.map((c) => (c === 'uid' ? `uid || '-c' || ?` : c)).join(', ')} FROM problems WHERE origin <> 'seed' AND uid NOT LIKE '%-c%'`,
    );
    db.transaction(() => {
      for (let i = 0; i < 250; i++) copy.run(i);
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
  });

  /** Starts an export of the big pool and resolves once its second shard is being written. */
  function startExport(out: string) {
    const child = spawn(process.execPath, [CLI, 'export', big, '--out', out, '--rows-per-file', '2000'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((done) =>
      child.once('exit', (code, signal) => done(code ?? (signal ? -1 : null))),
    );
    const writing = new Promise<void>((done, fail) => {
      const poll = setInterval(() => {
        if (existsSync(join(out, '.part-00001.parquet.partial'))) {
          clearInterval(poll);
          done();
        }
        if (child.exitCode !== null) {
          clearInterval(poll);
          fail(new Error(`export ended before its second shard: ${stderr}`));
        }
      }, 20);
    });
    return { child, exited, writing, stderr: () => stderr };
  }

  it('leaves no file under a final name when killed (kill -9), and --force then exports', async () => {
    const out = join(work, 'killed');
    const e = startExport(out);
    await e.writing;
    e.child.kill('SIGKILL');
    await e.exited;
    const left = readdirSync(out);
    expect(left.length).toBeGreaterThan(0);
    for (const f of left) expect(f, f).toMatch(/^\.part-\d+\.parquet\.partial$/);
    const plain = runCli(['export', big, '--out', out]);
    expect(plain.status).toBe(2);
    expect(plain.stderr).toMatch(/is not empty .*--force/);
    const r = runCli(['export', big, '--out', out, '--rows-per-file', '2000', '--force']);
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(out).filter((f) => f.startsWith('.'))).toEqual([]);
    const [n] = await duck<{ n: number }>(
      `SELECT count(*)::INTEGER AS n FROM read_parquet('${out}/*.parquet')`,
    );
    expect(n!.n).toBe(generated().length * 251);
    expect(manifestOf(out).rows).toBe(generated().length * 251);
  }, 120_000);

  it('removes what it wrote on Ctrl-C and exits with 130', async () => {
    const out = join(work, 'interrupted');
    const e = startExport(out);
    await e.writing;
    e.child.kill('SIGINT');
    expect(await e.exited).toBe(130);
    expect(e.stderr()).toMatch(/export interrupted \(SIGINT\)/);
    expect(e.stderr()).not.toMatch(/\n\s+at /);
    // Nothing left, not even the folder it created.
    expect(existsSync(out)).toBe(false);
  }, 120_000);
});

describe('user errors: exit code 2, a message, no stack trace', () => {
  const fails = (args: string[], message: RegExp) => {
    const r = runCli(args);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    return r;
  };

  it('not a run directory', () => {
    const empty = tempDir();
    fails(['export', empty, '--out', join(empty, 'x')], /is not a sparq run directory \(no sparq\.db\)/);
    fails(
      ['export', join(empty, 'nope'), '--out', join(empty, 'x')],
      /not a sparq run directory \(no such directory\)/,
    );
    writeFileSync(join(empty, 'sparq.db'), 'not sqlite');
    fails(['export', empty, '--out', join(empty, 'x')], /not a SQLite database/);
    expect(existsSync(join(empty, 'x'))).toBe(false);
  });

  it('bad --format and bad numbers', () => {
    const out = join(work, 'never');
    fails(
      ['export', run, '--out', out, '--format', 'csv'],
      /--format expects one of parquet, jsonl, got "csv"/,
    );
    for (const bad of ['0', '1.5', 'ten'])
      fails(
        ['export', run, '--out', out, '--rows-per-file', bad],
        /--rows-per-file expects an integer in \[1, 1000000000\]/,
      );
    fails(
      ['export', run, '--out', out, '--row-group-rows', '0'],
      /--row-group-rows expects an integer in \[1, 1000000\]/,
    );
    fails(['export', run], /required option '--out <dir>'/);
    expect(existsSync(out)).toBe(false);
  });

  it('an --out that cannot take the export', () => {
    const root = tempDir();
    writeFileSync(join(root, 'file'), 'x');
    fails(['export', run, '--out', join(root, 'file')], /--out .*file exists and is not a directory/);
    fails(
      ['export', run, '--out', join(root, 'file', 'sub')],
      /cannot create output folder .*is a file, not a folder/,
    );
    mkdirSync(join(root, 'full'));
    writeFileSync(join(root, 'full', 'notes.txt'), 'mine');
    fails(
      ['export', run, '--out', join(root, 'full')],
      /--out .*full is not empty \(1 entry: notes\.txt\).*--force/,
    );
    fails(['export', run, '--out', run], /is the run directory/);
    // --force replaces an export, not the user's files.
    const r = runCli(['export', run, '--out', join(root, 'full'), '--force']);
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(join(root, 'full')).sort()).toEqual([
      'manifest.json',
      'notes.txt',
      'part-00000.parquet',
    ]);
  });

  // A file system of 64 KB to fill up: root may mount a tmpfs (else the test is skipped). Mounted
  // and unmounted inside the test, so a filtered or failed run leaves no mount behind.
  it.skipIf(process.getuid?.() !== 0)(
    'a full disk is a runtime failure (exit code 1) and leaves nothing',
    (ctx) => {
      const disk = tempDir('sparq-full-');
      if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', disk]).status !== 0) ctx.skip();
      try {
        for (const format of ['jsonl', 'parquet']) {
          const out = join(disk, format);
          const r = runCli(['export', run, '--out', out, '--format', format, '--include-seeds']);
          expect(r.status, r.stderr).toBe(1);
          expect(r.stderr).toMatch(
            new RegExp(
              `no space left on the device holding .*${format}/part-00000\\.${format}; free some space`,
            ),
          );
          expect(r.stderr).not.toMatch(/\n\s+at /);
          // The folder it created is gone with the partial shard.
          expect(existsSync(out)).toBe(false);
          expect(readdirSync(disk)).toEqual([]);
        }
      } finally {
        spawnSync('umount', [disk]);
      }
    },
  );

  it.skipIf(!canRunAsNobody())('an --out the user cannot write (run as nobody)', () => {
    const root = tempDir();
    mkdirSync(join(root, 'locked'));
    spawnSync('chmod', ['-R', 'a+rX', work]);
    spawnSync('chmod', ['a+rx', root]);
    for (const [out, message] of [
      [join(root, 'locked'), /cannot write to output folder .*locked: permission denied/],
      [join(root, 'locked', 'new'), /cannot create output folder .*locked is not writable/],
    ] as const) {
      const r = runCliAsNobody(['export', run, '--out', out]);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    // A run nobody cannot write is still exported (read in place or from a copy), and left as it was.
    const out = join(root, 'open');
    mkdirSync(out);
    spawnSync('chmod', ['a+rwx', out]);
    const files = () =>
      readdirSync(run)
        .filter((f) => statSync(join(run, f)).isFile())
        .map((f) => [f, sha256(join(run, f))]);
    const before = files();
    const r = runCliAsNobody(['export', run, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(manifestOf(out).rows).toBe(generated().length);
    expect(files()).toEqual(before);
  });
});
