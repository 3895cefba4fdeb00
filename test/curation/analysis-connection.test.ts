import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { poolSnapshot, readAnalysis } from '../../src/curation/analysis-store.js';
import { ensureDecontamination } from '../../src/curation/analyze.js';
import { readPoolStats } from '../../src/curation/stats.js';
import type { ProblemRecord } from '../../src/domain/records.js';
import {
  latestRunConfig,
  openAnalysisConnection,
  RESULTS_FILE,
  runGenerationCount,
  runMeta,
} from '../../src/storage/analysis-connection.js';
import { SqliteRunStore } from '../../src/storage/sqlite-store.js';
import { UserError } from '../../src/util/errors.js';
import { canRunAsNobody, runCli, runCliAsNobody, tempDir } from '../helpers/cli.js';
import { commitEpoch } from '../helpers/commit.js';
import { makeProblem, writePool } from './fixtures.js';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function pool(n = 30): ProblemRecord[] {
  return Array.from({ length: n }, (_, i) =>
    makeProblem(`p${i}`, {
      problem: `Problem p${i}: a train leaves station ${i} at ${i + 3} o'clock and travels ${17 * i + 5} miles; how long does it take at ${i + 40} miles per hour?`,
    }),
  );
}

function newRun(n = 30): string {
  const dir = join(tempDir('sparq-analysis-conn-'), 'run');
  writePool(dir, pool(n), 'none');
  return dir;
}

/** sha256 of sparq.db with everything in its WAL folded in (a plain connection, no migration). */
function runDbHash(dir: string): string {
  const db = new Database(join(dir, 'sparq.db'), { fileMustExist: true });
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  return createHash('sha256')
    .update(readFileSync(join(dir, 'sparq.db')))
    .digest('hex');
}

const SELECT = (dir: string, out: string) => [
  'select',
  dir,
  '--strategy',
  'quantity',
  '--n',
  '5',
  '--seeds',
  'none',
  '--bundled-eval-sets',
  'gsm8k',
  '--out',
  out,
];
const DECONTAMINATE = (dir: string) => [
  'decontaminate',
  dir,
  '--bundled-eval-sets',
  'gsm8k',
  '--examples',
  '1',
];

function expectOk(r: ReturnType<typeof runCli>): ReturnType<typeof runCli> {
  expect(r.stderr).not.toMatch(/Error|sparq: /);
  expect(r.status).toBe(0);
  return r;
}

