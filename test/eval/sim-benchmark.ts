/**
 * A benchmark with a known true accuracy: problems from the simulated model's own families, which
 * it answers correctly with a latent probability p per problem (src/sim/problem.ts). With greedy
 * decoding each item's correctness is one deterministic draw with probability p, so the expected
 * accuracy is the mean of p; with sampling, pass@k of an item is 1 - (1 - p)^k.
 */
import { writeFileSync } from 'node:fs';
import { FAMILIES } from '../../src/sim/families/index.js';
import {
  atomLevel,
  mainAtom,
  parseProblem,
  problemValue,
  renderProblem,
  type SimProblem,
  solveProbability,
} from '../../src/sim/problem.js';
import { Rng } from '../../src/util/hash.js';

export interface SimBenchmark {
  lines: string[];
  /** Latent solve probability of each item, in file order. */
  p: number[];
  trueAccuracy: number;
  truePassAtK(k: number): number;
}

export function simBenchmark(n: number, seed = 1): SimBenchmark {
  const rng = new Rng(seed);
  const lines: string[] = [];
  const p: number[] = [];
  const seen = new Set<string>();
  while (lines.length < n) {
    const parts = rng.next() < 0.3 ? 2 : 1;
    const atoms = Array.from({ length: parts }, () => {
      const family = rng.pick(FAMILIES);
      return { family, params: family.generate(rng, rng.int(1, 6)) };
    });
    const problem: SimProblem =
      parts === 1
        ? { atoms, coefs: [1], constant: 0 }
        : { atoms, coefs: atoms.map(() => rng.signedInt(1, 3)), constant: rng.int(-9, 9) };
    const text = renderProblem(problem);
    // Only problems the simulator reads back exactly: those it answers with probability p.
    if (seen.has(text) || !parseProblem(text)) continue;
    seen.add(text);
    const main = mainAtom(problem);
    lines.push(
      JSON.stringify({
        id: `sim/${lines.length}`,
        problem: text,
        answer: problemValue(problem).toLatex(),
        subject: main.family.subject,
        level: `Level ${atomLevel(main)}`,
        source: 'sim',
      }),
    );
    p.push(solveProbability(problem));
  }
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  return {
    lines,
    p,
    trueAccuracy: mean(p),
    truePassAtK: (k) => mean(p.map((q) => 1 - (1 - q) ** k)),
  };
}

export function writeSimBenchmark(file: string, n: number, seed = 1): SimBenchmark {
  const bench = simBenchmark(n, seed);
  writeFileSync(file, `${bench.lines.join('\n')}\n`);
  return bench;
}
