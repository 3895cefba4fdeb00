import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../src/backends/types.js';
import { formatTaxonomy, loadTaxonomy } from '../../src/domain/taxonomy.js';
import { loadTemplate, renderTemplate } from '../../src/prompts/templates.js';
import { loadSeeds } from '../../src/seeds/load.js';
import { simulateCompletion } from '../../src/sim/model.js';
import { integerToWords, MAX_WORDED, wordsToInteger } from '../../src/sim/number-words.js';
import { parseProblem, problemValue, solveProbability } from '../../src/sim/problem.js';

const templates = Object.fromEntries(
  ['vary', 'harder', 'combine', 'solve', 'label'].map((id) => [id, loadTemplate(id)]),
);
const taxonomy = loadTaxonomy('bundled:v1');

function mutate(
  op: 'vary' | 'harder',
  problem: string,
  seed: number,
  subject = 'Algebra',
): { problem: string; solution: string } {
  const res = simulateCompletion({
    messages: renderTemplate(templates[op]!, { subject, skill: 'x', problem }),
    n: 1,
    temperature: 1,
    seed,
  });
  const m = /^Problem:\n([\s\S]*?)\n\nSolution:\n([\s\S]*)$/.exec(res.choices[0]!.text)!;
  return { problem: m[1]!, solution: m[2]! };
}

function solveRequest(problem: string, n: number, seed: number, temperature = 0.7): ChatRequest {
  return { messages: renderTemplate(templates.solve!, { problem }), n, temperature, seed };
}

const boxed = (text: string) => /\\boxed\{(.*)\}/.exec(text)?.[1] ?? null;
const seeds = loadSeeds('bundled:math_train').seeds;

