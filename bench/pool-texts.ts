/**
 * Problem texts for curation benchmarks: the sim's families as a real pool holds them, MATH test
 * problems to plant as contamination, and light rewording to plant near duplicates.
 */
import { readFileSync } from 'node:fs';
import { FAMILIES } from '../src/sim/families/index.js';
import type { SimProblem } from '../src/sim/problem.js';
import type { Rng } from '../src/util/hash.js';

/** MATH test problems of at least 30 words: long enough to be found by n-gram overlap. */
export const mathTest = readFileSync(new URL('../data/benchmarks/math_test.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((l) => (JSON.parse(l) as { problem: string }).problem)
  .filter((p) => p.split(/\s+/).length >= 30);

/** The text with one word changed: a near duplicate. */
export function reword(text: string, rng: Rng): string {
  const words = text.split(' ');
  const i = rng.int(0, words.length - 1);
  words[i] = words[i] === 'the' ? 'this' : 'the';
  return words.join(' ');
}

/** A sim problem of one to three family atoms. */
export function simProblem(rng: Rng): SimProblem {
  const parts = rng.int(1, 3);
  const atoms = Array.from({ length: parts }, () => {
    const family = FAMILIES[rng.int(0, FAMILIES.length - 1)]!;
    return { family, params: family.generate(rng, rng.int(1, 6)) };
  });
  const coefs = parts === 1 ? [1] : atoms.map(() => rng.int(1, 5) * (rng.next() < 0.3 ? -1 : 1));
  return { atoms, coefs, constant: parts === 1 ? 0 : rng.int(-9, 9) };
}
