/**
 * The near-duplicate screen at tell time: what it rejects is as similar as the threshold to a
 * problem told before it, named in the detail; what it lets through, `sparq select`'s dedup
 * finds (almost) no near duplicates among.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SimBackend } from '../../src/backends/sim-backend.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { poolSnapshot } from '../../src/curation/analysis-store.js';
import { ensureDedup } from '../../src/curation/analyze.js';
import { DEFAULT_DEDUP_SETTINGS, findDuplicates } from '../../src/curation/dedup/dedup.js';
import { jaccardSorted, shingleHashes } from '../../src/curation/dedup/shingle-sets.js';
import { executeRun } from '../../src/engine/execute.js';
import { parseMutationOutput } from '../../src/engine/mutation-output.js';
import { NearDuplicateScreen } from '../../src/engine/near-duplicates.js';
import { openAnalysisConnection } from '../../src/storage/analysis-connection.js';
import { BodyCodec } from '../../src/storage/body-codec.js';
import { registerProblemText } from '../../src/storage/problem-rows.js';
import { SqliteRunStore } from '../../src/storage/sqlite-store.js';
import { tempDir } from '../helpers/cli.js';

const jaccard = (a: string, b: string) => jaccardSorted(shingleHashes(a, 3), shingleHashes(b, 3));

describe('the screen', () => {
  const screen = new NearDuplicateScreen(0.8);
  const base =
    'A farmer has 12 cows and buys 7 more. Each cow gives 9 litres of milk a day. How many litres of milk does the farmer get in a week?';
  const near = `${base} Give your answer in litres.`;
  const other = 'Find all real x such that x^2 - 5x + 6 = 0, and give their sum.';

  it('shares band keys with a near duplicate, finds it, and ignores what is below the threshold', () => {
    expect(jaccard(base, near)).toBeGreaterThanOrEqual(0.8);
    const a = screen.keys(base);
    const b = screen.keys(near);
    expect(a).toHaveLength(screen.banding.bands);
    expect(a.some((k, i) => k === b[i])).toBe(true);
    const found = screen.nearest(near, [
      { seq: 1, uid: 'other', problem: other },
      { seq: 2, uid: 'base', problem: base },
    ]);
    expect(found?.uid).toBe('base');
    expect(found!.similarity).toBeCloseTo(jaccard(base, near), 9);
    expect(screen.nearest(other, [{ seq: 2, uid: 'base', problem: base }])).toBeNull();
    expect(screen.keys('   ')).toEqual([]);
  });
});

it('a run rejects near duplicates of problems told before, naming them, and keeps the pool free of them', async () => {
  const dir = join(tempDir(), 'run');
  const config = ConfigSchema.parse({
    seeds: { sample: 60 },
    // The sim's templated families are near one another at 0.6 often enough to see the screen work.
    generation: { batch_size: 64, near_duplicate_threshold: 0.6 },
    budget: { generations: 5 },
    scheduler: { commit_tasks: 50 },
  });
  await executeRun(dir, config, { backend: new SimBackend(), quiet: true });
  const db = new Database(join(dir, 'sparq.db'), { readonly: true });
  const rejected = db
    .prepare("SELECT uid, seq, detail, request_key FROM rejections WHERE reason = 'near_duplicate'")
    .all() as { uid: string; seq: number; detail: string; request_key: Buffer }[];
  db.close();
  // The rejected output is the mutation's response, kept once, under the rejection's request key.
  const store = SqliteRunStore.openReadOnly(dir);
  const problems = [...store.iterateProblems()].sort((a, b) => a.seq - b.seq);
  const outputOf = (r: (typeof rejected)[number]) =>
    store.getResponse(r.request_key.toString('hex'), r.seq)!.choices[0]!.text;
  expect(rejected.length).toBeGreaterThanOrEqual(10);
  const byUid = new Map(problems.map((p) => [p.uid, p]));
  for (const r of rejected) {
    const [, similarity, uid] = /Jaccard similarity ([\d.]+) with (\S+),/.exec(r.detail)!;
    const match = byUid.get(uid!)!;
    expect(match.seq).toBeLessThan(r.seq);
    expect(Number(similarity)).toBeGreaterThanOrEqual(0.6);
    // Recomputed from the rejected output itself.
    const parsed = parseMutationOutput(outputOf(r));
    expect(parsed.ok && jaccard(match.problem, parsed.value.problem)).toBeCloseTo(Number(similarity), 3);
  }
  store.close();
  // Among the generated problems kept, a near duplicate of an earlier problem is what LSH's
  // recall (>= 95% at the threshold) or the candidate bound let through: rare.
  let missed = 0;
  const generated = problems.filter((p) => p.origin !== 'seed');
  for (const p of generated)
    if (problems.some((q) => q.seq < p.seq && jaccard(q.problem, p.problem) >= 0.6)) missed++;
  console.log(
    `near_duplicate: ${rejected.length} rejected, ${missed} of ${generated.length} kept problems near an earlier one`,
  );
  expect(missed).toBeLessThanOrEqual(Math.ceil(0.05 * (missed + rejected.length)));
}, 120_000);

it("select's dedup takes the screen's verdict on the pairs it verified, and finds the same clusters as verifying them all", async () => {
  const dir = join(tempDir(), 'run');
  const config = ConfigSchema.parse({
    seeds: { sample: 60 },
    generation: { batch_size: 64 },
    budget: { generations: 5 },
    scheduler: { commit_tasks: 50 },
  });
  await executeRun(dir, config, { backend: new SimBackend(), quiet: true });
  const db = new Database(join(dir, 'sparq.db'), { readonly: true });
  registerProblemText(db, new BodyCodec(db));
  const rows = db
    .prepare(
      `SELECT p.uid, problem_text(p.problem) AS problem, p.seq, p.origin, p.near_screen AS mark, s.threshold FROM problems p
       LEFT JOIN near_duplicate_screens s ON s.id = abs(p.near_screen) ORDER BY generation, task_index, p.id`,
    )
    .all() as {
    uid: string;
    problem: string;
    seq: number;
    origin: string;
    mark: number | null;
    threshold: number | null;
  }[];
  db.close();
  // Every problem's band keys were written by the run's screen; seeds are told unscreened (-id),
  // generated problems passed it completely (+id) but where the candidate bound cut in.
  expect(rows.every((r) => r.threshold === 0.8)).toBe(true);
  expect(rows.filter((r) => r.origin === 'seed').every((r) => r.mark! < 0)).toBe(true);
  const generated = rows.filter((r) => r.origin !== 'seed');
  expect(generated.filter((r) => r.mark! > 0).length).toBeGreaterThan(0.9 * generated.length);

  const analyse = (threshold: number) => {
    const conn = openAnalysisConnection(dir);
    try {
      return ensureDedup(
        conn,
        poolSnapshot(conn),
        { ...DEFAULT_DEDUP_SETTINGS, threshold },
        { seeds: 'none' },
      ).analysis.summary;
    } finally {
      conn.close();
    }
  };
  const verifyAll = (threshold: number) => {
    const docs = rows.map((r) => ({ key: r.uid, text: r.problem }));
    return findDuplicates(docs, docs.length, { ...DEFAULT_DEDUP_SETTINGS, threshold });
  };
  const reusing = analyse(0.8);
  const all = verifyAll(0.8);
  expect(reusing.screenedPairs).toBeGreaterThan(0);
  expect(reusing.candidatePairs + reusing.screenedPairs!).toBe(all.counters.candidatePairs);
  expect(reusing.duplicates).toBe(all.root.filter((root, i) => root !== i).length);
  expect(reusing.nearDuplicates).toBe(all.counters.nearPairs);
  // Another threshold than the screen's (another banding): nothing is taken from it.
  for (const threshold of [0.7, 0.9]) {
    const other = analyse(threshold);
    expect(other.screenedPairs).toBe(0);
    expect(other.duplicates).toBe(verifyAll(threshold).root.filter((root, i) => root !== i).length);
  }
}, 120_000);
