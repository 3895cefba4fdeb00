import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type {
  InsertStatus,
  Operator,
  Origin,
  ProblemRecord,
  RejectionReason,
  RejectionRecord,
} from '../../src/domain/records.js';
import { DB_FILE, SqliteRunStore } from '../../src/storage/sqlite-store.js';
import { tempDir } from '../helpers/cli.js';
import { commitEpoch } from '../helpers/commit.js';

function problem(
  uid: string,
  origin: Origin,
  o: {
    parents?: string[];
    verified?: boolean;
    disputed?: boolean;
    status?: InsertStatus | null;
    generation?: number;
  } = {},
): ProblemRecord {
  const verified = o.verified ?? true;
  return {
    uid,
    seq: 0,
    generation: o.generation ?? (origin === 'seed' ? 0 : 1),
    taskIndex: 0,
    origin,
    seedId: origin === 'seed' ? uid : null,
    parentUids: o.parents ?? [],
    templateRef: null,
    templateHash: null,
    model: null,
    mutateKey: null,
    genParams: null,
    problem: `Problem ${uid}`,
    solution: 'x',
    answer: '1',
    textHash: `h-${uid}`,
    subject: 'Algebra',
    skill: 'linear equations',
    rawLabel: null,
    labelKey: null,
    labelMalformed: false,
    labelReasks: 0,
    level: null,
    attempts: [],
    correct: verified ? 1 : 0,
    truncated: 0,
    unverifiedReason: verified ? null : 'no_correct_attempt',
    solveRate: verified ? 0.25 : 0,
    majorityAnswer: null,
    majorityShare: null,
    disputed: o.disputed ?? false,
    verified,
    quality: verified ? 0.75 : null,
    solveKeys: [],
    solveParams: null,
    archiveStatus: o.status === undefined ? 'NEW' : o.status,
    cell: null,
  };
}

function rejection(uid: string, operator: Operator, reason: RejectionReason): RejectionRecord {
  return {
    uid,
    seq: 0,
    generation: 1,
    taskIndex: 9,
    operator,
    parentUids: ['s1'],
    reason,
    detail: null,
    rawOutput: null,
    requestKey: null,
  };
}

const commit = (
  store: SqliteRunStore,
  generation: number,
  problems: ProblemRecord[],
  rejections: RejectionRecord[] = [],
) => commitEpoch(store, { generation, problems, rejections });

const seeds = [
  problem('s1', 'seed', { status: null }),
  problem('s2', 'seed', { status: null, disputed: true }),
  problem('s3', 'seed', { status: null, verified: false }),
];
const mutants = [
  problem('g1-t0', 'vary', { parents: ['s1'] }),
  problem('g1-t1', 'vary', { parents: ['s1'], status: 'NOT_ADDED' }),
  problem('g1-t2', 'harder', { parents: ['s2'], status: null, verified: false, disputed: true }),
  problem('g1-t3', 'combine', { parents: ['s2', 's3'], status: 'IMPROVED' }),
];
const grandchildren = [
  problem('g2-t0', 'harder', { parents: ['g1-t0'], generation: 2, status: 'IMPROVED' }),
  problem('g2-t1', 'harder', { parents: ['g1-t3'], generation: 2, status: null, verified: false }),
];
const rejections = [
  rejection('g1-t4', 'vary', 'duplicate'),
  rejection('g1-t5', 'harder', 'duplicate'),
  rejection('g1-t6', 'harder', 'no_final_answer'),
];

const dirs = new WeakMap<SqliteRunStore, string>();

function buildStore(): SqliteRunStore {
  const dir = tempDir();
  const store = SqliteRunStore.open(dir);
  dirs.set(store, dir);
  commit(store, 0, seeds);
  commit(store, 1, mutants, rejections);
  commit(store, 2, grandchildren);
  return store;
}

/** A count by SQL on a connection of its own, to check the store's queries against. */
const direct = (store: SqliteRunStore, sql: string): number => {
  const db = new Database(join(dirs.get(store)!, DB_FILE), { readonly: true });
  try {
    return (db.prepare(sql).get() as { n: number }).n;
  } finally {
    db.close();
  }
};

