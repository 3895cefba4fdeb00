/**
 * `sparq stats`: the distributions of a pool add up, rejection reasons are counted, the text
 * form shows every section, and it only reads (never computes or stores an analysis).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { poolSnapshot } from '../../src/curation/analysis-store.js';
import { ensureDecontamination, ensureDedup } from '../../src/curation/analyze.js';
import { DEFAULT_DEDUP_SETTINGS } from '../../src/curation/dedup/dedup.js';
import { type PoolStats, readPoolStats } from '../../src/curation/stats.js';
import { formatPoolStats } from '../../src/curation/stats-format.js';
import type { ProblemRecord } from '../../src/domain/records.js';
import { openAnalysisConnection } from '../../src/storage/analysis-connection.js';
import { SqliteRunStore } from '../../src/storage/sqlite-store.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { commitEpoch } from '../helpers/commit.js';
import { makeProblem, makeRejection, writePool } from './fixtures.js';

const p = (uid: string, generation: number, subject: string, solveRate: number | null, extra = {}) =>
  makeProblem(uid, {
    generation,
    subject,
    skill: `${subject.toLowerCase()} skill`,
    solveRate,
    problem: `Problem ${uid} of generation ${generation} about ${subject}: compute ${uid.length * 37} plus ${generation * 91}.`,
    ...(generation === 0 ? { origin: 'seed', seedId: uid, parentUids: [] } : {}),
    ...extra,
  });

const POOL: ProblemRecord[] = [
  p('seed:a', 0, 'Algebra', 0.875),
  p('seed:b', 0, 'Algebra', 1),
  p('seed:c', 0, 'Geometry', 0.5),
  p('seed:d', 0, 'Number Theory', 0.25),
  p('g1-t0', 1, 'Algebra', 0.125),
  p('g1-t1', 1, 'Algebra', 0, { verified: false }),
  p('g1-t2', 1, 'Geometry', 0.375, { disputed: true }),
  p('g1-t3', 1, 'Geometry', 0.625, { origin: 'harder' }),
  p('g1-t4', 1, 'Number Theory', null, { verified: false }),
  p('g1-t5', 1, 'Number Theory', 0.75, { origin: 'combine', parentUids: ['seed:c', 'seed:d'] }),
  p('g2-t0', 2, 'Algebra', 0.1),
  p('g2-t1', 2, 'Geometry', 0, { verified: false }),
  p('g2-t2', 2, 'Geometry', 0.5),
  p('g2-t3', 2, 'Precalculus', 0.99, {
    skill: 'other',
    rawLabel: 'trigonometry \u001b[31mred\u001b[0m',
  }),
];
const VERIFIED = POOL.filter((x) => x.verified);
const REJECTIONS = [
  makeRejection('g1-t6', { generation: 1, reason: 'no_final_answer' }),
  makeRejection('g1-t7', { generation: 1, reason: 'no_final_answer' }),
  makeRejection('g1-t8', { generation: 1, reason: 'duplicate' }),
  makeRejection('g2-t4', { generation: 2, reason: 'too_long', operator: 'harder' }),
];

let dir: string;
beforeAll(() => {
  dir = join(tempDir('sparq-stats-'), 'run');
  writePool(dir, POOL, 'bundled:math_train', REJECTIONS);
});

function stats(options = { bins: 10, top: 25 }): PoolStats {
  const conn = openAnalysisConnection(dir, { results: 'read' });
  try {
    return readPoolStats(conn, options);
  } finally {
    conn.close();
  }
}

const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);

describe('sparq stats --json', () => {
  let json: PoolStats;
  beforeAll(() => {
    const r = runCli(['stats', dir, '--json', '--top', '0']);
    expect(r.status, r.stderr).toBe(0);
    json = JSON.parse(r.stdout) as PoolStats;
  });

  it('has distributions that add up to the pool', () => {
    const total = POOL.length;
    expect(json.problems).toEqual({
      total,
      byOrigin: { combine: 1, harder: 1, seed: 4, vary: 8 },
      verified: VERIFIED.length,
      unverified: total - VERIFIED.length,
      disputed: 1,
    });
    expect(sum(json.subjects.map((s) => s.problems))).toBe(total);
    expect(sum(json.generations.map((g) => g.problems))).toBe(total);
    expect(sum(json.skills.shown.map((s) => s.problems))).toBe(total);
    expect(json.skills.distinct).toBe(json.skills.shown.length);
    for (const g of json.generations) expect(sum(Object.values(g.byOrigin))).toBe(g.problems);
    // The histogram covers the verified problems; the rest are unverified or not evaluated.
    const d = json.difficulty;
    expect(d.bins).toHaveLength(10);
    expect(sum(d.bins.map((b) => b.count))).toBe(VERIFIED.length);
    expect(d.verified + d.unverified + d.notEvaluated).toBe(total);
    expect(d.notEvaluated).toBe(1);
    expect(d.solvedByAll).toBe(1);
    expect(d.meanSolveRate).toBeCloseTo(sum(VERIFIED.map((x) => x.solveRate!)) / VERIFIED.length, 9);
  });

  it('puts each verified problem in its solve-rate bin, closed above as in the report: 0.4 in (0.3, 0.4]', () => {
    const expected = new Array<number>(10).fill(0);
    for (const x of VERIFIED) {
      const r = x.solveRate!;
      const bin =
        r <= 0.1 + 1e-12
          ? 0
          : [...Array(10).keys()].find((i) => r > i / 10 + 1e-12 && r <= (i + 1) / 10 + 1e-12)!;
      expected[bin]!++;
    }
    expect(json.difficulty.bins.map((b) => b.count)).toEqual(expected);
    expect(json.difficulty.bins[9]).toMatchObject({ lo: 0.9, hi: 1, count: 2 });
  });

  it('counts subjects and generations with their verified share and mean solve-rate', () => {
    expect(json.subjects.map((s) => [s.subject, s.problems, s.verified])).toEqual([
      ['Algebra', 5, 4],
      ['Geometry', 5, 4],
      ['Number Theory', 3, 2],
      ['Precalculus', 1, 1],
    ]);
    expect(json.subjects[0]!.meanSolveRate).toBeCloseTo((0.875 + 1 + 0.125 + 0.1) / 4, 9);
    expect(json.generations.map((g) => [g.generation, g.problems, g.rejections])).toEqual([
      [0, 4, 0],
      [1, 6, 3],
      [2, 4, 1],
    ]);
    expect(json.generations[1]!.byOrigin).toEqual({ vary: 4, harder: 1, combine: 1 });
    expect(json.run).toEqual({ runId: 'testrun00001', model: 'sim-1', generations: 3 });
  });

  it('shows the rejection reasons, most frequent first', () => {
    expect(json.rejections).toEqual({
      total: 4,
      byReason: [
        { reason: 'no_final_answer', count: 2 },
        { reason: 'duplicate', count: 1 },
        { reason: 'too_long', count: 1 },
      ],
    });
    expect(json.unmappedLabels).toEqual([{ label: 'trigonometry \u001b[31mred\u001b[0m', count: 1 }]);
  });

  it('honours --bins and --top', () => {
    const s = stats({ bins: 4, top: 2 });
    // Closed above: 0.25 in [0, 0.25], 0.5 in (0.25, 0.5], 0.75 in (0.5, 0.75].
    expect(s.difficulty.bins.map((b) => b.count)).toEqual([3, 3, 2, 3]);
    expect(s.skills.shown).toHaveLength(2);
    expect(s.skills.distinct).toBe(4);
  });
});

describe('sparq stats (text)', () => {
  it('prints every section, with model-written labels escaped', () => {
    const r = runCli(['stats', dir]);
    expect(r.status, r.stderr).toBe(0);
    const text = r.stdout;
    expect(text).toContain(`run ${dir} (id testrun00001, model sim-1, 3 generations)`);
    expect(text).toContain('problems: 14 (combine 1, harder 1, seed 4, vary 8)');
    for (const section of [
      'Difficulty: solve-rate of verified problems',
      'Subjects',
      'Skills (4 subject/skill pairs)',
      'Labels outside the taxonomy',
      'Generations',
      'Rejections (4)',
      'Curation',
    ])
      expect(text).toMatch(new RegExp(`^${section.replace(/[()]/g, '\\$&')}`, 'm'));
    expect(text).toMatch(/^\(0\.90, 1\.00\]\s+2\s/m);
    expect(text).toMatch(/^\[0\.00, 0\.10\]\s+1\s/m);
    expect(text).toMatch(/^no_final_answer\s+2\s+50\.0%$/m);
    expect(text).toMatch(/^Algebra\s+5\s+80\.0%\s+0\.525$/m);
    expect(text).toContain('trigonometry \\x1b[31mred\\x1b[0m');
    expect(text).not.toContain('\u001b');
    expect(text).toContain('not analysed yet');
  });

  it('a missing run directory exits 2', () => {
    const missing = join(tempDir(), 'nope');
    const r = runCli(['stats', missing]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${missing} is not a sparq run directory`);
  });
});

describe('stats and the curation analyses', () => {
  const tables = () => {
    const db = new Database(join(dir, 'sparq.db'), { readonly: true });
    try {
      return (
        db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all() as {
          name: string;
        }[]
      ).map((t) => t.name);
    } finally {
      db.close();
    }
  };

  it('never computes or stores an analysis itself, and shows stored ones until the pool changes', () => {
    const before = tables();
    stats();
    expect(tables()).toEqual(before);
    expect(before.some((t) => t.startsWith('curation_'))).toBe(false);
    expect(stats().curation).toEqual({ dedup: null, decontamination: null });

    expect(existsSync(join(dir, 'curation.db'))).toBe(false);
    const conn = openAnalysisConnection(dir);
    try {
      const snapshot = poolSnapshot(conn);
      ensureDedup(conn, snapshot, DEFAULT_DEDUP_SETTINGS, { seeds: 'none' });
      ensureDecontamination(conn, snapshot, { ngram: 13, sets: ['gsm8k'] });
    } finally {
      conn.close();
    }
    // Stored beside the run, never in it.
    expect(tables()).toEqual(before);
    const s = stats();
    expect(s.curation.dedup).toMatchObject({ current: true, summary: { problems: 14, duplicates: 0 } });
    expect(s.curation.decontamination).toMatchObject({ current: true, summary: { problems: 14, ngram: 13 } });
    const text = formatPoolStats(dir, s);
    expect(text).toMatch(/^duplicates: 0 \(0 exact, 0 near at Jaccard >= 0\.8/m);
    expect(text).toMatch(/^contaminated: 0 \(0 seeds, 0 generated; 13-gram overlap\): gsm8k 0$/m);

    const writer = SqliteRunStore.open(dir, { create: false });
    try {
      commitEpoch(writer, {
        generation: 3,
        startedAt: new Date().toISOString(),
        problems: [p('g3-t0', 3, 'Algebra', 0.5)],
        rejections: [],
        counters: {},
      });
    } finally {
      writer.close();
    }
    const after = stats();
    expect(after.problems.total).toBe(15);
    expect(after.curation.dedup!.current).toBe(false);
    expect(formatPoolStats(dir, after)).toContain('[computed on 14 problems; the pool has changed since]');
  });
});
