import { describe, expect, it } from 'vitest';
import { Archive } from '../../src/core/archive.js';
import { type Cell, cellKey, cellOf, distinctSkills, OTHER, totalCells } from '../../src/core/cells.js';
import { selectParent } from '../../src/core/selection.js';
import { minhash } from '../../src/text/minhash.js';
import { Rng } from '../../src/util/hash.js';

const fp = (text: string) => [...minhash(text, 32)];
const cell = (subject: string, skill = 'k', band: number | null = null): Cell => ({ subject, skill, band });
const candidate = (uid: string, where: Cell, quality: number, text = uid) => ({
  uid,
  cell: where,
  quality,
  solveRate: 1 - quality,
  fingerprint: fp(text),
});

const A = cell('A');
const B = cell('B');

describe('archive', () => {
  it('reports NEW for an empty cell, IMPROVED for entering an occupied one, NOT_ADDED otherwise', () => {
    const a = new Archive(2, 10);
    expect(a.add(candidate('p1', A, 0.5)).status).toBe('NEW');
    expect(a.add(candidate('p2', A, 0.25)).status).toBe('IMPROVED');
    expect(a.add(candidate('p3', A, 0.125))).toEqual({ status: 'NOT_ADDED', replaced: null });
    expect(a.add(candidate('p4', A, 0.75))).toEqual({ status: 'IMPROVED', replaced: 'p2' });
    expect(a.add(candidate('p4', A, 0.75)).status).toBe('NOT_ADDED');
    expect(a.add(candidate('p5', B, 0.1)).status).toBe('NEW');
    expect(
      a
        .get(A)
        .map((e) => e.uid)
        .sort(),
    ).toEqual(['p1', 'p4']);
  });

  it('leaves "other" cells out of coverage and counts them apart', () => {
    // 2 subjects x (3 skills + other): 8 cells, 2 of them "other".
    const a = new Archive(2, 8, 2);
    a.add(candidate('p1', cell('Algebra', 'factoring'), 0.5));
    a.add(candidate('p2', cell('Algebra', OTHER), 0.5));
    a.add(candidate('p3', cell('Geometry', OTHER), 0.5));
    expect(a.stats()).toMatchObject({
      cells: 6,
      occupied: 1,
      coverage: 1 / 6,
      otherOccupied: 2,
      otherCells: 2,
    });
    // The normalized QD-score still counts every cell that can hold an elite.
    expect(a.stats().normalizedQdScore).toBeCloseTo(1.5 / 16);
    expect(Archive.fromState(a.toState()).stats()).toEqual(a.stats());
    const { otherCells: _, ...older } = a.toState();
    expect(Archive.fromState(older, 2).stats()).toEqual(a.stats());
    // A subject without listed skills has only its "other" cell: nothing to cover.
    const bare = new Archive(1, 1, 1);
    bare.add(candidate('p4', cell('Algebra', OTHER), 0.5));
    expect(bare.stats()).toMatchObject({ cells: 0, coverage: 0, otherOccupied: 1 });
  });

  it('identifies a cell by value: an equal Cell object finds the same elites', () => {
    const a = new Archive(2, 10);
    a.add(candidate('p1', cell('Algebra', 'factoring'), 0.5));
    expect(a.get({ subject: 'Algebra', skill: 'factoring', band: null }).map((e) => e.uid)).toEqual(['p1']);
    expect(a.add(candidate('p2', cell('Algebra', 'factoring'), 0.5)).status).toBe('IMPROVED');
    // Same subject and skill in another band, or another skill: a different cell.
    expect(a.get(cell('Algebra', 'factoring', 0))).toEqual([]);
    expect(a.add(candidate('p3', cell('Algebra', 'factoring', 0), 0.5)).status).toBe('NEW');
    expect(a.add(candidate('p4', cell('Algebra', 'other'), 0.5)).status).toBe('NEW');
    expect(a.occupiedCells()).toEqual([
      cell('Algebra', 'factoring'),
      cell('Algebra', 'factoring', 0),
      cell('Algebra', 'other'),
    ]);
  });

  it('keeps its own copy of a cell: mutating the caller object changes nothing', () => {
    const a = new Archive(2, 10);
    const mine = cell('A', 'k');
    a.add(candidate('p1', mine, 0.5));
    mine.subject = 'Z';
    expect(a.occupiedCells()).toEqual([cell('A', 'k')]);
    expect(a.get(cell('A', 'k'))).toHaveLength(1);
  });

  it('lists occupied cells and slots in insertion order', () => {
    const a = new Archive(3, 10);
    for (const [uid, c] of [
      ['p1', cell('C')],
      ['p2', cell('A')],
      ['p3', cell('C')],
      ['p4', cell('B')],
    ] as const)
      a.add(candidate(uid, c, 0.5));
    expect(a.occupiedCells().map(cellKey)).toEqual(['C / k', 'A / k', 'B / k']);
    expect(a.slots().map((s) => [cellKey(s.cell), s.elites.map((e) => e.uid)])).toEqual([
      ['C / k', ['p1', 'p3']],
      ['A / k', ['p2']],
      ['B / k', ['p4']],
    ]);
    expect([...a.elites()].map((e) => [e.uid, e.cell])).toEqual([
      ['p1', cell('C')],
      ['p3', cell('C')],
      ['p2', cell('A')],
      ['p4', cell('B')],
    ]);
  });

  it('breaks quality ties by novelty', () => {
    const a = new Archive(2, 4);
    a.add(candidate('x', A, 0.5, 'find the remainder when seven to the power twenty is divided by eleven'));
    a.add(
      candidate('copy', A, 0.5, 'find the remainder when seven to the power twenty is divided by thirteen'),
    );
    // Same quality, but unlike both: it replaces the near-copy.
    const r = a.add(
      candidate('fresh', A, 0.5, 'how many ways can a committee of four be chosen from nine people'),
    );
    expect(r.status).toBe('IMPROVED');
    expect(a.get(A).map((e) => e.uid)).toContain('fresh');
    expect(a.get(A)).toHaveLength(2);
    // A near-copy of the remaining remainder problem is less novel than what is there: not added.
    const survivor = a.get(A).find((e) => e.uid !== 'fresh')!.uid;
    const suffix = survivor === 'x' ? 'eleven' : 'thirteen';
    expect(
      a.add(
        candidate(
          'copy2',
          A,
          0.5,
          `find the remainder when seven to the power twenty is divided by ${suffix}`,
        ),
      ).status,
    ).toBe('NOT_ADDED');
  });

  it('never exceeds the capacity and never lowers the QD-score, over random insertions', () => {
    const rng = new Rng(5);
    for (const capacity of [1, 3, 8]) {
      const a = new Archive(capacity, 20);
      let qd = 0;
      for (let i = 0; i < 3000; i++) {
        const quality = rng.int(0, 8) / 8;
        // 20 cells: 5 subjects x 2 skills x 2 bands.
        const c = cell(`s${rng.int(0, 4)}`, `k${rng.int(0, 1)}`, rng.int(0, 1));
        const before = a.get(c).length;
        const { status } = a.add(
          candidate(`p${i}`, c, quality, `problem ${rng.int(0, 50)} ${rng.int(0, 50)} words`),
        );
        expect(a.get(c).length).toBeLessThanOrEqual(capacity);
        if (before === 0) expect(status).toBe('NEW');
        else expect(status).not.toBe('NEW');
        const stats = a.stats();
        expect(stats.qdScore).toBeGreaterThanOrEqual(qd - 1e-12);
        qd = stats.qdScore;
      }
      const stats = a.stats();
      expect(stats.occupied).toBe(20);
      expect(stats.coverage).toBe(1);
      expect(stats.normalizedQdScore).toBeCloseTo(stats.qdScore / (20 * capacity));
      expect(stats.maxQuality).toBe(1);
    }
  });

  it('rejects invalid qualities and sizes', () => {
    expect(() => new Archive(2, 4).add(candidate('p', A, 1.5))).toThrow(/quality must be in \[0, 1\]/);
    expect(() => new Archive(2, 4).add(candidate('p', A, Number.NaN))).toThrow(/quality must be in \[0, 1\]/);
    expect(() => new Archive(0, 4)).toThrow(RangeError);
    expect(() => new Archive(2, 0)).toThrow(RangeError);
  });

  it('survives a state round trip', () => {
    const a = new Archive(3, 10);
    for (let i = 0; i < 30; i++)
      a.add(candidate(`p${i}`, cell(`c${i % 4}`, 'k', i % 2), (i % 5) / 5, `text ${i}`));
    const state = JSON.parse(JSON.stringify(a.toState()));
    expect(state.cells[0].cell).toEqual(cell('c0', 'k', 0));
    const b = Archive.fromState(state);
    expect(b.stats()).toEqual(a.stats());
    expect([...b.elites()]).toEqual([...a.elites()]);
    expect(b.occupiedCells()).toEqual(a.occupiedCells());
    expect(b.toState()).toEqual(a.toState());
    // The restored archive keeps competing the same way.
    expect(b.add(candidate('late', cell('c1', 'k', 1), 1)).status).toBe(
      a.add(candidate('late', cell('c1', 'k', 1), 1)).status,
    );
    expect(b.toState()).toEqual(a.toState());
  });
});

