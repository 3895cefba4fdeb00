/**
 * Decontamination: pool problems that share an n-gram with an evaluation set are found, counted
 * per set and reported, whether they came in as seeds or were generated. End to end on a
 * simulated run whose seed file has a MATH test problem planted in it, and in process on
 * synthetic pools for the finer rules (reformatting, short texts, stored results).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { poolSnapshot } from '../../src/curation/analysis-store.js';
import {
  type DecontaminationSettings,
  type DecontaminationSummary,
  ensureDecontamination,
} from '../../src/curation/analyze.js';
import type { ContaminationExample } from '../../src/curation/decontaminate-report.js';
import { DEFAULT_EVAL_SETS, loadEvalSets } from '../../src/curation/eval-sets.js';
import { openAnalysisConnection } from '../../src/storage/analysis-connection.js';
import { SqliteRunStore } from '../../src/storage/sqlite-store.js';
import { UserError } from '../../src/util/errors.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { commitEpoch } from '../helpers/commit.js';
import { makeProblem, writePool } from './fixtures.js';

interface Item {
  id: string;
  problem: string;
}
const readJsonl = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Item & { solution: string });
const mathTest = readJsonl(join(import.meta.dirname, '../../data/benchmarks/math_test.jsonl'));
const mathTrain = readJsonl(join(import.meta.dirname, '../../data/seeds/math_train.jsonl'));

const words = (text: string) => text.split(/\s+/);
/** A long MATH test problem of plain words (one token per word). */
const plainItem = mathTest.find(
  (p) => words(p.problem).length >= 40 && words(p.problem).every((w) => /^[A-Za-z]+[,.?]?$/.test(w)),
)!;
/** Another long one, with some LaTeX. */
const longItem = mathTest.find(
  (p) => p !== plainItem && words(p.problem).length >= 50 && !p.problem.includes('[asy]'),
)!;

/** A light rewording: two words replaced. */
function reword(text: string): string {
  const w = words(text);
  const a = Math.floor(w.length / 3);
  const b = Math.floor((2 * w.length) / 3);
  expect(w[a]).not.toBe('some');
  w[a] = 'some';
  w[b] = w[b] === 'these' ? 'those' : 'these';
  return w.join(' ');
}

/** Every `every`-th word replaced: no run of `every` original words is left. */
function chop(text: string, every: number): string {
  return words(text)
    .map((w, i) => (i % every === every - 1 ? 'zzq' : w))
    .join(' ');
}

const DISTINCT =
  'A gardener plants tulips in seventeen rows along a winding path, and every row holds twice as many tulips as the ' +
  'row before it, beginning with three tulips. How many tulips does the gardener plant in total?';

function settings(sets: string[], ngram = 13): DecontaminationSettings {
  return { ngram, sets };
}

function analyse(dir: string, s: DecontaminationSettings, force = false) {
  const conn = openAnalysisConnection(dir);
  try {
    const outcome = ensureDecontamination(conn, poolSnapshot(conn), s, { force });
    const flagged = conn.db
      .prepare(
        'SELECT uid, eval_set, item_id, matches, overlap FROM curation.curation_contamination ORDER BY uid',
      )
      .all() as { uid: string; eval_set: string; item_id: string; matches: number; overlap: number }[];
    return { ...outcome, flagged };
  } finally {
    conn.close();
  }
}

interface Report {
  settings: { ngram: number; sets: { name: string; source: string; sha256: string }[] };
  summary: DecontaminationSummary;
  examples: Record<string, ContaminationExample[]>;
}