describe('the analysis connection', () => {
  it('opens the run database read-only: writes through its handle fail with SQLITE_READONLY', () => {
    const dir = newRun();
    const conn = openAnalysisConnection(dir);
    try {
      const attempt = (sql: string) => () => conn.db.prepare(sql).run();
      for (const sql of [
        "INSERT INTO main.problems (uid) VALUES ('x')",
        'DELETE FROM main.problems',
        "UPDATE main.meta SET value = 'x'",
        'CREATE TABLE main.curation_clusters (uid TEXT)',
      ])
        expect(attempt(sql)).toThrow(expect.objectContaining({ code: 'SQLITE_READONLY' }));
      // The results schema is read-only on this handle too; results go through writeResults.
      expect(attempt('CREATE TABLE curation.t (a)')).toThrow(
        expect.objectContaining({ code: 'SQLITE_READONLY' }),
      );
      conn.writeResults((w) => w.exec('CREATE TABLE curation.t (a); INSERT INTO curation.t VALUES (1)'));
      expect(conn.db.prepare('SELECT a FROM curation.t').all()).toEqual([{ a: 1 }]);
      // Not while a read transaction may hold the results file's lock that the write waits for.
      expect(() => conn.read(() => conn.writeResults(() => {}))).toThrow(/outside a read transaction/);
      expect(conn.db.inTransaction).toBe(false);
      // TEMP stays writable (the selection is staged there).
      conn.db.exec('CREATE TEMP TABLE s (a); INSERT INTO s VALUES (1)');
      expect(conn.persistent).toBe(true);
      expect(conn.db.prepare('PRAGMA database_list').all()).toEqual([
        expect.objectContaining({ name: 'main', file: expect.stringMatching(/sparq\.db$/) }),
        expect.objectContaining({ name: 'temp' }),
        expect.objectContaining({ name: 'curation', file: expect.stringMatching(/curation\.db$/) }),
      ]);
      expect(runMeta(conn, 'run_id')).toBe('testrun00001');
      expect(runGenerationCount(conn)).toBe(1);
      expect(JSON.parse(latestRunConfig(conn)!.configJson)).toMatchObject({ seeds: { path: 'none' } });
    } finally {
      conn.close();
    }
    expect(existsSync(join(dir, RESULTS_FILE))).toBe(true);
  });

  it('reads one snapshot per read transaction while the run commits', () => {
    const dir = newRun();
    const conn = openAnalysisConnection(dir, { results: 'read' });
    const writer = SqliteRunStore.open(dir, { create: false });
    try {
      const count = () => poolSnapshot(conn).count;
      conn.read(() => {
        expect(count()).toBe(30);
        commitEpoch(writer, {
          generation: 2,
          startedAt: new Date().toISOString(),
          problems: [makeProblem('late', { generation: 2 })],
          rejections: [],
          counters: {},
        });
        expect(count()).toBe(30);
        expect(readPoolStats(conn, { bins: 10, top: 0 }).problems.total).toBe(30);
      });
      expect(count()).toBe(31);
    } finally {
      writer.close();
      conn.close();
    }
    // 'read' never creates the results file, nor writes one.
    expect(existsSync(join(dir, RESULTS_FILE))).toBe(false);
    const reader = openAnalysisConnection(dir, { results: 'read' });
    try {
      expect(() => reader.writeResults(() => {})).toThrow(/opened read-only/);
    } finally {
      reader.close();
    }
  });

  it('says what is wrong, and where, when the directory is not a run directory', () => {
    const root = tempDir('sparq-analysis-conn-bad-');
    const fail = (dir: string, message: RegExp) => {
      expect(() => openAnalysisConnection(dir)).toThrow(UserError);
      expect(() => openAnalysisConnection(dir)).toThrow(message);
    };
    fail(join(root, 'missing'), /missing is not a sparq run directory \(no such directory\)/);
    fail(root, /is not a sparq run directory \(no sparq\.db\): pass the directory a run was started in/);
    const text = join(root, 'text');
    cpSync(newRun(3), text, { recursive: true });
    writeFileSync(join(text, 'sparq.db'), 'not a database at all, just some text\n'.repeat(200));
    fail(
      text,
      /text is not a sparq run directory: .*text\/sparq\.db is not a SQLite database\. If it is a run/,
    );
    const other = join(root, 'other');
    cpSync(newRun(3), other, { recursive: true });
    const db = new Database(join(other, 'sparq.db'));
    db.pragma('user_version = 0');
    db.close();
    fail(other, /other\/sparq\.db is a SQLite database without the sparq run schema/);
    const newer = join(root, 'newer');
    cpSync(newRun(3), newer, { recursive: true });
    const db2 = new Database(join(newer, 'sparq.db'));
    db2.pragma('user_version = 999');
    db2.close();
    fail(newer, /uses database schema 999, but this sparq only knows schema \d+: upgrade sparq/);
    fail(join(newer, 'sparq.db'), /is not a sparq run directory \(it is a file\)/);
    // Nothing was left behind in the directories that are not runs.
    expect(readdirSync(text).sort()).toEqual(['sparq.db']);
  });

  it('ignores curation tables an older sparq kept in the run database', () => {
    const dir = newRun();
    const db = new Database(join(dir, 'sparq.db'));
    db.exec(`
      CREATE TABLE curation_analyses (kind TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, settings_json TEXT NOT NULL,
        summary_json TEXT NOT NULL, max_problem_id INTEGER NOT NULL, problem_count INTEGER NOT NULL, created_at TEXT NOT NULL);
      CREATE TABLE curation_contamination (uid TEXT NOT NULL, eval_set TEXT NOT NULL, item_id TEXT NOT NULL,
        matches INTEGER NOT NULL, overlap REAL NOT NULL, ngram TEXT NOT NULL, PRIMARY KEY (uid, eval_set));
      CREATE TABLE curation_clusters (uid TEXT PRIMARY KEY, cluster TEXT NOT NULL, size INTEGER NOT NULL,
        match TEXT, similarity REAL, exact INTEGER NOT NULL);
      INSERT INTO curation_contamination SELECT uid, 'gsm8k', 'x', 1, 1, 'old' FROM problems;
      INSERT INTO curation_clusters SELECT uid, 'p0', 30, 'p0', 1, 1 FROM problems;
      INSERT INTO curation_analyses VALUES ('decontamination', 'old', '{}', '{"contaminated":30}', 1000, 30, '2020-01-01');
    `);
    db.close();
    const conn = openAnalysisConnection(dir, { results: 'read' });
    try {
      expect(readAnalysis(conn, 'decontamination')).toBeNull();
      expect(readPoolStats(conn, { bins: 10, top: 0 }).curation.decontamination).toBeNull();
    } finally {
      conn.close();
    }
    const decon = expectOk(runCli(DECONTAMINATE(dir)));
    expect(decon.stdout).toMatch(/^0 of 30 problems share a 13-gram .* \[\d+\.\d s\]$/m);
    const out = join(tempDir(), 'ds');
    const select = expectOk(runCli(SELECT(dir, out)));
    expect(select.stderr).toMatch(/^duplicates: 0 of 30 problems/m);
    expect(select.stderr).toMatch(/^selected 5 of 30 qualifying problems/m);
  });
});

