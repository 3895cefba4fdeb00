import { describe, expect, it } from 'vitest';
import { type Cell, cellKey, type Measures, OTHER, otherCells, totalCells } from '../../src/core/cells.js';
import { type CoreConfig, type Outcome, parseCoreState, QDCore } from '../../src/core/qd-core.js';
import type { ParentRef } from '../../src/core/selection.js';
import { Rng } from '../../src/util/hash.js';

// 5 subjects x (5 skills + other) = 30 cells.
const SUBJECTS = ['s0', 's1', 's2', 's3', 's4'];
const SKILLS = ['k0', 'k1', 'k2', 'k3', 'k4'];
const space = { skills: new Map(SUBJECTS.map((s) => [s, SKILLS])), bands: null };

type Strategy = CoreConfig['strategy'];
const config = (strategy: Strategy, seed = 1): CoreConfig => ({
  seed,
  capacity: 3,
  space,
  strategy,
  frontier: [0.2, 0.8] as const,
  operators: { vary: 0.4, harder: 0.4, combine: 0.2 },
});

const measures = (
  subject: string | null,
  skill: string | null,
  solveRate: number,
  verified = true,
): Measures => ({
  subject,
  skill,
  solveRate,
  verified,
});
const problem = (text: string, m: Measures) => ({ text, measures: m });
const cell = (subject: string, skill: string): Cell => ({ subject, skill, band: null });
const archiveParent = (uid: string, where: Cell): ParentRef => ({ uid, source: 'archive', cell: where });

/** Tells the next outcome (task number = outcomes told so far). */
function tellNext(core: QDCore, outcome: Outcome) {
  return core.tell(core.told, outcome);
}

/** Ten seed problems, then `tasks` asked and told one at a time with random results. */
function grow(core: QDCore, tasks: number): void {
  const rng = new Rng(99);
  for (let i = 0; i < 10; i++)
    tellNext(core, {
      uid: `seed${i}`,
      parents: [],
      problem: problem(`seed ${i}`, measures(SUBJECTS[i % 5]!, SKILLS[i % 5]!, 0.5)),
    });
  for (let n = 0; n < tasks; n++) {
    const seq = core.told;
    const task = core.ask(seq)!;
    expect(task.seq).toBe(seq);
    const q = rng.int(0, 8) / 8;
    const subject = SUBJECTS[rng.int(0, 4)]!;
    const skill = [...SKILLS, OTHER][rng.int(0, 5)]!;
    core.tell(seq, {
      uid: `t${seq}`,
      parents: task.parents,
      problem: q > 0 ? problem(`task ${seq}`, measures(subject, skill, 1 - q)) : null,
    });
  }
}

const asks = (core: QDCore, from: number, count: number) =>
  Array.from({ length: count }, (_, i) => core.ask(from + i));