describe('RunQueries', () => {
  it('totals agree with direct counts and with the records written', () => {
    const store = buildStore();
    const all = [...seeds, ...mutants, ...grandchildren];
    const totals = store.queries.problemTotals();
    expect(totals).toEqual({
      total: direct(store, 'SELECT COUNT(*) AS n FROM problems'),
      seeds: direct(store, "SELECT COUNT(*) AS n FROM problems WHERE origin = 'seed'"),
      verified: direct(store, 'SELECT COUNT(*) AS n FROM problems WHERE verified = 1'),
      disputed: direct(store, 'SELECT COUNT(*) AS n FROM problems WHERE disputed = 1'),
    });
    expect(totals).toEqual({
      total: all.length,
      seeds: seeds.length,
      verified: all.filter((p) => p.verified).length,
      disputed: all.filter((p) => p.disputed).length,
    });
    expect(store.queries.problemsByOrigin()).toEqual([
      { origin: 'combine', count: 1 },
      { origin: 'harder', count: 3 },
      { origin: 'seed', count: 3 },
      { origin: 'vary', count: 2 },
    ]);
    store.close();
  });

  it('counts rejections by reason (most frequent first) and by operator', () => {
    const store = buildStore();
    const byReason = store.queries.rejectionsByReason();
    expect(byReason).toEqual([
      { reason: 'duplicate', count: 2 },
      { reason: 'no_final_answer', count: 1 },
    ]);
    expect(byReason.reduce((a, r) => a + r.count, 0)).toBe(store.count('rejections'));
    const byOperator = store.queries.rejectionsByOperator();
    expect(byOperator.sort((a, b) => a.operator.localeCompare(b.operator))).toEqual([
      { operator: 'harder', count: 2 },
      { operator: 'vary', count: 1 },
    ]);
    store.close();
  });

  it('groups mutants by operator, archive status and verification, seeds excluded', () => {
    const store = buildStore();
    const outcomes = store.queries.operatorOutcomes();
    const key = (o: { operator: string; status: string | null; verified: boolean }) =>
      `${o.operator} ${o.status} ${o.verified}`;
    expect(outcomes.map((o) => `${key(o)} ${o.count}`).sort()).toEqual([
      'combine IMPROVED true 1',
      'harder IMPROVED true 1',
      'harder null false 2',
      'vary NEW true 1',
      'vary NOT_ADDED true 1',
    ]);
    expect(outcomes.reduce((a, o) => a + o.count, 0)).toBe(
      direct(store, "SELECT COUNT(*) AS n FROM problems WHERE origin != 'seed'"),
    );
    store.close();
  });

  it('walks first-parent lineages up to a depth', () => {
    const store = buildStore();
    expect(store.queries.lineage('g2-t0', 6)).toEqual([
      {
        uid: 'g2-t0',
        origin: 'harder',
        generation: 2,
        solveRate: 0.25,
        problem: 'Problem g2-t0',
        parentUids: ['g1-t0'],
      },
      {
        uid: 'g1-t0',
        origin: 'vary',
        generation: 1,
        solveRate: 0.25,
        problem: 'Problem g1-t0',
        parentUids: ['s1'],
      },
      { uid: 's1', origin: 'seed', generation: 0, solveRate: 0.25, problem: 'Problem s1', parentUids: [] },
    ]);
    expect(store.queries.lineage('g2-t1', 2).map((r) => r.uid)).toEqual(['g2-t1', 'g1-t3']);
    expect(store.queries.lineage('no-such-uid', 6)).toEqual([]);
    expect(store.queries.lineage(undefined, 6)).toEqual([]);
    store.close();
  });

  it('a second connection sees what a live writer commits after it opened', () => {
    const dir = tempDir();
    const writer = SqliteRunStore.open(dir);
    commit(writer, 0, seeds);
    const reader = SqliteRunStore.open(dir, { create: false });
    expect(reader.queries.problemTotals().total).toBe(seeds.length);
    commit(writer, 1, mutants, rejections);
    expect(reader.queries.problemTotals().total).toBe(seeds.length + mutants.length);
    expect(reader.queries.rejectionsByReason().reduce((a, r) => a + r.count, 0)).toBe(rejections.length);
    reader.close();
    writer.close();
  });
});
