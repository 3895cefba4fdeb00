import { describe, expect, it } from 'vitest';
import { Archive } from '../../src/core/archive.js';
import { cellOf, totalCells } from '../../src/core/cells.js';
import { QDCore } from '../../src/core/qd-core.js';
import { minhash } from '../../src/text/minhash.js';
import { Rng } from '../../src/util/hash.js';

const fp = (text: string) => [...minhash(text, 32)];
const candidate = (uid: string, cell: string, quality: number, text = uid) => ({
  uid,
  cell,
  quality,
  solveRate: 1 - quality,
  fingerprint: fp(text),
});

describe('archive', () => {
  it('reports NEW for an empty cell, IMPROVED for entering an occupied one, NOT_ADDED otherwise', () => {
    const a = new Archive(2, 10);
    expect(a.add(candidate('p1', 'A', 0.5)).status).toBe('NEW');
    expect(a.add(candidate('p2', 'A', 0.25)).status).toBe('IMPROVED');
    expect(a.add(candidate('p3', 'A', 0.125))).toEqual({ status: 'NOT_ADDED', replaced: null });
    expect(a.add(candidate('p4', 'A', 0.75))).toEqual({ status: 'IMPROVED', replaced: 'p2' });
    expect(a.add(candidate('p4', 'A', 0.75)).status).toBe('NOT_ADDED');
    expect(a.add(candidate('p5', 'B', 0.1)).status).toBe('NEW');
    expect(
      a
        .get('A')
        .map((e) => e.uid)
        .sort(),
    ).toEqual(['p1', 'p4']);
  });

  it('breaks quality ties by novelty', () => {
    const a = new Archive(2, 4);
    a.add(candidate('x', 'A', 0.5, 'find the remainder when seven to the power twenty is divided by eleven'));
    a.add(
      candidate('copy', 'A', 0.5, 'find the remainder when seven to the power twenty is divided by thirteen'),
    );
    // Same quality, but unlike both: it replaces the near-copy.
    const r = a.add(
      candidate('fresh', 'A', 0.5, 'how many ways can a committee of four be chosen from nine people'),
    );
    expect(r.status).toBe('IMPROVED');
    expect(a.get('A').map((e) => e.uid)).toContain('fresh');
    expect(a.get('A')).toHaveLength(2);
    // A near-copy of the remaining remainder problem is less novel than what is there: not added.
    const survivor = a.get('A').find((e) => e.uid !== 'fresh')!.uid;
    const suffix = survivor === 'x' ? 'eleven' : 'thirteen';
    expect(
      a.add(
        candidate(
          'copy2',
          'A',
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
        const cell = `c${rng.int(0, 19)}`;
        const before = a.get(cell).length;
        const { status } = a.add(
          candidate(`p${i}`, cell, quality, `problem ${rng.int(0, 50)} ${rng.int(0, 50)} words`),
        );
        expect(a.get(cell).length).toBeLessThanOrEqual(capacity);
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

  it('rejects invalid qualities', () => {
    expect(() => new Archive(2, 4).add(candidate('p', 'A', 1.5))).toThrow(/quality must be in \[0, 1\]/);
  });

  it('survives a state round trip', () => {
    const a = new Archive(3, 10);
    for (let i = 0; i < 30; i++) a.add(candidate(`p${i}`, `c${i % 4}`, (i % 5) / 5, `text ${i}`));
    const b = Archive.fromState(JSON.parse(JSON.stringify(a.toState())));
    expect(b.stats()).toEqual(a.stats());
    expect([...b.elites()]).toEqual([...a.elites()]);
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
  it('count includes an "other" cell per subject, times the bands', () => {
    expect(totalCells(space)).toBe(5);
    expect(totalCells({ ...space, bands: [0.25, 0.5, 0.75] })).toBe(20);
  });
  it('keys name the subject, skill and band', () => {
    expect(cellOf(space, 'Algebra', 'factoring', 0.3)).toBe('Algebra / factoring');
    expect(cellOf({ ...space, bands: [0.25, 0.5] }, 'Algebra', 'factoring', 0.3)).toBe(
      'Algebra / factoring / band 1',
    );
  });
});

describe('QD core (ask/tell)', () => {
  const config = (strategy: 'uniform' | 'curiosity' | 'frontier', seed = 1) => ({
    seed,
    capacity: 3,
    totalCells: 30,
    strategy,
    frontier: [0.2, 0.8] as const,
    operators: { vary: 0.4, harder: 0.4, combine: 0.2 },
  });

  function grow(core: QDCore, generations: number): void {
    const rng = new Rng(99);
    core.tell(
      Array.from({ length: 10 }, (_, i) => ({
        uid: `seed${i}`,
        parentCells: [],
        cell: `c${i % 5}`,
        quality: 0.5,
        solveRate: 0.5,
        fingerprint: fp(`seed ${i}`),
      })),
    );
    for (let g = 1; g <= generations; g++) {
      const tasks = core.ask(g, 16);
      core.tell(
        tasks.map((t) => {
          const q = rng.int(0, 8) / 8;
          return {
            uid: `g${g}t${t.taskIndex}`,
            parentCells: t.parents.map((p) => p.cell),
            cell: q > 0 ? `c${rng.int(0, 29)}` : null,
            quality: q > 0 ? q : null,
            solveRate: 1 - q,
            fingerprint: fp(`g ${g} ${t.taskIndex}`),
          };
        }),
      );
    }
  }

  for (const strategy of ['uniform', 'curiosity', 'frontier'] as const) {
    it(`${strategy}: the same seed gives the same choices, also after a state round trip`, () => {
      const a = new QDCore(config(strategy));
      const b = new QDCore(config(strategy));
      grow(a, 5);
      grow(b, 5);
      expect(a.ask(6, 32)).toEqual(b.ask(6, 32));
      const restored = new QDCore(config(strategy), JSON.parse(JSON.stringify(a.state())));
      expect(restored.ask(6, 32)).toEqual(a.ask(6, 32));
      const other = new QDCore(config(strategy, 2));
      grow(other, 5);
      expect(other.ask(6, 32)).not.toEqual(a.ask(6, 32));
    });
  }

  it('combine takes parents from two different cells; all parents are elites', () => {
    const core = new QDCore(config('uniform'));
    grow(core, 3);
    const elites = new Set([...core.archive.elites()].map((e) => e.uid));
    for (const t of core.ask(4, 200)) {
      for (const p of t.parents) expect(elites.has(p.uid)).toBe(true);
      if (t.operator === 'combine') {
        expect(t.parents).toHaveLength(2);
        expect(t.parents[0]!.cell).not.toBe(t.parents[1]!.cell);
      } else expect(t.parents).toHaveLength(1);
    }
  });

  it('uses the fallback parents while the archive is empty, and none without them', () => {
    const core = new QDCore(config('uniform'));
    expect(core.ask(1, 4)).toEqual([]);
    const tasks = core.ask(1, 4, [{ uid: 'seed:1', cell: 'x' }]);
    expect(tasks).toHaveLength(4);
    expect(tasks.every((t) => t.operator !== 'combine' && t.parents[0]!.uid === 'seed:1')).toBe(true);
  });

  it('frontier prefers parents inside the solve-rate band', () => {
    const core = new QDCore(config('frontier'));
    core.tell([
      { uid: 'in', parentCells: [], cell: 'a', quality: 0.5, solveRate: 0.5, fingerprint: fp('a') },
      { uid: 'out', parentCells: [], cell: 'b', quality: 0.05, solveRate: 0.95, fingerprint: fp('b') },
    ]);
    const parents = core
      .ask(1, 50)
      .filter((t) => t.operator !== 'combine')
      .map((t) => t.parents[0]!.uid);
    expect(new Set(parents)).toEqual(new Set(['in']));
  });

  it('curiosity favours cells whose children get accepted', () => {
    const core = new QDCore({ ...config('curiosity'), operators: { vary: 1, harder: 0, combine: 0 } });
    core.tell([
      { uid: 'a', parentCells: [], cell: 'good', quality: 0.5, solveRate: 0.5, fingerprint: fp('a') },
      { uid: 'b', parentCells: [], cell: 'bad', quality: 0.5, solveRate: 0.5, fingerprint: fp('b') },
    ]);
    for (let i = 0; i < 5; i++) {
      core.tell([
        {
          uid: `ok${i}`,
          parentCells: ['good'],
          cell: `new${i}`,
          quality: 0.6,
          solveRate: 0.4,
          fingerprint: fp(`ok ${i}`),
        },
        {
          uid: `no${i}`,
          parentCells: ['bad'],
          cell: null,
          quality: null,
          solveRate: 0,
          fingerprint: fp(`no ${i}`),
        },
      ]);
    }
    const picks = core.ask(1, 400).map((t) => t.parents[0]!.cell);
    expect(picks.filter((c) => c === 'good').length).toBeGreaterThan(
      3 * picks.filter((c) => c === 'bad').length,
    );
  });
});
