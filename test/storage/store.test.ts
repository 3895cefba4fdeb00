import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { REDACTED } from '../../src/config/storable.js';
import { newTally } from '../../src/core/metrics.js';
import { QDCore } from '../../src/core/qd-core.js';
import type { CachedResponse, ProblemRecord, RejectionRecord } from '../../src/domain/records.js';
import { acquireRunLock } from '../../src/storage/lock.js';
import { applyMigration, SCHEMA_VERSION } from '../../src/storage/migrations.js';
import { DB_FILE, SqliteRunStore } from '../../src/storage/sqlite-store.js';
import { tempDir } from '../helpers/cli.js';

const response = (key: string, task: number | null = 3): CachedResponse => ({
  key,
  task,
  purpose: 'solve',
  model: 'sim-1',
  templateRef: 'solve@1',
  params: { n: 2, temperature: 0.7, sample: null },
  choices: [
    { text: 'a', finishReason: 'stop' },
    { text: 'b', finishReason: 'length' },
  ],
  promptTokens: 10,
  completionTokens: 4,
  latencyMs: 3,
});

/** A core over a one-subject space with nothing told, for commits that need a valid state. */
const emptyCore = () =>
  new QDCore({
    seed: 1,
    capacity: 1,
    space: { skills: new Map([['Algebra', []]]), bands: null },
    strategy: 'uniform',
    frontier: [0.2, 0.8],
    operators: { vary: 1, harder: 0, combine: 0 },
  });

/** Commits told records with an empty archive and nothing open. */
const commitPlain = (
  store: SqliteRunStore,
  problems: ProblemRecord[],
  rejections: RejectionRecord[],
  told: number,
) =>
  store.commit({
    problems,
    rejections,
    epochs: [],
    coreState: emptyCore().state(),
    scheduler: { version: 1, told, seedTasks: 0, window: 1, open: [], epoch: newTally(1, '') },
    counters: {},
  });

const rejectionRecord = (uid: string, seq: number): RejectionRecord => ({
  uid,
  seq,
  generation: 1,
  taskIndex: seq,
  operator: 'harder',
  parentUids: ['seed:2'],
  reason: 'no_final_answer',
  detail: null,
  rawOutput: 'x',
  requestKey: 'k9',
});

const problem = (uid: string): ProblemRecord => ({
  uid,
  seq: 0,
  generation: 1,
  taskIndex: 0,
  origin: 'vary',
  seedId: null,
  parentUids: ['seed:1'],
  templateRef: 'vary@1',
  templateHash: 'abc',
  model: 'sim-1',
  mutateKey: 'k1',
  genParams: { n: 1, temperature: 1 },
  problem: 'Find $1+1$.',
  solution: '$\\boxed{2}$',
  answer: '2',
  textHash: `h-${uid}`,
  subject: 'Algebra',
  skill: 'linear equations',
  rawLabel: 'linear equations',
  labelKey: 'k2',
  labelMalformed: false,
  labelReasks: 0,
  level: null,
  attempts: [
    {
      idx: 0,
      requestKey: 'k3',
      choice: 0,
      answer: '2',
      correct: true,
      rule: 'exact',
      finishReason: 'stop',
      counted: true,
    },
    {
      idx: 1,
      requestKey: 'k3',
      choice: 1,
      answer: null,
      correct: false,
      rule: 'no-answer',
      finishReason: 'stop',
      counted: true,
    },
  ],
  correct: 1,
  truncated: 0,
  unverifiedReason: null,
  solveRate: 0.5,
  majorityAnswer: '2',
  majorityShare: 0.5,
  disputed: false,
  verified: true,
  quality: 0.5,
  solveKeys: ['k3'],
  solveParams: { n: 2, temperature: 0.7 },
  archiveStatus: 'NEW',
  cell: 'Algebra|linear equations',
});