describe('cells', () => {
  const space = {
    skills: new Map([
      ['Algebra', ['linear equations', 'factoring']],
      ['Geometry', ['area']],
    ]),
    bands: null,
  };
  const m = (subject: string | null, skill: string | null, solveRate = 0.3, verified = true) => ({
    subject,
    skill,
    solveRate,
    verified,
  });

  it('count includes an "other" cell per subject, times the bands', () => {
    expect(totalCells(space)).toBe(5);
    expect(totalCells({ ...space, bands: [0.25, 0.5, 0.75] })).toBe(20);
  });

  it('keys name the subject, skill and band', () => {
    expect(cellKey(cellOf(space, m('Algebra', 'factoring'))!)).toBe('Algebra / factoring');
    expect(cellKey(cellOf({ ...space, bands: [0.25, 0.5] }, m('Algebra', 'factoring'))!)).toBe(
      'Algebra / factoring / band 1',
    );
  });

  it('places a problem by its measures', () => {
    expect(cellOf(space, m('Algebra', 'factoring'))).toEqual(cell('Algebra', 'factoring'));
    const banded = { ...space, bands: [0.25, 0.5] };
    expect(cellOf(banded, m('Algebra', 'factoring', 0))).toEqual(cell('Algebra', 'factoring', 0));
    expect(cellOf(banded, m('Algebra', 'factoring', 0.25))).toEqual(cell('Algebra', 'factoring', 1));
    expect(cellOf(banded, m('Algebra', 'factoring', 0.9))).toEqual(cell('Algebra', 'factoring', 2));
  });

  it('a skill outside the taxonomy, or none, goes to the subject\'s "other" cell; no subject, no cell', () => {
    expect(cellOf(space, m('Algebra', 'knot theory'))).toEqual(cell('Algebra', OTHER));
    expect(cellOf(space, m('Algebra', null))).toEqual(cell('Algebra', OTHER));
    // A skill of another subject is not a skill of this one.
    expect(cellOf(space, m('Geometry', 'factoring'))).toEqual(cell('Geometry', OTHER));
    expect(cellOf(space, m(null, 'factoring'))).toBeNull();
  });

  it('counts distinct skills of the taxonomy, ignoring the band and "other"', () => {
    expect(distinctSkills([])).toBe(0);
    expect(
      distinctSkills([
        cell('Algebra', 'factoring', 0),
        cell('Algebra', 'factoring', 2),
        cell('Algebra', OTHER, 0),
      ]),
    ).toBe(1);
    expect(distinctSkills([cell('Algebra', 'area'), cell('Geometry', 'area')])).toBe(2);
  });
});