describe('QD core (ask/tell per task)', () => {
  for (const strategy of ['uniform', 'curiosity', 'frontier'] as const) {
    it(`${strategy}: the same seed gives the same choices, also after a state round trip`, () => {
      const a = new QDCore(config(strategy));
      const b = new QDCore(config(strategy));
      grow(a, 80);
      grow(b, 80);
      expect(a.state()).toEqual(b.state());
      expect(asks(a, 90, 32)).toEqual(asks(b, 90, 32));
      const restored = new QDCore(config(strategy), parseCoreState(JSON.parse(JSON.stringify(a.state()))));
      expect(restored.told).toBe(90);
      expect(asks(restored, 90, 32)).toEqual(asks(a, 90, 32));
      const other = new QDCore(config(strategy, 2));
      grow(other, 80);
      expect(asks(other, 90, 32)).not.toEqual(asks(a, 90, 32));
    });
  }

  it('ask(seq) depends only on the archive and seq: repeatable, not on earlier asks, and varies with seq', () => {
    const core = new QDCore(config('uniform'));
    grow(core, 40);
    const first = core.ask(57);
    expect(first).toEqual(core.ask(57));
    // Asking other tasks first (without telling) changes nothing.
    asks(core, 0, 100);
    expect(core.ask(57)).toEqual(first);
    const twin = new QDCore(config('uniform'));
    grow(twin, 40);
    expect(twin.ask(57)).toEqual(first);
    // Different task numbers draw from different streams.
    const distinct = new Set(
      asks(core, 50, 40).map((t) => JSON.stringify({ operator: t!.operator, parents: t!.parents })),
    );
    expect(distinct.size).toBeGreaterThan(10);
    expect(asks(core, 50, 40).map((t) => t!.seq)).toEqual(Array.from({ length: 40 }, (_, i) => 50 + i));
  });

  it('a told outcome changes what later tasks are asked against', () => {
    const core = new QDCore(config('uniform'));
    const placed = tellNext(core, {
      uid: 'only',
      parents: [],
      problem: problem('p', measures('s0', 'k0', 0.5)),
    });
    expect(placed.status).toBe('NEW');
    expect(core.ask(1)!.parents).toEqual([archiveParent('only', cell('s0', 'k0'))]);
  });

  it('tell must come in task order: anything else throws a RangeError and changes nothing', () => {
    const core = new QDCore(config('uniform'));
    const outcome = (uid: string): Outcome => ({
      uid,
      parents: [],
      problem: problem(uid, measures('s0', 'k0', 0.5)),
    });
    expect(() => core.tell(1, outcome('early'))).toThrow(RangeError);
    expect(() => core.tell(1, outcome('early'))).toThrow(/expected task 0, got 1/);
    expect(core.told).toBe(0);
    expect(core.stats().elites).toBe(0);
    core.tell(0, outcome('a'));
    expect(() => core.tell(0, outcome('again'))).toThrow(RangeError);
    expect(() => core.tell(-1, outcome('neg'))).toThrow(RangeError);
    expect(() => core.tell(2, outcome('skip'))).toThrow(RangeError);
    expect(core.told).toBe(1);
    core.tell(1, outcome('b'));
    expect(core.told).toBe(2);
    expect([...core.archive.elites()].map((e) => e.uid)).toEqual(['a', 'b']);
    // A restored core continues from its told count.
    const restored = new QDCore(config('uniform'), core.state());
    expect(() => restored.tell(0, outcome('c'))).toThrow(RangeError);
    expect(restored.tell(2, outcome('c')).status).toBe('IMPROVED');
  });

  it('combine takes parents from two different cells; all parents are elites', () => {
    const core = new QDCore(config('uniform'));
    grow(core, 30);
    const elites = new Set([...core.archive.elites()].map((e) => e.uid));
    let combines = 0;
    for (const t of asks(core, 40, 200)) {
      for (const p of t!.parents) {
        expect(p.source).toBe('archive');
        expect(elites.has(p.uid)).toBe(true);
        if (p.source === 'archive') expect(core.archive.get(p.cell).map((e) => e.uid)).toContain(p.uid);
      }
      if (t!.operator === 'combine') {
        combines++;
        expect(t!.parents).toHaveLength(2);
        const [x, y] = t!.parents as [ParentRef, ParentRef];
        if (x.source === 'archive' && y.source === 'archive')
          expect(cellKey(x.cell)).not.toBe(cellKey(y.cell));
      } else expect(t!.parents).toHaveLength(1);
    }
    expect(combines).toBeGreaterThan(0);
  });

  it('combine falls back to a one-parent operator while only one cell is occupied', () => {
    const core = new QDCore({ ...config('uniform'), operators: { vary: 0, harder: 0, combine: 1 } });
    tellNext(core, { uid: 'a', parents: [], problem: problem('a', measures('s0', 'k0', 0.5)) });
    tellNext(core, { uid: 'b', parents: [], problem: problem('b', measures('s0', 'k0', 0.4)) });
    for (const t of asks(core, 2, 20)) {
      expect(t!.operator).toBe('harder');
      expect(t!.parents).toHaveLength(1);
    }
  });

  it('uses the fallback parents while the archive is empty (source fallback), and none without them', () => {
    const core = new QDCore(config('uniform'));
    expect(core.ask(0)).toBeNull();
    expect(core.ask(0, [])).toBeNull();
    const tasks = Array.from({ length: 40 }, (_, i) => core.ask(i, ['seed:1', 'seed:2']));
    expect(tasks.every((t) => t !== null && t.operator !== 'combine' && t.parents.length === 1)).toBe(true);
    const parents = tasks.map((t) => t!.parents[0]!);
    for (const p of parents) {
      expect(p.source).toBe('fallback');
      expect(p).not.toHaveProperty('cell');
    }
    expect(new Set(parents.map((p) => p.uid))).toEqual(new Set(['seed:1', 'seed:2']));
    // Once a problem is in the archive, the fallback is not used.
    tellNext(core, {
      uid: 'first',
      parents: [parents[0]!],
      problem: problem('x', measures('s1', 'k1', 0.5)),
    });
    expect(core.ask(1, ['seed:1'])!.parents[0]).toEqual(archiveParent('first', cell('s1', 'k1')));
  });

  it('fallback parents earn no curiosity credit; archive parents do', () => {
    const core = new QDCore(config('curiosity'));
    tellNext(core, {
      uid: 'a',
      parents: [{ uid: 'seed:1', source: 'fallback' }],
      problem: problem('a', measures('s0', 'k0', 0.5)),
    });
    tellNext(core, { uid: 'b', parents: [{ uid: 'seed:2', source: 'fallback' }], problem: null });
    expect(core.state().curiosity).toEqual([]);
    tellNext(core, {
      uid: 'c',
      parents: [archiveParent('a', cell('s0', 'k0'))],
      problem: problem('c', measures('s1', 'k1', 0.5)),
    });
    expect(core.state().curiosity).toEqual([{ cell: cell('s0', 'k0'), score: 1 }]);
    tellNext(core, { uid: 'd', parents: [archiveParent('a', cell('s0', 'k0'))], problem: null });
    expect(core.state().curiosity).toEqual([{ cell: cell('s0', 'k0'), score: 0.5 }]);
  });

  it('frontier prefers parents inside the solve-rate band', () => {
    const core = new QDCore(config('frontier'));
    tellNext(core, { uid: 'in', parents: [], problem: problem('a', measures('s0', 'k0', 0.5)) });
    tellNext(core, { uid: 'out', parents: [], problem: problem('b', measures('s1', 'k1', 0.95)) });
    const parents = asks(core, 2, 50)
      .filter((t) => t!.operator !== 'combine')
      .map((t) => t!.parents[0]!.uid);
    expect(parents.length).toBeGreaterThan(0);
    expect(new Set(parents)).toEqual(new Set(['in']));
  });

  it('curiosity favours cells whose children get accepted', () => {
    const core = new QDCore({ ...config('curiosity'), operators: { vary: 1, harder: 0, combine: 0 } });
    const good = cell('s0', 'k0');
    const bad = cell('s1', 'k1');
    tellNext(core, { uid: 'a', parents: [], problem: problem('a', measures('s0', 'k0', 0.5)) });
    tellNext(core, { uid: 'b', parents: [], problem: problem('b', measures('s1', 'k1', 0.5)) });
    for (let i = 0; i < 5; i++) {
      tellNext(core, {
        uid: `ok${i}`,
        parents: [archiveParent('a', good)],
        problem: problem(`ok ${i}`, measures('s2', SKILLS[i]!, 0.4)),
      });
      tellNext(core, { uid: `no${i}`, parents: [archiveParent('b', bad)], problem: null });
    }
    const picks = asks(core, core.told, 400).map((t) => {
      const p = t!.parents[0]!;
      return p.source === 'archive' ? cellKey(p.cell) : 'fallback';
    });
    expect(picks.filter((c) => c === cellKey(good)).length).toBeGreaterThan(
      3 * picks.filter((c) => c === cellKey(bad)).length,
    );
  });
});