describe('curation commands on a run', () => {
  it('store their results in curation.db beside the run, reuse them, and leave sparq.db unchanged', () => {
    const dir = newRun();
    const before = runDbHash(dir);

    const first = expectOk(runCli(DECONTAMINATE(dir)));
    expect(first.stdout).toMatch(/\[\d+\.\d s\]$/m);
    expect(first.stderr).toBe('');
    expect(existsSync(join(dir, RESULTS_FILE))).toBe(true);
    const stored = () => {
      const db = new Database(join(dir, RESULTS_FILE), { readonly: true });
      try {
        return db.prepare('SELECT kind, fingerprint, created_at FROM curation_analyses ORDER BY kind').all();
      } finally {
        db.close();
      }
    };
    const afterFirst = stored();
    expect(afterFirst).toEqual([expect.objectContaining({ kind: 'decontamination' })]);

    const second = expectOk(runCli(DECONTAMINATE(dir)));
    expect(second.stdout).toMatch(/\[stored result\]$/m);
    expect(stored()).toEqual(afterFirst);

    const s1 = expectOk(runCli(SELECT(dir, join(tempDir(), 'a'))));
    expect(s1.stderr).toMatch(
      /^duplicates: .* \[\d+\.\d s; [\d,]+ candidate pairs verified, [\d,]+ known from the run's near-duplicate screen\]$/m,
    );
    expect(s1.stderr).toMatch(/^contaminated: .* \[stored result\]$/m);
    const afterSelect = stored();
    expect(afterSelect).toEqual([afterFirst[0], expect.objectContaining({ kind: 'dedup' })]);
    const s2 = expectOk(runCli(SELECT(dir, join(tempDir(), 'b'))));
    expect(s2.stderr).toMatch(/^duplicates: .* \[stored result\]$/m);
    expect(s2.stderr).not.toMatch(/note:/);
    // Same fingerprints, same rows: nothing was recomputed or rewritten.
    expect(stored()).toEqual(afterSelect);

    expectOk(runCli(['stats', dir]));
    expectOk(runCli(['stats', dir, '--json']));
    expect(runDbHash(dir)).toBe(before);
    // No curation table was created in the run database.
    const db = new Database(join(dir, 'sparq.db'), { readonly: true });
    try {
      expect(db.prepare("SELECT name FROM sqlite_schema WHERE name LIKE 'curation%'").all()).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('recompute the analysis when the pool changed since it was stored', () => {
    const dir = newRun();
    const conn = openAnalysisConnection(dir);
    try {
      const settings = { ngram: 13, sets: ['gsm8k'] };
      expect(ensureDecontamination(conn, poolSnapshot(conn), settings)).toMatchObject({
        cached: false,
        stored: true,
      });
      expect(ensureDecontamination(conn, poolSnapshot(conn), settings)).toMatchObject({
        cached: true,
        stored: null,
      });
      const writer = SqliteRunStore.open(dir, { create: false });
      try {
        commitEpoch(writer, {
          generation: 2,
          startedAt: new Date().toISOString(),
          problems: [makeProblem('late', { generation: 2 })],
          rejections: [],
          counters: {},
        });
      } finally {
        writer.close();
      }
      const again = ensureDecontamination(conn, poolSnapshot(conn), settings);
      expect(again).toMatchObject({ cached: false, analysis: { summary: { problems: 31 } } });
    } finally {
      conn.close();
    }
  });

  // chmod does not stop root from writing: as root, the read-only handle is checked above
  // (SQLITE_READONLY) and the read-only directory below runs as user nobody when possible.
  it.skipIf(isRoot)('work on a run directory made read-only, without storing anything', () => {
    const dir = newRun();
    const before = runDbHash(dir);
    chmodSync(dir, 0o555);
    chmodSync(join(dir, 'sparq.db'), 0o444);
    try {
      checkReadOnlyRun(dir, (args) => runCli(args));
    } finally {
      chmodSync(dir, 0o755);
      chmodSync(join(dir, 'sparq.db'), 0o644);
    }
    expect(runDbHash(dir)).toBe(before);
  });

  const nobody = isRoot && canRunAsNobody();
  it.runIf(nobody)('work on a read-only run directory of another user (root runs them as nobody)', () => {
    const dir = newRun();
    const before = runDbHash(dir);
    // Readable by everyone, writable by no one but root.
    chmodSync(join(dir, '..'), 0o755);
    chmodSync(dir, 0o555);
    chmodSync(join(dir, 'sparq.db'), 0o444);
    const out = tempDir('sparq-analysis-conn-out-');
    chmodSync(out, 0o777);
    checkReadOnlyRun(dir, runCliAsNobody, out);
    expect(runDbHash(dir)).toBe(before);
  });
});

function checkReadOnlyRun(
  dir: string,
  run: (args: string[]) => ReturnType<typeof runCli>,
  outRoot = tempDir(),
): void {
  const stats = expectOk(run(['stats', dir]));
  expect(stats.stdout).toContain('problems: 30');
  const decon = expectOk(run(DECONTAMINATE(dir)));
  expect(decon.stdout).toMatch(/^0 of 30 problems share a 13-gram/m);
  // Said once: the results are not kept.
  expect(decon.stderr.match(/cannot be stored in .*curation\.db \(no write permission\)/g)).toHaveLength(1);
  const select = expectOk(run(SELECT(dir, join(outRoot, 'ds'))));
  expect(select.stderr).toMatch(/^selected 5 of 30 qualifying problems/m);
  expect(select.stderr.match(/cannot be stored in/g)).toHaveLength(1);
  expect(existsSync(join(outRoot, 'ds', 'train.jsonl'))).toBe(true);
  // Recomputed, not stored: nothing was created in the run directory.
  expect(expectOk(run(DECONTAMINATE(dir))).stdout).not.toContain('[stored result]');
  expect(readdirSync(dir).filter((f) => !f.startsWith('sparq.db'))).toEqual([]);
}
