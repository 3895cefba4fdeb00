/**
 * Selection strategies at matched N on a synthetic pool: eight archive cells of uneven size with
 * a spread of solve-rates, plus problems every default filter must keep out (seeds, unverified,
 * disputed, duplicates, contaminated), each planted with a low in-band solve-rate so that a
 * strategy that let it through would pick it first.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DEDUP_SETTINGS } from '../../src/curation/dedup/dedup.js';
import { DEFAULT_FILTERS, REASON_FLAG, type SelectionFilters } from '../../src/curation/eligibility.js';
import type { ChatExample, ExampleMetadata } from '../../src/curation/export/chat.js';
import { type SelectOutcome, selectAndExport } from '../../src/curation/select.js';
import { readPoolStats } from '../../src/curation/stats.js';
import {
  type BaseStrategy,
  DEFAULT_BAND,
  parseBand,
  parseMix,
  type SelectionPlan,
  type Strategy,
} from '../../src/curation/strategies.js';
import type { ProblemRecord } from '../../src/domain/records.js';
import { openAnalysisConnection } from '../../src/storage/analysis-connection.js';
import { UserError } from '../../src/util/errors.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { makeProblem, writePool } from './fixtures.js';

const mathTest = readFileSync(join(import.meta.dirname, '../../data/benchmarks/math_test.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as { id: string; problem: string });

const CELLS: [string, string][] = [
  ['Algebra', 'linear equations'],
  ['Algebra', 'quadratic equations'],
  ['Geometry', 'triangles'],
  ['Geometry', 'circles'],
  ['Number Theory', 'divisibility'],
  ['Number Theory', 'modular arithmetic'],
  ['Precalculus', 'vectors'],
  ['Precalculus', 'matrices'],
];
const cellOf = (m: { subject: string | null; skill: string | null }) => `${m.subject} / ${m.skill}`;
const RATES = [0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 0.1, 0.6, 1, 0.05, 0.3, 0.4];
const NAMES = ['Ada', 'Boris', 'Chen', 'Dalia', 'Emeka', 'Farah', 'Goran', 'Hana', 'Ivo', 'Jun', 'Kemal'];
const THINGS = ['marbles', 'stamps', 'pebbles', 'coins', 'shells', 'beads', 'cards', 'tiles', 'bolts'];
const COLOURS = ['red', 'blue', 'green', 'grey', 'amber'];

/** Distinct texts: other names, objects and numbers (no two are near duplicates). */
function text(i: number): string {
  const thing = THINGS[i % THINGS.length]!;
  return (
    `${NAMES[i % NAMES.length]} sorts ${i * 7 + 11} ${thing} into ${(i % 5) + 3} jars of ${i * 3 + 4} ` +
    `and keeps the rest in a ${COLOURS[i % COLOURS.length]} box. How many ${thing} are in box number ${i + 1}?`
  );
}

/** The problems that qualify by default: cell c holds 3 + c of them. */
const BASE: ProblemRecord[] = [];
CELLS.forEach(([subject, skill], c) => {
  for (let j = 0; j < 3 + c; j++) {
    const i = BASE.length;
    const generation = 1 + (i % 2);
    BASE.push(
      makeProblem(`g${generation}-t${i}`, {
        generation,
        taskIndex: i,
        subject,
        skill,
        problem: text(i),
        solveRate: RATES[i % RATES.length]!,
      }),
    );
  }
});