describe('QD core placement', () => {
  it('a verified problem gets quality 1 - solve-rate and competes for its cell', () => {
    const core = new QDCore(config('uniform'));
    const placed = tellNext(core, {
      uid: 'p',
      parents: [],
      problem: problem('p', measures('s0', 'k1', 0.25)),
    });
    expect(placed).toEqual({ cell: cell('s0', 'k1'), quality: 0.75, status: 'NEW' });
    expect(core.archive.get(cell('s0', 'k1'))).toMatchObject([{ uid: 'p', quality: 0.75, solveRate: 0.25 }]);
    expect(core.archive.get(cell('s0', 'k1'))[0]!.fingerprint).toHaveLength(32);
    const second = tellNext(core, { uid: 'q', parents: [], problem: problem('q', measures('s0', 'k1', 1)) });
    expect(second).toEqual({ cell: cell('s0', 'k1'), quality: 0, status: 'IMPROVED' });
  });

  it('an unverified problem is not placed, though its cell is reported', () => {
    const core = new QDCore(config('uniform'));
    const placed = tellNext(core, {
      uid: 'p',
      parents: [],
      problem: problem('p', measures('s0', 'k1', 0, false)),
    });
    expect(placed).toEqual({ cell: cell('s0', 'k1'), quality: null, status: null });
    expect(core.stats().elites).toBe(0);
    expect(core.told).toBe(1);
  });

  it('a problem without a subject is not placed', () => {
    const core = new QDCore(config('uniform'));
    const placed = tellNext(core, {
      uid: 'p',
      parents: [],
      problem: problem('p', measures(null, 'k1', 0.5)),
    });
    expect(placed).toEqual({ cell: null, quality: 0.5, status: null });
    expect(core.stats().elites).toBe(0);
  });

  it('no problem (a rejected mutation) places nothing and still counts as told', () => {
    const core = new QDCore(config('uniform'));
    expect(tellNext(core, { uid: 'p', parents: [], problem: null })).toEqual({
      cell: null,
      quality: null,
      status: null,
    });
    expect(core.told).toBe(1);
  });

  it("a skill outside the taxonomy lands in the subject's other cell", () => {
    const core = new QDCore(config('uniform'));
    const placed = tellNext(core, {
      uid: 'p',
      parents: [],
      problem: problem('p', measures('s3', 'knot theory', 0.5)),
    });
    expect(placed).toEqual({ cell: cell('s3', OTHER), quality: 0.5, status: 'NEW' });
    expect(core.archive.occupiedCells()).toEqual([cell('s3', OTHER)]);
    expect(
      tellNext(core, { uid: 'q', parents: [], problem: problem('q', measures('s3', null, 0.5)) }).cell,
    ).toEqual(cell('s3', OTHER));
    // An off-list label is no skill of the taxonomy: it counts apart, not towards coverage.
    expect(core.distinctSkills()).toBe(0);
    expect(core.stats()).toMatchObject({ occupied: 0, coverage: 0, otherOccupied: 1 });
    tellNext(core, { uid: 'r', parents: [], problem: problem('r', measures('s3', 'k0', 0.5)) });
    expect(core.distinctSkills()).toBe(1);
    expect(core.stats()).toMatchObject({ occupied: 1, otherOccupied: 1, otherCells: SUBJECTS.length });
    expect(core.stats().coverage).toBeCloseTo(1 / (SUBJECTS.length * SKILLS.length));
  });

  it('with difficulty bands, the band is part of the cell', () => {
    const banded = { ...config('uniform'), space: { ...space, bands: [0.25, 0.75] } };
    const core = new QDCore(banded);
    expect(totalCells(banded.space)).toBe(90);
    expect(core.stats().cells).toBe(totalCells(banded.space) - otherCells(banded.space));
    expect(core.stats().otherCells).toBe(SUBJECTS.length * 3);
    const a = tellNext(core, { uid: 'a', parents: [], problem: problem('a', measures('s0', 'k0', 0.1)) });
    const b = tellNext(core, { uid: 'b', parents: [], problem: problem('b', measures('s0', 'k0', 0.5)) });
    expect(a).toEqual({ cell: { subject: 's0', skill: 'k0', band: 0 }, quality: 0.9, status: 'NEW' });
    expect(b).toEqual({ cell: { subject: 's0', skill: 'k0', band: 1 }, quality: 0.5, status: 'NEW' });
    expect(core.distinctSkills()).toBe(1);
  });
});