describe('the simulated model', () => {
  it('is deterministic: the same request gets the same reply, other seeds other replies', () => {
    const req = solveRequest('Find the greatest common divisor of $84$ and $126$.', 8, 1);
    expect(simulateCompletion(req)).toEqual(simulateCompletion(structuredClone(req)));
    const texts = (seed: number) =>
      simulateCompletion(solveRequest(seeds[5]!.problem, 16, seed)).choices.map((c) => c.text);
    expect(texts(1)).not.toEqual(texts(2));
  });

  it('greedy decoding (temperature 0) gives one answer whatever the seed', () => {
    const a = simulateCompletion(solveRequest(seeds[9]!.problem, 4, 1, 0)).choices.map((c) => c.text);
    const b = simulateCompletion(solveRequest(seeds[9]!.problem, 4, 99, 0)).choices.map((c) => c.text);
    expect(new Set([...a, ...b]).size).toBe(1);
  });

  it('writes checkable problems whose solutions box the exact answer', () => {
    let written = 0;
    for (let i = 0; i < 60; i++) {
      const { problem, solution } = mutate('vary', seeds[i]!.problem, i, seeds[i]!.subject!);
      const parsed = parseProblem(problem);
      // The rare format slips (a second question, a forgotten box) are the only exceptions.
      if (parsed && (boxed(solution) ?? '') !== '') written++;
    }
    expect(written).toBeGreaterThanOrEqual(56);
  });

  it('answers attempts correctly with its latent probability', () => {
    for (const base of [
      'Find the greatest common divisor of $84$ and $126$.',
      mutate('harder', mutate('harder', seeds[3]!.problem, 1).problem, 2).problem,
    ]) {
      const parsed = parseProblem(base)!;
      const p = solveProbability(parsed);
      const truth = problemValue(parsed).toLatex();
      let correct = 0;
      const n = 1600;
      for (let s = 0; s < n / 16; s++) {
        correct += simulateCompletion(solveRequest(base, 16, s)).choices.filter(
          (c) => boxed(c.text) === truth,
        ).length;
      }
      const sd = Math.sqrt((p * (1 - p)) / n);
      expect(Math.abs(correct / n - p)).toBeLessThan(4 * sd + 0.005);
    }
  });

  it('wrong answers are plausible: close to the truth and clustered', () => {
    const base = mutate(
      'harder',
      mutate('harder', 'Find the greatest common divisor of $84$ and $126$.', 3).problem,
      4,
    ).problem;
    const truth = problemValue(parseProblem(base)!).toLatex();
    const wrong = simulateCompletion(solveRequest(base, 64, 5))
      .choices.map((c) => boxed(c.text))
      .filter((a) => a !== truth);
    expect(wrong.length).toBeGreaterThan(0);
    expect(new Set(wrong).size).toBeLessThan(wrong.length);
  });

  it('harder raises the latent difficulty and combine compounds it', () => {
    let easier = 0;
    let combinedHarder = 0;
    for (let i = 0; i < 50; i++) {
      const parent = mutate('vary', seeds[i]!.problem, i, seeds[i]!.subject!).problem;
      const child = mutate('harder', parent, i).problem;
      const pp = parseProblem(parent);
      const cp = parseProblem(child);
      if (!pp || !cp) continue;
      if (solveProbability(cp) < solveProbability(pp)) easier++;
      const other = mutate('vary', seeds[i + 100]!.problem, i, seeds[i + 100]!.subject!).problem;
      const res = simulateCompletion({
        messages: renderTemplate(templates.combine!, {
          subject: 'A',
          skill: 'x',
          problem: parent,
          subject2: 'B',
          skill2: 'y',
          problem2: other,
        }),
        n: 1,
        temperature: 1,
        seed: i,
      });
      const combined = parseProblem(
        /^Problem:\n([\s\S]*?)\n\nSolution:/.exec(res.choices[0]!.text)?.[1] ?? '',
      );
      const op = parseProblem(other);
      if (combined && op && solveProbability(combined) < Math.min(solveProbability(pp), solveProbability(op)))
        combinedHarder++;
    }
    expect(easier).toBeGreaterThanOrEqual(45);
    expect(combinedHarder).toBeGreaterThanOrEqual(45);
  });

  it('writes wrong reference answers sometimes, more often on hard problems', () => {
    const wrongRate = (problems: string[]) => {
      let wrong = 0;
      let total = 0;
      problems.forEach((parent, i) => {
        for (let s = 0; s < 10; s++) {
          const { problem, solution } = mutate('vary', parent, i * 100 + s);
          const parsed = parseProblem(problem);
          if (!parsed) continue;
          total++;
          if (boxed(solution) !== problemValue(parsed).toLatex()) wrong++;
        }
      });
      return wrong / total;
    };
    const easy = Array.from(
      { length: 20 },
      (_, i) => `Find the greatest common divisor of $${6 + i}$ and $4$.`,
    ).filter((p) => parseProblem(p));
    let hard = easy.map((p, i) => mutate('harder', p, i).problem);
    for (let round = 0; round < 5; round++) hard = hard.map((p, i) => mutate('harder', p, i + round).problem);
    const easyRate = wrongRate(easy);
    const hardRate = wrongRate(hard.filter((p) => parseProblem(p)));
    expect(easyRate).toBeLessThan(0.08);
    expect(hardRate).toBeGreaterThan(easyRate + 0.05);
  });

  it('labels from the closed list, with the family skill for its own problems', () => {
    const skills = formatTaxonomy(taxonomy);
    const label = (problem: string, json: boolean, seed = 0) =>
      simulateCompletion({
        messages: renderTemplate(templates.label!, { problem, skills }),
        n: 1,
        temperature: 0.5,
        seed,
        responseFormat: json ? { type: 'json_schema', name: 'label', schema: {} } : undefined,
      }).choices[0]!.text;
    expect(JSON.parse(label('Find the greatest common divisor of $84$ and $126$.', true))).toEqual({
      subject: 'Number Theory',
      skill: 'GCD and LCM',
    });
    const listed = new Set([...taxonomy.skills.values()].flat());
    let offList = 0;
    for (let i = 0; i < 200; i++) {
      const text = label(seeds[i]!.problem, i % 2 === 0, i);
      const json = JSON.parse(/\{.*\}/s.exec(text)![0]) as { subject: string; skill: string };
      if (!listed.has(json.skill)) offList++;
      else expect(taxonomy.skills.get(json.subject as never)).toContain(json.skill);
    }
    expect(offList).toBeGreaterThan(0);
    expect(offList).toBeLessThan(15);
  });

  it('maps seed problems it did not write onto its own families, in their subject', () => {
    for (const seed of seeds.slice(0, 30)) {
      const { problem } = mutate('vary', seed.problem, 1, seed.subject!);
      const parsed = parseProblem(problem);
      if (parsed) expect(parsed.atoms[0]!.family.subject).toBe(seed.subject);
    }
  });

  it('solves memorised seed problems more often when their level is low', () => {
    const rate = (level: string) => {
      const pool = seeds.filter((s) => s.level === level).slice(0, 60);
      let correct = 0;
      let total = 0;
      for (const s of pool) {
        const choices = simulateCompletion(solveRequest(s.problem, 8, 1)).choices;
        correct += choices.filter((c) => boxed(c.text) === s.answer).length;
        total += choices.length;
      }
      return correct / total;
    };
    expect(rate('Level 1')).toBeGreaterThan(rate('Level 5') + 0.3);
  });
});

describe('numbers in words', () => {
  it('round-trip over the range the model writes, and read only number words', () => {
    for (let n = -MAX_WORDED; n <= MAX_WORDED; n++) expect(wordsToInteger(integerToWords(n))).toBe(n);
    expect(integerToWords(-42)).toBe('negative forty-two');
    expect(integerToWords(305)).toBe('three hundred five');
    expect(wordsToInteger('minus seven')).toBe(-7);
    expect(wordsToInteger('seven apples')).toBe(null);
    expect(wordsToInteger('')).toBe(null);
    expect(() => integerToWords(1000)).toThrow(RangeError);
  });
});