/** Each planted problem is in band and harder than anything that qualifies. */
const hard = { solveRate: 0.0625, subject: 'Algebra', skill: 'linear equations' };
const PLANTED: Record<string, ProblemRecord[]> = {
  seed: [0, 1, 2].map((k) =>
    makeProblem(`seed:s${k}`, {
      ...hard,
      generation: 0,
      origin: 'seed',
      seedId: `s${k}`,
      parentUids: [],
      templateRef: null,
      problem: text(100 + k),
    }),
  ),
  unverified: [0, 1, 2].map((k) =>
    makeProblem(`g1-u${k}`, {
      ...hard,
      solveRate: 0,
      verified: false,
      taskIndex: 200 + k,
      problem: text(200 + k),
    }),
  ),
  disputed: [0, 1, 2].map((k) =>
    makeProblem(`g1-d${k}`, { ...hard, disputed: true, taskIndex: 300 + k, problem: text(300 + k) }),
  ),
  // Copies (case and spacing changed) of generation-1 problems, made later: the originals represent them.
  duplicate: [0, 2].map((k) =>
    makeProblem(`g2-dup${k}`, {
      ...hard,
      generation: 2,
      taskIndex: 400 + k,
      problem: ` ${BASE[k]!.problem.toUpperCase().replace(/ /g, '  ')}`,
    }),
  ),
  contaminated: mathTest
    .filter((p) => p.problem.split(' ').length >= 40)
    .slice(0, 2)
    .map((p, k) => makeProblem(`g1-c${k}`, { ...hard, taskIndex: 500 + k, problem: p.problem })),
};
const REASONS = ['seed', 'unverified', 'disputed', 'duplicate', 'contaminated'] as const;
const FLAG: Record<(typeof REASONS)[number], keyof SelectionFilters> = {
  seed: 'includeSeeds',
  unverified: 'includeUnverified',
  disputed: 'includeDisputed',
  duplicate: 'includeDuplicates',
  contaminated: 'includeContaminated',
};
const POOL = [...BASE, ...Object.values(PLANTED).flat()];
const baseByUid = new Map(BASE.map((p) => [p.uid, p]));

const inBand = (rate: number | null, [lo, hi]: [number, number] = DEFAULT_BAND) =>
  rate !== null && rate >= lo && rate <= hi;

let runDir: string;
beforeAll(() => {
  runDir = join(tempDir('sparq-select-'), 'run');
  writePool(runDir, POOL);
});

interface Selected {
  outcome: SelectOutcome;
  meta: ExampleMetadata[];
  uids: string[];
}

