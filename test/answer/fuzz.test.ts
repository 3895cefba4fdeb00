/**
 * Random LaTeX-like input (seeded, so failures reproduce) and known-hostile input must never
 * make the checker throw, hang or overrun its time limit.
 */
import { describe, expect, it } from 'vitest';
import { AnswerChecker, extractAnswer, groupAnswers } from '../../src/answer/index.js';
import { HOSTILE, mulberry32, randomLatex } from './fuzz-gen.js';

const TIMEOUT_MS = 300;
/** The deadline is cooperative: one step may run past it, but never far. */
const HARD_MS = 1500;

describe('fuzz', () => {
  const checker = new AnswerChecker({ timeoutMs: TIMEOUT_MS, cacheSize: 0 });
  checker.check('x^2', 'x \\cdot x'); // start the CAS engine outside the timed loop

  it('3,000 random pairs: no throw, a boolean verdict and a rule, within the time limit', () => {
    const rnd = mulberry32(20240601);
    let slowest = 0;
    for (let k = 0; k < 3000; k++) {
      const gold = randomLatex(rnd);
      const pred = randomLatex(rnd);
      const start = performance.now();
      const v = checker.check(gold, pred);
      const o = checker.checkOutput(gold, pred);
      const elapsed = performance.now() - start;
      slowest = Math.max(slowest, elapsed);
      expect(typeof v.equivalent).toBe('boolean');
      expect(v.rule).toMatch(/^[a-z:-]+/);
      expect(v.rule.startsWith('error')).toBe(false);
      expect(typeof o.equivalent).toBe('boolean');
      expect(elapsed, JSON.stringify([gold, pred])).toBeLessThan(HARD_MS);
    }
    console.log(`fuzz: slowest pair ${slowest.toFixed(1)} ms`);
  });

  it('hostile inputs (towers of powers, huge factorials, deep nesting) are bounded', () => {
    for (const h of HOSTILE) {
      for (const [gold, pred] of [
        [h, `${h} `],
        ['2', h],
        [h, 'x'],
      ] as const) {
        const start = performance.now();
        const v = checker.check(gold, pred);
        expect(typeof v.equivalent).toBe('boolean');
        expect(v.rule.startsWith('error'), `${v.rule} for ${gold.slice(0, 40)}`).toBe(false);
        expect(performance.now() - start, gold.slice(0, 60)).toBeLessThan(HARD_MS);
      }
      expect(() => extractAnswer(h)).not.toThrow();
    }
  });

  it('extraction and grouping never throw on random text', () => {
    const rnd = mulberry32(7);
    const answers: string[] = [];
    for (let k = 0; k < 500; k++) {
      const text = randomLatex(rnd, 60);
      const e = extractAnswer(text);
      if (e.found) {
        expect(e.answer.trim()).not.toBe('');
        answers.push(e.answer);
      }
    }
    const groups = groupAnswers(answers.slice(0, 40), checker);
    expect(groups.reduce((n, g) => n + g.count, 0)).toBe(Math.min(40, answers.length));
  });
});