describe('parent selection', () => {
  const archive = new Archive(3, 10);
  archive.add(candidate('in1', cell('A'), 0.5));
  archive.add(candidate('in2', cell('A'), 0.4));
  archive.add(candidate('out', cell('B'), 0.05));
  const ctx = (seed: number) => ({
    archive,
    rng: new Rng(seed),
    curiosity: new Map<string, number>(),
    frontier: [0.2, 0.8] as const,
  });

  it('returns an archive parent with its cell, and null on an empty archive', () => {
    for (const strategy of ['uniform', 'curiosity', 'frontier'] as const) {
      expect(selectParent(strategy, { ...ctx(1), archive: new Archive(1, 1) })).toBeNull();
      for (let seed = 0; seed < 30; seed++) {
        const p = selectParent(strategy, ctx(seed))!;
        expect(p.source).toBe('archive');
        if (p.source !== 'archive') continue;
        expect(archive.get(p.cell).map((e) => e.uid)).toContain(p.uid);
      }
    }
  });

  it('excludes the given cell, and is null when it was the only one', () => {
    for (let seed = 0; seed < 30; seed++) {
      const p = selectParent('uniform', ctx(seed), cell('A'))!;
      expect(p).toEqual({ uid: 'out', source: 'archive', cell: cell('B') });
    }
    const one = new Archive(1, 1);
    one.add(candidate('only', cell('A'), 0.5));
    expect(selectParent('uniform', { ...ctx(1), archive: one }, cell('A'))).toBeNull();
  });

  it('the same seed gives the same parent', () => {
    for (const strategy of ['uniform', 'curiosity', 'frontier'] as const)
      for (let seed = 0; seed < 10; seed++)
        expect(selectParent(strategy, ctx(seed))).toEqual(selectParent(strategy, ctx(seed)));
  });

  it('frontier takes only elites inside the solve-rate band while there are some', () => {
    const uids = new Set(Array.from({ length: 50 }, (_, seed) => selectParent('frontier', ctx(seed))!.uid));
    expect(uids).toEqual(new Set(['in1', 'in2']));
  });

  it('curiosity weights cells by their score', () => {
    const curiosity = new Map([[cellKey(cell('B')), 9]]);
    let b = 0;
    for (let seed = 0; seed < 400; seed++) {
      const p = selectParent('curiosity', { ...ctx(seed), curiosity })!;
      if (p.source === 'archive' && p.cell.subject === 'B') b++;
    }
    // Weights 10 (B) against 1 (A): expected 364 of 400.
    expect(b).toBeGreaterThan(300);
  });
});