function select(
  plan: Partial<SelectionPlan> & { strategy: Strategy; n: number },
  filters: Partial<SelectionFilters> = {},
  outDir = join(tempDir('sparq-select-out-'), 'dataset'),
  fromRun = runDir,
): Selected {
  const outcome = selectAndExport({
    runDir: fromRun,
    plan: { seed: 0, band: DEFAULT_BAND, mix: {}, ...plan },
    filters: { ...DEFAULT_FILTERS, ...filters },
    dedup: DEFAULT_DEDUP_SETTINGS,
    seeds: 'none',
    decontamination: { ngram: 13, sets: ['math'] },
    outDir,
    force: false,
    command: 'sparq select (test)',
    log: () => {},
  });
  const meta = readFileSync(join(outDir, 'train.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as ChatExample).metadata);
  return { outcome, meta, uids: meta.map((m) => m.uid) };
}

const countBy = <T>(xs: T[], key: (x: T) => string) => {
  const out: Record<string, number> = {};
  for (const x of xs) out[key(x)] = (out[key(x)] ?? 0) + 1;
  return out;
};

describe('the default filters', () => {
  it('keep out seeds, unverified, disputed, duplicate and contaminated problems', () => {
    const all = select({ strategy: 'quantity', n: BASE.length });
    expect(all.outcome.selection.counts).toEqual({
      total: POOL.length,
      eligible: BASE.length,
      excluded: { seed: 3, unverified: 3, disputed: 3, duplicate: 2, contaminated: 2 },
    });
    expect(new Set(all.uids)).toEqual(new Set(BASE.map((p) => p.uid)));
    expect(all.outcome.dedup!.analysis.summary.duplicates).toBe(2);
    expect(all.outcome.decontamination!.analysis.summary.contaminated).toBe(2);
    // The hardest-first strategies would take the planted problems first if they let them in.
    for (const strategy of ['quality', 'diversity'] as const) {
      const picked = select({ strategy, n: 5 }).uids;
      expect(picked.every((uid) => baseByUid.has(uid))).toBe(true);
    }
  });

  it.each(REASONS.map((r) => [REASON_FLAG[r], r] as const))(
    '%s lifts its exclusion only',
    (_flag, reason) => {
      const planted = PLANTED[reason]!;
      const n = BASE.length + planted.length;
      const r = select({ strategy: 'quantity', n }, { [FLAG[reason]]: true });
      expect(r.outcome.selection.counts.eligible).toBe(n);
      expect(r.outcome.selection.counts.excluded[reason]).toBeUndefined();
      expect(new Set(r.uids)).toEqual(new Set([...BASE, ...planted].map((p) => p.uid)));
      // The other exclusions still hold.
      expect(() => select({ strategy: 'quantity', n: n + 1 }, { [FLAG[reason]]: true })).toThrow(UserError);
    },
  );

  it('lifted for unverified problems, hardest-first strategies still take verified ones first', () => {
    const r = select({ strategy: 'diversity', n: CELLS.length }, { includeUnverified: true });
    expect(r.meta.every((m) => m.verified)).toBe(true);
  });
});

describe('duplicate clusters', () => {
  it('contribute their earliest qualifying member when the first one does not qualify', () => {
    const dir = join(tempDir('sparq-select-clusters-'), 'run');
    const copy = (p: ProblemRecord) => ` ${p.problem.toUpperCase().replace(/ /g, '  ')}`;
    const firstUnverified = makeProblem('g1-first', {
      ...hard,
      solveRate: 0,
      verified: false,
      problem: text(600),
    });
    const laterVerified = makeProblem('g2-later', {
      ...hard,
      generation: 2,
      taskIndex: 1,
      problem: copy(firstUnverified),
    });
    const evenLater = makeProblem('g3-copy', {
      ...hard,
      generation: 3,
      taskIndex: 2,
      problem: copy(firstUnverified),
    });
    const seed = makeProblem('seed:s9', {
      ...hard,
      generation: 0,
      origin: 'seed',
      seedId: 's9',
      parentUids: [],
      templateRef: null,
      problem: text(601),
    });
    const seedCopy = makeProblem('g1-seedcopy', { ...hard, taskIndex: 3, problem: copy(seed) });
    writePool(dir, [seed, firstUnverified, seedCopy, laterVerified, evenLater]);
    const { outcome, uids } = select({ strategy: 'quantity', n: 1 }, {}, undefined, dir);
    // The unverified original keeps its cluster's place only if it qualifies: the first verified
    // copy takes it, the next copy is a duplicate; a copy of a seed is never new data.
    expect(outcome.selection.counts).toEqual({
      total: 5,
      eligible: 1,
      excluded: { seed: 1, unverified: 1, duplicate: 2 },
    });
    expect(uids).toEqual(['g2-later']);
  });
});

describe('every strategy returns exactly N', () => {
  const cases: [Strategy, Partial<SelectionPlan>][] = [
    ['quantity', {}],
    ['quality', {}],
    ['diversity', {}],
    ['mix', { mix: { quality: 0.5, diversity: 0.25, quantity: 0.25 } }],
  ];
  it.each(cases)('%s', (strategy, extra) => {
    for (const n of [1, 7, 20]) {
      const r = select({ strategy, n, ...extra });
      expect(r.uids).toHaveLength(n);
      expect(new Set(r.uids).size).toBe(n);
      expect(r.outcome.selection.selected).toBe(n);
      expect(r.outcome.dataset.files.map((f) => f.rows)).toEqual([n, n]);
    }
  });
});

describe('quality', () => {
  const eligibleInBand = (band: [number, number]) =>
    BASE.map((p) => p.solveRate!)
      .filter((r) => inBand(r, band))
      .sort((a, b) => a - b);

  it('picks only in-band solve-rates, hardest first', () => {
    const expected = eligibleInBand(DEFAULT_BAND);
    const r = select({ strategy: 'quality', n: 12 });
    const rates = r.meta.map((m) => m.solve_rate!);
    expect(rates.every((x) => inBand(x))).toBe(true);
    expect(rates).toEqual([...rates].sort((a, b) => a - b));
    expect(rates).toEqual(expected.slice(0, 12));
    expect(r.meta.every((m) => m.selected_by === 'quality')).toBe(true);
    expect(r.outcome.selection.inBand).toBe(expected.length);
  });

  it('treats the band as inclusive and honours a custom band', () => {
    const all = eligibleInBand(DEFAULT_BAND);
    const full = select({ strategy: 'quality', n: all.length });
    expect(full.meta.map((m) => m.solve_rate)).toEqual(all);
    expect(all).toContain(0.1);
    expect(all).toContain(0.6);

    const band: [number, number] = [0.3, 0.5];
    const narrow = eligibleInBand(band);
    const r = select({ strategy: 'quality', n: narrow.length, band });
    expect(r.meta.map((m) => m.solve_rate)).toEqual(narrow);
    expect(r.outcome.selection.inBand).toBe(narrow.length);
  });

  it('refuses more than the band holds, saying how many are in it', () => {
    const band: [number, number] = [0.3, 0.5];
    const inside = eligibleInBand(band).length;
    const out = join(tempDir(), 'never');
    let message = '';
    try {
      select({ strategy: 'quality', n: inside + 1, band }, {}, out);
    } catch (err) {
      expect(err).toBeInstanceOf(UserError);
      message = (err as Error).message;
    }
    expect(message).toContain(
      `is more than the ${inside} qualifying problems with a solve-rate in the band [0.3, 0.5] (of ${BASE.length} that qualify otherwise)`,
    );
    expect(message).toContain(`${BASE.length - inside}  qualify but lie outside the solve-rate band`);
    expect(message).toMatch(/--band/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('quality within a mix', () => {
  it('refuses a quality share larger than the band holds', () => {
    const band: [number, number] = [0.3, 0.5];
    const inside = BASE.filter((p) => inBand(p.solveRate, band)).length;
    expect(() =>
      select({ strategy: 'mix', n: 2 * inside + 2, band, mix: { quality: 1, quantity: 1 } }),
    ).toThrow(
      `the quality part of the mix (${inside + 1} problems) is more than the ${inside} qualifying problems`,
    );
  });
});

describe('diversity', () => {
  const hardestOfCell = (cell: string) =>
    Math.min(...BASE.filter((p) => cellOf(p) === cell).map((p) => p.solveRate!));

  it('covers min(N, #cells) cells, with the hardest problem of each', () => {
    for (const n of [3, CELLS.length]) {
      const r = select({ strategy: 'diversity', n });
      const cells = r.meta.map(cellOf);
      expect(new Set(cells).size).toBe(Math.min(n, CELLS.length));
      for (const m of r.meta) expect(m.solve_rate).toBe(hardestOfCell(cellOf(m)));
      expect(r.outcome.selection.cells).toEqual({ eligible: CELLS.length, selected: n });
      expect(r.meta.every((m) => m.selected_by === 'diversity')).toBe(true);
    }
  });

  it('gives every cell a problem before any cell gets a second one', () => {
    const n = 2 * CELLS.length + 3;
    const r = select({ strategy: 'diversity', n });
    const cells = r.meta.map(cellOf);
    expect(new Set(cells.slice(0, CELLS.length)).size).toBe(CELLS.length);
    expect(new Set(cells.slice(CELLS.length, 2 * CELLS.length)).size).toBe(CELLS.length);
    expect(new Set(cells.slice(2 * CELLS.length)).size).toBe(3);
    const perCell = Object.values(countBy(cells, (c) => c));
    expect(Math.max(...perCell) - Math.min(...perCell)).toBeLessThanOrEqual(1);
    // Within a cell, the problems come hardest first.
    for (const cell of new Set(cells)) {
      const rates = r.meta.filter((m) => cellOf(m) === cell).map((m) => m.solve_rate!);
      expect(rates).toEqual([...rates].sort((a, b) => a - b));
    }
  });

  it('uses the small cells up and goes on with the larger ones', () => {
    // Cell c holds 3 + c problems: asking for all of them empties the small cells first.
    const r = select({ strategy: 'diversity', n: BASE.length });
    expect(new Set(r.uids)).toEqual(new Set(BASE.map((p) => p.uid)));
    const cells = r.meta.map(cellOf);
    const last = CELLS[CELLS.length - 1]!.join(' / ');
    expect(cells.slice(-1)).toEqual([last]);
  });
});

describe('quantity', () => {
  it('is deterministic for a given --seed and differs for another seed', () => {
    const a = select({ strategy: 'quantity', n: 10, seed: 1 });
    const b = select({ strategy: 'quantity', n: 10, seed: 1 });
    const c = select({ strategy: 'quantity', n: 10, seed: 2 });
    expect(b.uids).toEqual(a.uids);
    expect(c.uids).not.toEqual(a.uids);
    expect(new Set(c.uids)).not.toEqual(new Set(a.uids));
    expect(a.meta.every((m) => m.selected_by === 'quantity')).toBe(true);
  });

  it('is not a hardness ranking: it draws from across the solve-rate range', () => {
    const rates = select({ strategy: 'quantity', n: 20, seed: 3 }).meta.map((m) => m.solve_rate!);
    expect(rates).not.toEqual([...rates].sort((a, b) => a - b));
    expect(rates.some((x) => !inBand(x))).toBe(true);
  });
});

describe('mix', () => {
  const selectedBy = (r: Selected) => countBy(r.meta, (m) => m.selected_by);

  it('splits N by the weights, fills quality, diversity, quantity in that order, without repeats', () => {
    const r = select({ strategy: 'mix', n: 10, mix: { quality: 0.5, diversity: 0.3, quantity: 0.2 } });
    expect(selectedBy(r)).toEqual({ quality: 5, diversity: 3, quantity: 2 });
    expect(r.meta.map((m) => m.selected_by)).toEqual([
      ...Array<string>(5).fill('quality'),
      ...Array<string>(3).fill('diversity'),
      ...Array<string>(2).fill('quantity'),
    ]);
    expect(new Set(r.uids).size).toBe(10);
    expect(r.outcome.selection.components).toEqual([
      { strategy: 'quality', n: 5 },
      { strategy: 'diversity', n: 3 },
      { strategy: 'quantity', n: 2 },
    ]);
    const quality = r.meta.filter((m) => m.selected_by === 'quality');
    expect(quality.every((m) => inBand(m.solve_rate))).toBe(true);
    // The quality part is the one quality alone would choose.
    expect(quality.map((m) => m.uid)).toEqual(select({ strategy: 'quality', n: 5 }).uids);
  });

  it('hands rounding leftovers to the largest remainders and leaves zero weights out', () => {
    const thirds = select({ strategy: 'mix', n: 10, mix: { quality: 1, diversity: 1, quantity: 1 } });
    const counts = selectedBy(thirds);
    expect(Object.values(counts).reduce((s, x) => s + x, 0)).toBe(10);
    for (const k of ['quality', 'diversity', 'quantity'] as BaseStrategy[])
      expect([3, 4]).toContain(counts[k]);

    const two = select({ strategy: 'mix', n: 7, mix: { diversity: 2, quantity: 0, quality: 5 } });
    expect(selectedBy(two)).toEqual({ quality: 5, diversity: 2 });
  });
});

describe('asking for more than qualify', () => {
  it('fails with the number that qualify and the count of every exclusion reason, writing nothing', () => {
    const out = join(tempDir(), 'never');
    let message = '';
    try {
      select({ strategy: 'quantity', n: BASE.length + 1 }, {}, out);
    } catch (err) {
      expect(err).toBeInstanceOf(UserError);
      message = (err as Error).message;
    }
    expect(message).toContain(
      `--n ${BASE.length + 1} is more than the ${BASE.length} problems that qualify (pool: ${POOL.length} problems)`,
    );
    expect(message).toMatch(/^\s+3 {2}seeds .*; include with --include-seeds$/m);
    expect(message).toMatch(/^\s+3 {2}unverified .*; include with --include-unverified$/m);
    expect(message).toMatch(/^\s+3 {2}disputed .*; include with --include-disputed$/m);
    expect(message).toMatch(/^\s+2 {2}duplicates .*; include with --include-duplicates$/m);
    expect(message).toMatch(/^\s+2 {2}contaminated .*; include with --include-contaminated$/m);
    expect(existsSync(out)).toBe(false);
  });

  it('exits with code 2 and that message from the command line', () => {
    const out = join(tempDir(), 'never');
    const r = runCli([
      'select',
      runDir,
      '--strategy',
      'diversity',
      '--n',
      '1000',
      '--out',
      out,
      '--seeds',
      'none',
      '--bundled-eval-sets',
      'math',
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`--n 1,000 is more than the ${BASE.length} problems that qualify`);
    expect(r.stderr).toMatch(/3 {2}seeds .*--include-seeds/);
    expect(r.stderr).toMatch(/2 {2}contaminated .*--include-contaminated/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('checking inputs first', () => {
  it('an unreadable evaluation set fails before any analysis is computed', () => {
    const dir = join(tempDir('sparq-select-fresh-'), 'run');
    writePool(dir, BASE.slice(0, 5));
    const missing = join(tempDir(), 'no-such-set.jsonl');
    const attempt = () =>
      selectAndExport({
        runDir: dir,
        plan: { strategy: 'quantity', n: 2, seed: 0, band: DEFAULT_BAND, mix: {} },
        filters: DEFAULT_FILTERS,
        dedup: DEFAULT_DEDUP_SETTINGS,
        seeds: 'none',
        decontamination: { ngram: 13, sets: ['math', missing] },
        outDir: join(tempDir(), 'ds'),
        force: false,
        command: 'sparq select (test)',
        log: () => {},
      });
    expect(attempt).toThrow(UserError);
    expect(attempt).toThrow(`unknown evaluation set "${missing}"`);
    // Nothing was analysed (the duplicate analysis can take minutes on a large pool).
    const conn = openAnalysisConnection(dir, { results: 'read' });
    try {
      expect(readPoolStats(conn, { bins: 10, top: 0 }).curation).toEqual({
        dedup: null,
        decontamination: null,
      });
    } finally {
      conn.close();
    }
  });
});

describe('bad arguments', () => {
  const common = () => ['--out', join(tempDir(), 'out')];
  const cases: [string, string[], RegExp][] = [
    ['an unknown strategy', ['--strategy', 'best', '--n', '5'], /unknown strategy "best": expected one of/],
    ['--n 0', ['--strategy', 'quantity', '--n', '0'], /--n expects an integer in \[1, .*got "0"/],
    [
      'a band with lo above hi',
      ['--strategy', 'quality', '--n', '5', '--band', '0.7,0.2'],
      /--band lower bound 0\.7 is above the upper bound 0\.2/,
    ],
    [
      '--mix without strategy mix',
      ['--strategy', 'quality', '--n', '5', '--mix', 'quality=1'],
      /--mix only applies to --strategy mix/,
    ],
    ['strategy mix without --mix', ['--strategy', 'mix', '--n', '5'], /--strategy mix needs --mix/],
    [
      'an unknown bundled evaluation set',
      ['--strategy', 'quantity', '--n', '5', '--bundled-eval-sets', 'math,mmlu'],
      /--bundled-eval-sets: unknown set "mmlu"/,
    ],
  ];
  it.each(cases)('%s exits 2 with a message naming it', (_name, args, message) => {
    const r = runCli(['select', runDir, ...args, ...common()]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('a missing run directory exits 2', () => {
    const missing = join(tempDir(), 'no-run');
    const r = runCli(['select', missing, '--strategy', 'quantity', '--n', '5', ...common()]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${missing} is not a sparq run directory`);
  });

  it('band and mix values are checked', () => {
    expect(parseBand('0.2, 0.5')).toEqual([0.2, 0.5]);
    expect(parseBand('0.4,0.4')).toEqual([0.4, 0.4]);
    expect(() => parseBand('0.7,0.2')).toThrow(/lower bound 0.7 is above the upper bound 0.2/);
    expect(() => parseBand('0.2')).toThrow(/two solve-rates/);
    expect(() => parseBand('0.2,')).toThrow(/two solve-rates/);
    expect(() => parseBand('a,b')).toThrow(/two solve-rates/);
    expect(() => parseBand('-0.1,0.5')).toThrow(/must lie in \[0, 1\]/);
    expect(() => parseBand('0.1,1.5')).toThrow(/must lie in \[0, 1\]/);
    expect(parseMix('quality=0.5, diversity=0.5')).toEqual({ quality: 0.5, diversity: 0.5 });
    expect(() => parseMix('best=1')).toThrow(/unknown strategy "best"/);
    expect(() => parseMix('quality=-1')).toThrow(/must be a number >= 0/);
    expect(() => parseMix('quality=0,diversity=0')).toThrow(/must not all be 0/);
    expect(() => parseMix('quality=1,quality=2')).toThrow(/quality is given twice/);
    expect(() => parseMix('quality')).toThrow(/name=weight pairs/);
  });
});
