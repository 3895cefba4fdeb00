import { describe, expect, it } from 'vitest';
import { MAX_LEVEL } from '../../src/sim/families/family.js';
import { FAMILIES } from '../../src/sim/families/index.js';
import {
  parseProblem,
  problemValue,
  renderProblem,
  renderSolution,
  solveProbability,
} from '../../src/sim/problem.js';
import { Rng } from '../../src/util/hash.js';

describe('simulated problem families', () => {
  it('cover all seven subjects', () => {
    expect(new Set(FAMILIES.map((f) => f.subject)).size).toBe(7);
  });

  for (const family of FAMILIES) {
    it(`${family.id}: render and parse are inverse, and the level is read back`, () => {
      const rng = new Rng(7);
      for (let level = 1; level <= MAX_LEVEL; level++) {
        for (let i = 0; i < 40; i++) {
          const params = family.generate(rng, level);
          const text = family.render(params);
          expect(family.parse(text), text).toEqual(params);
          expect(family.levelOf(params), text).toBe(level);
          expect(() => family.solve(params)).not.toThrow();
        }
      }
    });
  }

  // A pool of millions draws each family's instances by the hundred thousand: a family with a
  // handful of instances per level made the sim run dry (exact duplicates 15% -> 35% by 2M).
  it('have room at each level: hundreds of distinct instances per family, few repeats overall', () => {
    for (let level = 3; level <= MAX_LEVEL; level++) {
      const rng = new Rng(level);
      const all = new Set<string>();
      for (const family of FAMILIES) {
        const seen = new Set<string>();
        for (let i = 0; i < 1000; i++) seen.add(family.render(family.generate(rng, level)));
        expect(seen.size, `${family.id} at level ${level}`).toBeGreaterThanOrEqual(200);
        for (const text of seen) all.add(text);
      }
      if (level >= 4) expect(all.size / (1000 * FAMILIES.length)).toBeGreaterThanOrEqual(0.9);
    }
  });

  it('compound problems round-trip through text with the same value', () => {
    const rng = new Rng(11);
    for (let i = 0; i < 200; i++) {
      const count = rng.int(1, 4);
      const atoms = Array.from({ length: count }, () => {
        const family = rng.pick(FAMILIES);
        return { family, params: family.generate(rng, rng.int(1, MAX_LEVEL)) };
      });
      const problem = {
        atoms,
        coefs: atoms.map(() => (count === 1 ? 1 : rng.signedInt(1, 3))),
        constant: count === 1 ? 0 : rng.int(-5, 5),
      };
      const text = renderProblem(problem);
      const parsed = parseProblem(text);
      expect(parsed, text).not.toBeNull();
      expect(parsed!.atoms.map((a) => a.family.id)).toEqual(atoms.map((a) => a.family.id));
      expect(problemValue(parsed!).equals(problemValue(problem)), text).toBe(true);
      expect(renderSolution(problem)).toContain(`\\boxed{${problemValue(problem).toLatex()}}`);
    }
  });

  it('harder levels and more atoms lower the solve probability', () => {
    const rng = new Rng(3);
    for (const family of FAMILIES) {
      const easy = { atoms: [{ family, params: family.generate(rng, 1) }], coefs: [1], constant: 0 };
      const hard = { atoms: [{ family, params: family.generate(rng, 5) }], coefs: [1], constant: 0 };
      expect(solveProbability(hard)).toBeLessThan(solveProbability(easy));
      const both = { atoms: [...easy.atoms, ...hard.atoms], coefs: [1, 1], constant: 0 };
      expect(solveProbability(both)).toBeLessThan(solveProbability(hard));
    }
  });

  it('does not parse text it did not write', () => {
    expect(parseProblem('What is $1+1$?')).toBeNull();
    expect(parseProblem('Find the value of $x$ that satisfies $x = 3$ and also $y$.')).toBeNull();
  });
});
