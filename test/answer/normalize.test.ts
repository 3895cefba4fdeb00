import { describe, expect, it } from 'vitest';
import { AnswerChecker, normalizeAnswer } from '../../src/answer/index.js';
import { comparisonKey } from '../../src/answer/normalize.js';

const checker = new AnswerChecker();
const same = (a: string, b: string) => checker.check(a, b).equivalent;

describe('normalizeAnswer: one test per rule', () => {
  it('\\text{}, \\textbf{}, \\mathrm{} wrappers are unwrapped when they are the answer', () => {
    expect(normalizeAnswer('\\text{Evelyn}')).toBe('Evelyn');
    expect(normalizeAnswer('\\textbf{odd}')).toBe('odd');
    expect(normalizeAnswer('\\mathrm{e}^{2}')).toBe('e^{2}');
  });

  it('units after a value are dropped, in \\text{} or as plain unit words', () => {
    expect(normalizeAnswer('10\\text{ units}')).toBe('10');
    expect(normalizeAnswer('\\frac{1}{3} \\textbf{meters}')).toBe('\\frac{1}{3}');
    expect(normalizeAnswer('125 miles')).toBe('125');
    expect(normalizeAnswer('5\\text{ cm}^2')).toBe('5');
    expect(normalizeAnswer('36 square feet')).toBe('36');
    // A single letter can be a variable: 0.64N is not 0.64.
    expect(normalizeAnswer('0.64N')).toBe('0.64N');
  });

  it('degree signs ending a value are dropped; inside an expression they stay', () => {
    expect(normalizeAnswer('90^\\circ')).toBe('90');
    expect(normalizeAnswer('30^{\\circ}, 60^{\\circ}')).toBe('30 , 60');
    expect(normalizeAnswer('\\cos 13^\\circ')).toBe('\\cos 13^\\circ');
  });

  it('percent signs and words become one marker', () => {
    for (const s of ['28\\%', '28%', '28 percent', '28 pct', '28 percentage', '28\\text{ percent}']) {
      expect(normalizeAnswer(s)).toBe('28\\%');
    }
  });

  it('thousands separators are removed, tuples are kept', () => {
    expect(normalizeAnswer('7,425,000')).toBe('7425000');
    expect(normalizeAnswer('1,000.99')).toBe('1000.99');
    expect(normalizeAnswer('14{,}916')).toBe('14916');
    expect(normalizeAnswer('32,\\! 349')).toBe('32349');
    expect(normalizeAnswer('1\\,000')).toBe('1000');
    expect(normalizeAnswer('1 000')).toBe('1000');
    expect(normalizeAnswer('(1,234)')).toBe('(1,234)');
    expect(normalizeAnswer('1,2')).toBe('1,2');
    // A leading 0 cannot start a thousands group.
    expect(normalizeAnswer('0,111')).toBe('0,111');
  });

  it('leading zeros: 016 = 16', () => {
    expect(same('016', '16')).toBe(true);
    expect(same('004', '4')).toBe(true);
  });

  it('\\dfrac, \\tfrac, \\cfrac become \\frac; shorthand arguments get braces', () => {
    expect(normalizeAnswer('\\dfrac{1}{2}')).toBe('\\frac{1}{2}');
    expect(normalizeAnswer('\\tfrac12')).toBe('\\frac{1}{2}');
    expect(normalizeAnswer('\\cfrac{1}{3}')).toBe('\\frac{1}{3}');
    expect(normalizeAnswer('\\frac1{72}')).toBe('\\frac{1}{72}');
    expect(normalizeAnswer('\\frac\\pi2')).toBe('\\frac{\\pi}{2}');
    expect(normalizeAnswer('\\sqrt2')).toBe('\\sqrt{2}');
  });

  it('spaces, spacing commands and trailing punctuation', () => {
    expect(normalizeAnswer('  5 .')).toBe('5');
    expect(normalizeAnswer('x\\!+\\,1;')).toBe('x+ 1');
    expect(comparisonKey(normalizeAnswer('x ^{2} + 1'))).toBe(comparisonKey(normalizeAnswer('x^2+1')));
    // A factorial is not punctuation.
    expect(normalizeAnswer('5!')).toBe('5!');
  });

  it('x = prefixes are read as labels', () => {
    expect(same('x = 5', '5')).toBe(true);
    expect(same('5', 'k=5')).toBe(true);
    expect(same('f(x) = 1', '1')).toBe(true);
  });

  it('multiple-choice letters: \\text{(C)} = (C) = C', () => {
    expect(same('\\text{(C)}', 'C')).toBe(true);
    expect(same('\\textbf{(B)}', '(B)')).toBe(true);
    expect(same('(C)', 'D')).toBe(false);
  });

  it('text answers compare without case; single letters keep it', () => {
    expect(same('\\text{Evelyn}', 'evelyn')).toBe(true);
    expect(same('\\text{Even}', 'EVEN')).toBe(true);
    expect(same('a', 'A')).toBe(false);
  });

  it('math delimiters, \\boxed, \\left/\\right and markdown are stripped', () => {
    expect(normalizeAnswer('$\\boxed{\\left( 1, 2 \\right)}$')).toBe('( 1, 2 )');
    expect(normalizeAnswer('**73**')).toBe('73');
  });

  it('synonyms: \\le/\\leq/<=, \\ge/\\geq/>=, \\ne/!=, \\lt, \\gt', () => {
    expect(normalizeAnswer('x <= 2')).toBe(normalizeAnswer('x \\leq 2'));
    expect(normalizeAnswer('x >= 2')).toBe(normalizeAnswer('x \\geqslant 2'));
    expect(normalizeAnswer('x != 5')).toBe(normalizeAnswer('x \\ne 5'));
    expect(normalizeAnswer('x \\lt 3')).toBe('x < 3');
  });

  it('currency signs are dropped', () => {
    expect(normalizeAnswer('\\$10')).toBe('10');
    expect(same('\\$1,000', '1000')).toBe(true);
  });

  it('over-escaped commands and control characters from string escapes are repaired', () => {
    expect(normalizeAnswer('\\\\frac{1}{2}')).toBe('\\frac{1}{2}');
    expect(normalizeAnswer('\frac{1}{2}')).toBe('\\frac{1}{2}');
    // A matrix row separator followed by a variable is left alone.
    expect(normalizeAnswer('\\begin{pmatrix}1\\\\x\\end{pmatrix}')).toBe(
      '\\begin{pmatrix}1\\\\x\\end{pmatrix}',
    );
  });

  it('Unicode math symbols', () => {
    expect(normalizeAnswer('\u22125')).toBe('-5');
    expect(normalizeAnswer('2\u03c0')).toBe('2\\pi');
    expect(normalizeAnswer('x\u00b2')).toBe('x^2');
  });
});