describe('sparq decontaminate on a run with a planted MATH test problem', () => {
  let dir: string;
  let work: string;
  beforeAll(() => {
    work = tempDir('sparq-decon-');
    dir = join(work, 'run');
    const seeds = [
      ...mathTrain.slice(0, 12),
      { id: 'planted', problem: reword(longItem.problem), solution: 'So it is $\\boxed{1}$.' },
      { id: 'chopped', problem: chop(plainItem.problem, 10), solution: 'So it is $\\boxed{2}$.' },
      { id: 'distinct', problem: DISTINCT, solution: 'The total is $\\boxed{393213}$.' },
    ];
    const seedFile = join(work, 'seeds.jsonl');
    writeFileSync(seedFile, `${seeds.map((s) => JSON.stringify(s)).join('\n')}\n`);
    const r = runCli([
      'run',
      dir,
      '--set',
      'model.kind=sim',
      '--seeds',
      seedFile,
      '--generations',
      '1',
      '-q',
    ]);
    expect(r.status, r.stderr).toBe(0);
  });

  const json = (args: string[]) => {
    const r = runCli(['decontaminate', dir, '--json', '--examples', '100', ...args]);
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Report;
  };
  const uids = (examples: ContaminationExample[] | undefined) => (examples ?? []).map((e) => e.uid);

  it('flags the slightly reworded seed against the bundled math set, not a distinct problem', () => {
    const report = json([]);
    expect(report.settings.ngram).toBe(13);
    expect(report.summary.sets.map((s) => s.name)).toEqual([...DEFAULT_EVAL_SETS]);
    const math = report.summary.sets.find((s) => s.name === 'math')!;
    expect(math).toMatchObject({ source: 'bundled:math', items: 5000 });
    const planted = report.examples.math!.find((e) => e.uid === 'seed:planted');
    expect(planted).toMatchObject({ origin: 'seed', itemId: longItem.id });
    expect(planted!.matches).toBeGreaterThan(5);
    expect(planted!.overlap).toBeGreaterThan(0.3);
    expect(planted!.overlap).toBeLessThan(1);
    expect(planted!.problem).toBe(reword(longItem.problem));
    for (const set of DEFAULT_EVAL_SETS) {
      expect(uids(report.examples[set])).not.toContain('seed:distinct');
      // No 13 consecutive words of the chopped copy are left.
      expect(uids(report.examples[set])).not.toContain('seed:chopped');
    }
    // Per-set counts: every flagged problem is listed (fewer than --examples) and split by origin.
    for (const s of report.summary.sets) {
      expect(report.examples[s.name]).toHaveLength(s.contaminated);
      expect(s.seeds + s.generated).toBe(s.contaminated);
      expect(s.seeds).toBe(report.examples[s.name]!.filter((e) => e.origin === 'seed').length);
    }
    const all = new Set(Object.values(report.examples).flatMap((e) => e.map((x) => x.uid)));
    expect(report.summary.contaminated).toBe(all.size);
    expect(report.summary.contaminatedSeeds + report.summary.contaminatedGenerated).toBe(all.size);
  });

  it('prints the per-set table and examples, and reuses the stored result', () => {
    const r = runCli(['decontaminate', dir]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\d+ of \d+ problems share a 13-gram with an evaluation set/);
    expect(r.stdout).toContain('[stored result]');
    for (const set of DEFAULT_EVAL_SETS) expect(r.stdout).toMatch(new RegExp(`^${set}\\s+[\\d,]+\\s`, 'm'));
    expect(r.stdout).toContain('Examples: math');
    expect(r.stdout).toContain(`seed:planted (seed) ~ ${longItem.id}`);
    expect(r.stdout).not.toContain('seed:distinct');
  });

  it('checks user-provided evaluation set files, counted and shown per set', () => {
    const file = join(work, 'private-eval.jsonl');
    writeFileSync(
      file,
      [
        { id: 'mine-1', problem: DISTINCT.replace('in total?', 'altogether?') },
        { id: 'mine-2', problem: 'Compute the sum of the first ten prime numbers and divide it by four.' },
      ]
        .map((x) => JSON.stringify(x))
        .join('\n'),
    );
    const report = json(['--bundled-eval-sets', 'math', '--eval-set', file]);
    expect(report.summary.sets.map((s) => s.name)).toEqual(['math', 'private-eval']);
    const mine = report.summary.sets[1]!;
    expect(mine).toMatchObject({ source: file, items: 2, contaminated: 1, seeds: 1, generated: 0 });
    expect(report.examples['private-eval']).toEqual([
      expect.objectContaining({ uid: 'seed:distinct', itemId: 'mine-1', origin: 'seed' }),
    ]);
    expect(uids(report.examples.math)).toContain('seed:planted');
    expect(uids(report.examples.math)).not.toContain('seed:distinct');

    // Only the file: the bundled sets can be switched off.
    const only = json(['--bundled-eval-sets', 'none', '--eval-set', file]);
    expect(only.summary.sets.map((s) => s.name)).toEqual(['private-eval']);
    expect(only.summary.contaminated).toBe(1);
  });

  it('uses the n-gram size given by --ngram', () => {
    const report = json(['--bundled-eval-sets', 'math', '--ngram', '8']);
    expect(report.settings.ngram).toBe(8);
    expect(report.summary.ngram).toBe(8);
    const flagged = report.examples.math!;
    // Runs of 9 original words are left in the chopped copy: 8-grams find it.
    expect(flagged.find((e) => e.uid === 'seed:chopped')).toMatchObject({ itemId: plainItem.id });
    expect(flagged.find((e) => e.uid === 'seed:chopped')!.ngram.split(' ')).toHaveLength(8);
    expect(uids(flagged)).toContain('seed:planted');
    expect(uids(flagged)).not.toContain('seed:distinct');
  });

  it('rejects bad arguments with exit code 2 and a message naming the problem', () => {
    const cases: [string[], RegExp][] = [
      [['--bundled-eval-sets', 'math,mmlu'], /unknown set "mmlu"/],
      [
        ['--eval-set', join(work, 'no-such-set.jsonl')],
        /unknown evaluation set ".*no-such-set\.jsonl".*no such file/,
      ],
      [['--ngram', '2'], /--ngram expects an integer in \[3, 100\], got "2"/],
    ];
    for (const [args, message] of cases) {
      const r = runCli(['decontaminate', dir, ...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    const missing = runCli(['decontaminate', join(work, 'no-run')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/no-run is not a sparq run directory/);
  });
});

describe('decontamination rules', () => {
  const shortItem = mathTest.find((p) => p.id === 'test/algebra/263.json')!; // Find $y$: $\sqrt{19+3y} = 7$.
  let dir: string;
  beforeAll(() => {
    dir = join(tempDir('sparq-decon-rules-'), 'run');
    writePool(dir, [
      makeProblem('seed:copy', {
        origin: 'seed',
        generation: 0,
        seedId: 'copy',
        parentUids: [],
        problem: longItem.problem,
      }),
      // Reformatted: case, spacing and LaTeX spacing do not hide a copy.
      makeProblem('g1-t0', { problem: `  ${plainItem.problem.toUpperCase().replace(/ /g, '   ')}` }),
      makeProblem('g1-t1', { problem: reword(longItem.problem) }),
      makeProblem('g1-t2', { problem: DISTINCT }),
      // Short texts are compared whole: an identical one matches, a fragment of a long item does not.
      makeProblem('g1-t3', { problem: 'Find y:  $\\sqrt{19 + 3y}=7$' }),
      makeProblem('g1-t4', { problem: words(plainItem.problem).slice(0, 6).join(' ') }),
      makeProblem('g1-t5', { problem: chop(plainItem.problem, 10) }),
    ]);
  });

  it('finds copies whatever their formatting, seeds and generated problems alike', () => {
    const { analysis, flagged } = analyse(dir, settings(['math']));
    expect(flagged.map((f) => [f.uid, f.item_id])).toEqual([
      ['g1-t0', plainItem.id],
      ['g1-t1', longItem.id],
      ['g1-t3', shortItem.id],
      ['seed:copy', longItem.id],
    ]);
    expect(flagged.find((f) => f.uid === 'seed:copy')!.overlap).toBe(1);
    expect(flagged.find((f) => f.uid === 'g1-t0')!.overlap).toBe(1);
    expect(flagged.find((f) => f.uid === 'g1-t1')!.overlap).toBeLessThan(1);
    expect(analysis.summary).toMatchObject({
      problems: 7,
      contaminated: 4,
      contaminatedSeeds: 1,
      contaminatedGenerated: 3,
      ngram: 13,
    });
    expect(analysis.summary.shortProblems).toBe(2);
    expect(analysis.summary.sets).toEqual([
      expect.objectContaining({ name: 'math', items: 5000, contaminated: 4, seeds: 1, generated: 3 }),
    ]);
  });

  it('counts a problem once per set it overlaps', () => {
    const file = join(tempDir(), 'mine.jsonl');
    writeFileSync(file, `${JSON.stringify({ id: 7, problem: longItem.problem })}\n\n`);
    const { analysis, flagged } = analyse(dir, settings(['math', file]));
    expect(analysis.summary.contaminated).toBe(4);
    expect(analysis.summary.sets.map((s) => [s.name, s.items, s.contaminated])).toEqual([
      ['math', 5000, 4],
      ['mine', 1, 2],
    ]);
    expect(flagged.filter((f) => f.eval_set === 'mine').map((f) => [f.uid, f.item_id])).toEqual([
      ['g1-t1', '7'],
      ['seed:copy', '7'],
    ]);
  });

  it('re-checks an evaluation set file whose content changed', () => {
    const file = join(tempDir(), 'edited.jsonl');
    writeFileSync(file, `${JSON.stringify({ id: 'e1', problem: DISTINCT })}\n`);
    const first = analyse(dir, settings([file]));
    expect(first.flagged.map((f) => f.uid)).toEqual(['g1-t2']);
    expect(analyse(dir, settings([file])).cached).toBe(true);
    writeFileSync(file, `${JSON.stringify({ id: 'e1', problem: longItem.problem })}\n`);
    const second = analyse(dir, settings([file]));
    expect(second.cached).toBe(false);
    expect(second.flagged.map((f) => f.uid)).toEqual(['g1-t1', 'seed:copy']);
  });

  it('a smaller n finds more, and the stored result is reused only for the same settings', () => {
    const at13 = analyse(dir, settings(['math'], 13));
    expect(at13.cached).toBe(false); // the previous test used other sets
    expect(analyse(dir, settings(['math'], 13)).cached).toBe(true);
    const at8 = analyse(dir, settings(['math'], 8));
    expect(at8.cached).toBe(false);
    expect(at8.flagged.map((f) => f.uid)).toEqual([...at13.flagged.map((f) => f.uid), 'g1-t5'].sort());
    expect(analyse(dir, settings(['math'], 8), true).cached).toBe(false);

    // New problems make the stored result stale.
    const store = SqliteRunStore.open(dir, { create: false });
    try {
      commitEpoch(store, {
        generation: 2,
        startedAt: new Date().toISOString(),
        problems: [makeProblem('g2-t0', { generation: 2, problem: plainItem.problem })],
        rejections: [],
        counters: {},
      });
    } finally {
      store.close();
    }
    const grown = analyse(dir, settings(['math'], 8));
    expect(grown.cached).toBe(false);
    expect(grown.analysis.summary.problems).toBe(8);
    expect(grown.flagged.map((f) => f.uid)).toContain('g2-t0');
  });

  it('rejects unusable evaluation sets with a message naming the file and line', () => {
    const work = tempDir();
    const bad = join(work, 'bad.jsonl');
    writeFileSync(bad, '{"id": "a", "problem": "fine"}\nnot json\n{"id": "c"}\n');
    expect(() => loadEvalSets([bad])).toThrow(UserError);
    expect(() => loadEvalSets([bad])).toThrow(
      /bad\.jsonl:2: not valid JSON[\s\S]*bad\.jsonl:3: missing "problem"/,
    );
    const empty = join(work, 'empty.jsonl');
    writeFileSync(empty, '\n');
    expect(() => loadEvalSets([empty])).toThrow(/is empty/);
    const clash = join(work, 'math.jsonl');
    writeFileSync(clash, '{"problem": "x"}\n');
    expect(() => loadEvalSets(['math', clash])).toThrow(/two evaluation sets are named "math"/);
    expect(() => loadEvalSets(['math-500'])).toThrow(/unknown evaluation set "math-500"/);
    // The same bundled set named twice is one set.
    expect(loadEvalSets(['math', 'math']).map((s) => s.name)).toEqual(['math']);
  });
});