describe('run store', () => {
  it('creates the schema at the current version in WAL mode', () => {
    const dir = tempDir();
    SqliteRunStore.open(dir).close();
    const db = new Database(join(dir, DB_FILE), { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('upgrading a schema-3 run blanks the header values its old snapshots held; a reader sees them blanked too', () => {
    const dir = tempDir();
    const db = new Database(join(dir, DB_FILE));
    db.pragma('journal_mode = WAL');
    for (let v = 0; v < 3; v++) applyMigration(db, v);
    const config = {
      model: { model: 'm', headers: { 'X-Custom-Token': 'tok-secret-42', Cookie: 'c=secret' } },
    };
    db.prepare(
      "INSERT INTO config_snapshots (created_at, sparq_version, config_hash, config_json) VALUES ('t', '0.2.0', 'h', ?)",
    ).run(JSON.stringify(config));
    db.prepare(
      "INSERT INTO config_snapshots (created_at, sparq_version, config_hash, config_json) VALUES ('t', '0.2.0', 'h2', ?)",
    ).run(JSON.stringify({ model: { model: 'm' } }));
    db.close();

    const reader = SqliteRunStore.openReadOnly(dir, () => {});
    expect(reader.latestConfig()?.configJson).not.toContain('secret');
    reader.close();
    const store = SqliteRunStore.open(dir);
    store.close();
    const after = new Database(join(dir, DB_FILE), { readonly: true });
    const rows = after.prepare('SELECT config_json FROM config_snapshots ORDER BY id').all() as {
      config_json: string;
    }[];
    after.close();
    expect(rows.map((r) => JSON.parse(r.config_json))).toEqual([
      { model: { model: 'm', headers: { 'X-Custom-Token': REDACTED, Cookie: REDACTED } } },
      { model: { model: 'm' } },
    ]);
  });

  it('refuses a database from a newer sparq', () => {
    const dir = tempDir();
    SqliteRunStore.open(dir).close();
    const db = new Database(join(dir, DB_FILE));
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => SqliteRunStore.open(dir)).toThrow(
      /uses database schema \d+, but this sparq only knows schema \d+/,
    );
  });

  it('says so when a directory is not a run', () => {
    expect(() => SqliteRunStore.open(tempDir(), { create: false })).toThrow(/is not a sparq run directory/);
  });

  it('caches responses across reopen, served from memory before the flush', () => {
    const dir = tempDir();
    const store = SqliteRunStore.open(dir);
    store.putResponse(response('k1'));
    expect(store.getResponse('k1', 3)?.choices[1]?.finishReason).toBe('length');
    store.close();
    const again = SqliteRunStore.open(dir);
    expect(again.getResponse('k1', 3)).toEqual(response('k1'));
    expect(again.getResponse('k2', 3)).toBeUndefined();
    again.close();
  });

  it('stores responses compactly by task, and reads those of older runs from the layout they have', () => {
    const dir = tempDir();
    const store = SqliteRunStore.open(dir);
    const key = 'ab'.repeat(32);
    const long = {
      ...response(key, 12),
      params: { n: 2, temperature: 0.7, seed: 99, sample: 1 },
      choices: [{ text: 'Let x be 3. '.repeat(200), finishReason: 'stop' }],
    };
    store.putResponse(long);
    store.putResponse({ ...response(key, 13), params: { n: 2, temperature: 0.7, seed: 100, sample: 1 } });
    // Not in the task sequence (an eval cache): kept by key alone.
    store.putResponse(response('cd'.repeat(32), null));
    store.close();
    const db = new Database(join(dir, DB_FILE));
    const rows = db.prepare('SELECT id, key, kind, seed, body FROM responses ORDER BY id').all() as {
      id: number;
      key: Buffer;
      kind: number;
      seed: number;
      body: Buffer;
    }[];
    expect(rows.map((r) => [r.id, r.key.toString('hex'), r.seed])).toEqual([
      [12 * 4096, key, 99],
      [13 * 4096, key, 100],
    ]);
    // One shared row of sampling parameters; the body deflated.
    expect(rows[0]!.kind).toBe(rows[1]!.kind);
    expect(db.prepare('SELECT COUNT(*) AS n FROM request_kinds').get()).toEqual({ n: 1 });
    expect(rows[0]!.body.length).toBeLessThan(JSON.stringify(long.choices).length / 10);
    // A row as sparq 0.2.0 wrote it.
    db.prepare(
      `INSERT INTO requests (key, purpose, model, template_ref, params_json, response_json, prompt_tokens, completion_tokens, latency_ms, created_at)
       VALUES ('old', 'solve', 'sim-1', 'solve@1', '{"n":2,"temperature":0.7,"sample":null}', ?, 10, 4, 3, 't')`,
    ).run(JSON.stringify(response('old').choices));
    expect(
      (db.prepare('SELECT key, task, purpose FROM request_log ORDER BY key').all() as unknown[]).length,
    ).toBe(4);
    expect(db.prepare('SELECT task, seed FROM request_log WHERE key = ? AND task = 13').get(key)).toEqual({
      task: 13,
      seed: 100,
    });
    db.close();
    const again = SqliteRunStore.open(dir);
    expect(again.getResponse(key, 12)).toEqual(long);
    expect(again.getResponse(key, 13)?.params.seed).toBe(100);
    expect(again.getResponse('cd'.repeat(32), null)).toEqual(response('cd'.repeat(32), null));
    expect(again.getResponse('old', 5)).toEqual(response('old', 5));
    again.close();
  });

  it("keeps a task's responses past its slots by key", () => {
    const dir = tempDir();
    const store = SqliteRunStore.open(dir);
    const keys = Array.from({ length: 4097 }, (_, i) => i.toString(16).padStart(64, '0'));
    for (const k of keys) store.putResponse(response(k, 2));
    store.close();
    const again = SqliteRunStore.open(dir);
    expect(keys.every((k) => again.getResponse(k, 2)?.key === k)).toBe(true);
    again.close();
    const db = new Database(join(dir, DB_FILE), { readonly: true });
    expect(db.prepare('SELECT COUNT(*) AS n FROM responses').get()).toEqual({ n: 4096 });
    expect(db.prepare('SELECT COUNT(*) AS n FROM requests').get()).toEqual({ n: 1 });
    db.close();
  });

  it('commits a told prefix atomically, and resumes from exactly what it committed', () => {
    const dir = tempDir();
    const store = SqliteRunStore.open(dir);
    const core = new QDCore({
      seed: 1,
      capacity: 2,
      space: { skills: new Map([['Algebra', ['linear equations']]]), bands: null },
      strategy: 'uniform',
      frontier: [0.2, 0.8],
      operators: { vary: 1, harder: 1, combine: 0 },
    });
    const p = problem('g1-t0');
    const placement = core.tell(0, {
      uid: p.uid,
      parents: [],
      problem: {
        text: p.problem,
        measures: { subject: 'Algebra', skill: 'linear equations', solveRate: 0.5, verified: true },
      },
    });
    expect(placement.status).toBe('NEW');
    const open = core.ask(2)!;
    const scheduler = {
      version: 1 as const,
      told: 2,
      seedTasks: 0,
      window: 4,
      open: [{ kind: 'mutate' as const, ...open, generation: 1, index: 2, askedAt: 2, tokensAtAsk: 0 }],
      epoch: newTally(1, 'now'),
    };
    core.tell(1, { uid: 'g1-t1', parents: [], problem: null });
    store.commit({
      problems: [p],
      rejections: [rejectionRecord('g1-t1', 1)],
      epochs: [],
      coreState: core.state(),
      scheduler,
      counters: { http_5xx: 2 },
    });
    expect(store.loadProgress()).toEqual({ core: core.state(), scheduler });
    expect(store.counters()).toEqual({ http_5xx: 2 });
    const [read] = store.getProblems(['g1-t0']);
    expect(read).toEqual(p);
    // The duplicate check sees only tasks told before the one asking.
    expect(store.hasProblemText('h-g1-t0', 1)).toBe(true);
    expect(store.hasProblemText('h-g1-t0', 0)).toBe(false);
    // A commit that cannot be written whole (a uid already stored) leaves nothing half-written.
    expect(() =>
      store.commit({
        problems: [problem('g1-t5'), p],
        rejections: [],
        epochs: [],
        coreState: { ...core.state(), told: 9 },
        scheduler: { ...scheduler, told: 9 },
        counters: { http_5xx: 1 },
      }),
    ).toThrow();
    expect(store.getProblems(['g1-t5'])).toEqual([]);
    expect(store.counters()).toEqual({ http_5xx: 2 });
    expect(store.loadProgress()?.scheduler.told).toBe(2);
    store.close();
  });

  it('gives the text hashes told from a task on, in task order (the resume of the duplicate check)', () => {
    const store = SqliteRunStore.open(tempDir());
    const told = (n: number) => Array.from({ length: n }, (_, i) => ({ ...problem(`g1-t${i}`), seq: i }));
    commitPlain(store, told(3), [], 3);
    commitPlain(store, told(6).slice(3), [rejectionRecord('g1-t6', 6)], 7);
    expect(store.textHashesFrom(2)).toEqual([2, 3, 4, 5].map((seq) => ({ seq, textHash: `h-g1-t${seq}` })));
    expect(store.textHashesFrom(9)).toEqual([]);
    store.close();
  });

  it('refuses to resume a run whose archive state was written by sparq 0.1, saying so', () => {
    const dir = tempDir();
    const store = SqliteRunStore.open(dir);
    commitPlain(store, [], [], 0);
    store.close();
    const db = new Database(join(dir, DB_FILE));
    db.prepare(`UPDATE core_state SET state_json = '{"archive":{"cells":[]},"curiosity":[]}'`).run();
    db.close();
    const again = SqliteRunStore.open(dir);
    expect(() => again.loadProgress()).toThrow(/sparq 0\.1/);
    again.close();
  });

  it('keeps one config snapshot per distinct configuration', () => {
    const dir = tempDir();
    const store = SqliteRunStore.open(dir);
    store.saveConfigSnapshot({
      configJson: '{"a":1}',
      configHash: 'h1',
      sparqVersion: '0.1.0',
      detectedJson: null,
    });
    store.saveConfigSnapshot({
      configJson: '{"a":1}',
      configHash: 'h1',
      sparqVersion: '0.1.0',
      detectedJson: null,
    });
    store.saveConfigSnapshot({
      configJson: '{"a":2}',
      configHash: 'h2',
      sparqVersion: '0.1.0',
      detectedJson: null,
    });
    const db = new Database(join(dir, DB_FILE), { readonly: true });
    expect(db.prepare('SELECT COUNT(*) AS n FROM config_snapshots').get()).toEqual({ n: 2 });
    db.close();
    expect(store.latestConfig()?.configHash).toBe('h2');
    store.close();
  });
});

describe('run lock', () => {
  it('refuses a second holder with who holds it, and frees on release', () => {
    const dir = tempDir();
    const lock = acquireRunLock(dir, 'sparq run');
    expect(() => acquireRunLock(dir, 'sparq run')).toThrow(
      new RegExp(`in use by process ${process.pid}.*delete .*run\\.lock`),
    );
    lock.release();
    acquireRunLock(dir, 'sparq run').release();
  });

  it('takes over a lock whose process is dead', () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'run.lock'),
      JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), started: '', command: 'x' }),
    );
    acquireRunLock(dir, 'sparq run').release();
  });
});