describe('QD core state', () => {
  it('round-trips state() through JSON and parseCoreState', () => {
    const core = new QDCore(config('curiosity'));
    grow(core, 50);
    const state = core.state();
    expect(state.version).toBe(2);
    expect(state.told).toBe(60);
    expect(state.curiosity.length).toBeGreaterThan(0);
    const parsed = parseCoreState(JSON.parse(JSON.stringify(state)));
    expect(parsed).toEqual(state);
    const restored = new QDCore(config('curiosity'), parsed);
    expect(restored.state()).toEqual(state);
    expect(restored.stats()).toEqual(core.stats());
    expect(asks(restored, 60, 20)).toEqual(asks(core, 60, 20));
    // The state is a copy: telling the original does not change it.
    tellNext(core, { uid: 'late', parents: [], problem: problem('late', measures('s4', 'k4', 0)) });
    expect(restored.state()).toEqual(state);
  });

  it('rejects a sparq 0.1 state (no version) with a message naming 0.1', () => {
    const old = {
      generation: 4,
      archive: {
        capacity: 3,
        totalCells: 30,
        cells: [
          {
            cell: 'Algebra / factoring',
            elites: [{ uid: 'p', quality: 0.5, solveRate: 0.5, fingerprint: [1] }],
          },
        ],
      },
      curiosity: [{ cell: 'Algebra / factoring', score: 1 }],
    };
    expect(() => parseCoreState(old)).toThrow(/0\.1/);
    expect(() => parseCoreState(JSON.parse(JSON.stringify(old)))).toThrow(/sparq 0\.1/);
  });

  it('rejects other invalid states with what is wrong', () => {
    const state = new QDCore(config('uniform')).state();
    expect(() => parseCoreState({ ...state, version: 3 })).toThrow(/not valid/);
    expect(() => parseCoreState({ ...state, told: -1 })).toThrow(/not valid/);
    expect(() =>
      parseCoreState({
        ...state,
        archive: { ...state.archive, cells: [{ cell: 'Algebra / factoring', elites: [] }] },
      }),
    ).toThrow(/not valid/);
    expect(() => parseCoreState(null)).toThrow(/0\.1|not valid/);
  });
});
