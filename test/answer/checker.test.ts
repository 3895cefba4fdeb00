import { describe, expect, it } from 'vitest';
import { AnswerChecker, answersEquivalent, groupAnswers } from '../../src/answer/index.js';

const checker = new AnswerChecker();
const verdict = (g: string, p: string) => checker.check(g, p);
const same = (g: string, p: string) => checker.check(g, p).equivalent;

describe('traps', () => {
  it('two different equations that both rearrange to "... = 0" are not equal', () => {
    expect(verdict('x + y = 0', 'x - y = 0')).toEqual({ equivalent: false, rule: 'equation' });
    expect(same('x^2 - 1 = 0', 'x - 1 = 0')).toBe(false);
    expect(same('a + 3z = 0', '0')).toBe(false);
  });

  it('[0,1) is not [0,1]', () => {
    expect(verdict('[0,1)', '[0,1]')).toEqual({ equivalent: false, rule: 'interval' });
  });

  it('(1,2) is not (2,1)', () => {
    expect(verdict('(1,2)', '(2,1)')).toEqual({ equivalent: false, rule: 'tuple' });
  });

  it('1 - 1/e is not 1 + 1/e', () => {
    expect(same('1 - \\frac{1}{\\mathrm{e}}', '1 + \\frac{1}{\\mathrm{e}}')).toBe(false);
    expect(same('1-\\frac{1}{e}', '1-e^{-1}')).toBe(true);
  });

  it('f(x) is not f(y)', () => {
    expect(same('f(x)', 'f(y)')).toBe(false);
  });
});

describe('numbers', () => {
  it('integers and rationals exactly', () => {
    expect(verdict('\\frac{1}{2}', '0.5')).toEqual({ equivalent: true, rule: 'numeric-rational' });
    expect(same('2/4', '\\frac{1}{2}')).toBe(true);
    expect(same('25', '24.99')).toBe(false);
    expect(same('2^{100}', '1267650600228229401496703205376')).toBe(true);
    expect(same('2^{100}', '1267650600228229401496703205377')).toBe(false);
  });

  it('decimals approximate non-terminating values by rounding or truncation (>= 3 significant digits)', () => {
    expect(verdict('\\frac{1}{3}', '0.333')).toEqual({ equivalent: true, rule: 'numeric-tolerance' });
    expect(same('\\frac{1}{3}', '0.33')).toBe(false);
    expect(same('\\pi', '3.14')).toBe(true);
    expect(same('\\pi', '3.15')).toBe(false);
    expect(same('\\sqrt{2}', '1.414')).toBe(true);
    // A value with a finite decimal expansion must be given exactly.
    expect(same('0.65', '0.6')).toBe(false);
    expect(same('1.625', '1.63')).toBe(false);
  });

  it('configured tolerances widen the comparison', () => {
    const loose = new AnswerChecker({ absTol: 0.001 });
    expect(loose.check('0.003, 5.233', '0.002, 5.234').equivalent).toBe(true);
    expect(same('0.003, 5.233', '0.002, 5.234')).toBe(false);
  });

  it('percent: 50\\% equals 50 and 0.5; 50 and 0.5 differ', () => {
    expect(verdict('50\\%', '50')).toEqual({ equivalent: true, rule: 'percent' });
    expect(same('50\\%', '0.5')).toBe(true);
    expect(same('28\\%', '0.0028')).toBe(false);
    expect(same('50', '0.5')).toBe(false);
  });

  it('mixed numbers follow the MATH convention', () => {
    expect(same('12\\frac{3}{5}', '\\frac{63}{5}')).toBe(true);
    expect(same('12\\frac{3}{5}', '7.2')).toBe(false);
  });

  it('base-n numerals are not their decimal value', () => {
    expect(same('204_5', '54')).toBe(false);
    expect(same('204_5', '204_{5}')).toBe(true);
  });
});

describe('expressions', () => {
  it('polynomial identities are settled at random points', () => {
    expect(verdict('x^2+2x+1', '(x+1)^2')).toEqual({ equivalent: true, rule: 'random-points' });
    expect(same('x^2+2x+1', '(x-1)^2')).toBe(false);
    expect(same('n(n+1)', 'n^2+n')).toBe(true);
  });

  it('trigonometric and radical identities', () => {
    expect(same('\\tan^2(y)+1', '\\sec^2(y)')).toBe(true);
    expect(same('\\sqrt{8}', '2\\sqrt{2}')).toBe(true);
    expect(same('\\cos 60^\\circ', '\\frac{1}{2}')).toBe(true);
  });

  // Sampling positive points only called these equal: they differ where x < 0 (or x = 0).
  it('expressions that agree on part of the domain only are not equal', () => {
    for (const [g, p] of [
      ['|x|', 'x'],
      ['\\sqrt{x^2}', 'x'],
      ['|x-1|', 'x-1'],
      ['\\sqrt{a^2 b^2}', 'ab'],
      ['x^{4}', 'x^{3}|x|'],
      ['\\frac{|x|}{x}', '1'],
      // They differ only below -3 or -20: the points reach out that far on the negative side.
      ['|x+3|', 'x+3'],
      ['|t + 20|', 't + 20'],
    ]) {
      expect(same(g!, p!), `${g} vs ${p}`).toBe(false);
      expect(same(p!, g!), `${p} vs ${g}`).toBe(false);
    }
    for (const [g, p] of [
      ['\\sqrt{x^2}', '|x|'],
      ['x^4', '|x|^4'],
      ['|x|^2', 'x^2'],
      ['\\frac{1}{3\\sqrt[3]{x}^2}', '\\frac{1}{3x^{2/3}}'],
      ['\\sqrt{x}\\sqrt{x}', 'x'],
      ['\\frac{x^2-1}{x-1}', 'x+1'],
      // Equal wherever both are real; at negative points neither is, or one is not.
      ['\\sqrt{x^3}', 'x\\sqrt{x}'],
      ['x^{3/2}', '\\sqrt{x^3}'],
      ['\\sqrt{8x^3}', '2x\\sqrt{2x}'],
      ['\\sqrt{x}\\sqrt{y}', '\\sqrt{xy}'],
      ['\\sqrt{\\frac{1}{x}}', '\\frac{1}{\\sqrt{x}}'],
      ['\\frac{\\sqrt a}{\\sqrt b}', '\\sqrt{\\frac ab}'],
      // Far from zero the terms are huge and cancel: rounding there is not a difference.
      ['\\cosh^2 x - \\sinh^2 x', '1'],
      ['x^{16}-(x^8-1)(x^8+1)', '1'],
      ['y = \\cosh^2 x - \\sinh^2 x', 'y = 1'],
    ])
      expect(same(g!, p!), `${g} vs ${p}`).toBe(true);
  });

  it('notations: semicolons in tuples, leading decimal points, hedges, "no solution"', () => {
    expect(same('(1, 2)', '(1; 2)')).toBe(true);
    expect(same('(-1, 3)', '(-1;\\ 3)')).toBe(true);
    expect(same('(1, 2)', '(2; 1)')).toBe(false);
    // Beside commas a semicolon separates rows: [1,2;3,4] is not the list [1,2,3,4].
    expect(same('[1,2;3,4]', '[1,2,3,4]')).toBe(false);
    expect(same('(1,2;3,4)', '(1,2,3,4)')).toBe(false);
    expect(same('2 .5', '2.5')).toBe(true);
    expect(same('0.5, 0.1', '.5, .1')).toBe(true);
    expect(same('\\{0.1, 2\\}', '\\{.1, 2\\}')).toBe(true);
    expect(same('0.5', '.05')).toBe(false);
    expect(same('3.14', '\\text{approximately } 3.14')).toBe(true);
    expect(same('3.14', 'about 3.15')).toBe(false);
    for (const words of [
      '\\text{no solution}',
      'no real solutions',
      'There are no solutions',
      '\\text{No solution.}',
    ])
      expect(same('\\emptyset', words), words).toBe(true);
    expect(same('\\emptyset', '\\text{one solution}')).toBe(false);
    expect(same('1{,}000{,}000', '1000000')).toBe(true);
  });

  it('inequalities joined by "or" are the union of their intervals', () => {
    const u = '(-\\infty,-1)\\cup(4,\\infty)';
    expect(same(u, 'x<-1 \\text{ or } x>4')).toBe(true);
    expect(same(u, 'x > 4 or x < -1')).toBe(true);
    expect(same('x<-1 \\text{ or } x>4', u)).toBe(true);
    expect(same(u, 'x \\le -1 or x > 4')).toBe(false);
    expect(same(u, 'x < -1 or y > 4')).toBe(false);
    expect(same(u, 'x < -1')).toBe(false);
    // "and" or a comma is not "or": x < -1 and x > 4 is empty, x > -1 and x < 4 an interval.
    expect(same(u, 'x<-1 \\text{ and } x>4')).toBe(false);
    expect(same(u, 'x<-1, x>4')).toBe(false);
    expect(same('(-\\infty,4)\\cup(-1,\\infty)', 'x>-1 \\text{ and } x<4')).toBe(false);
    expect(same('(-\\infty,2]\\cup[5,\\infty)', 't\\le 2 \\text{ or } t \\ge 5')).toBe(true);
  });

  it('an inequality on an absolute value is its interval or the union of two', () => {
    expect(same('(-3,3)', '|x|<3')).toBe(true);
    expect(same('[-1,3]', '|x-1|\\le 2')).toBe(true);
    expect(same('(-\\infty,-2)\\cup(2,\\infty)', '|z|>2')).toBe(true);
    expect(same('(-\\infty,-5]\\cup[1,\\infty)', '|x+2|\\ge 3')).toBe(true);
    expect(same('(-3,3)', '|x|\\le 3')).toBe(false);
    expect(same('[-1,3]', '|x+1|\\le 2')).toBe(false);
    expect(same('(-3,3)', '|x|>3')).toBe(false);
    // No interval for a radius that is not positive: left as written, not equal to one.
    expect(same('(-3,3)', '|x|<-3')).toBe(false);
  });

  it('set-builder notation and bounds joined by "and" are intervals', () => {
    expect(same('(3,\\infty)', '\\{x \\mid x > 3\\}')).toBe(true);
    expect(same('[3,\\infty)', '\\{x : x \\geq 3\\}')).toBe(true);
    expect(same('(3,\\infty)', '\\{x \\mid x \\ge 3\\}')).toBe(false);
    expect(same('(2,5)', '2 < x \\text{ and } x < 5')).toBe(true);
    expect(same('(2,5]', 'x \\le 5 \\text{ and } x > 2')).toBe(true);
    expect(same('(2,5)', 'x > 2 \\text{ and } y < 5')).toBe(false);
    expect(same('(2,5)', 'x > 2 \\text{ and } x > 5')).toBe(false);
  });

  it('decimal commas: {,} before other than three digits, or a bare comma against a single number', () => {
    expect(same('3.5', '3{,}5')).toBe(true);
    expect(same('3.14159', '3{,}14159')).toBe(true);
    expect(same('0.125', '0{,}125')).toBe(true);
    expect(same('1234', '1{,}234')).toBe(true);
    expect(same('1.234', '1{,}234')).toBe(false);
    expect(same('3.5', '3,5')).toBe(true);
    expect(same('0.125', '0,125')).toBe(true);
    // In a reference, against a list or an integer, or with three digits after a nonzero whole
    // part, the comma keeps its reading.
    expect(same('1,2', '1.2')).toBe(false);
    expect(same('2', '2,0')).toBe(false);
    expect(same('3, 5', '3,5')).toBe(true);
    expect(same('1250', '1,250')).toBe(true);
    expect(same('1.25', '1,250')).toBe(false);
    expect(same('35', '3,5')).toBe(false);
    expect(same('(1,5)', '(1{,}5)')).toBe(true);
    expect(same('1.5', '(1{,}5)')).toBe(false);
  });

  it('the reals less some points are the union of open intervals between them', () => {
    expect(same('\\mathbb{R}\\setminus\\{0\\}', '(-\\infty,0)\\cup(0,\\infty)')).toBe(true);
    expect(same('(-\\infty,-1)\\cup(-1,2)\\cup(2,\\infty)', '\\mathbb{R}\\setminus\\{2, -1\\}')).toBe(true);
    expect(same('\\mathbb{R}\\setminus\\{0\\}', '(-\\infty,0]\\cup(0,\\infty)')).toBe(false);
    expect(same('\\mathbb{R}\\setminus\\{0\\}', '(-\\infty,0)\\cup(1,\\infty)')).toBe(false);
    expect(same('\\mathbb{R}\\setminus\\{0, 1\\}', '(-\\infty,0)\\cup(0,\\infty)')).toBe(false);
    // An interval taken out: each end's bracket flips, and only the same ends are the same set.
    expect(same('\\mathbb{R}\\setminus[-2,3]', '(-\\infty,-2)\\cup(3,\\infty)')).toBe(true);
    expect(same('\\mathbb{R}\\setminus(-2,3]', '(-\\infty,-2]\\cup(3,\\infty)')).toBe(true);
    expect(same('\\mathbb{R}\\setminus(-2,3)', '(-\\infty,-2)\\cup(3,\\infty)')).toBe(false);
    expect(same('\\mathbb{R}\\setminus[3,-2]', '(-\\infty,-2)\\cup(3,\\infty)')).toBe(false);
  });

  it('constants evaluate', () => {
    expect(same('(9+1)', '10')).toBe(true);
    expect(same('5!', '120')).toBe(true);
    expect(same('\\binom{5}{2}', '10')).toBe(true);
    expect(same('3+4i', '4i+3')).toBe(true);
    expect(same('3+4i', '3-4i')).toBe(false);
  });

  it('what cannot be evaluated goes to the CAS', () => {
    const v = verdict(
      '\\begin{pmatrix}6 & 8 \\\\ 10 & 12\\end{pmatrix}',
      '\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix} + \\begin{pmatrix}5 & 6 \\\\ 7 & 8\\end{pmatrix}',
    );
    expect(v).toEqual({ equivalent: true, rule: 'symbolic' });
  });
});

describe('containers', () => {
  it('tuples are ordered; a bare list against a tuple keeps the order', () => {
    expect(same('(1,2)', '(1, 2)')).toBe(true);
    expect(same('(1,2)', '1, 2')).toBe(true);
    expect(same('(1,2)', '2, 1')).toBe(false);
  });

  it('sets are unordered', () => {
    expect(verdict('\\{1,2\\}', '\\{2,1\\}')).toEqual({ equivalent: true, rule: 'set' });
    expect(same('\\{1,2\\}', '(1,2)')).toBe(false);
  });

  it('intervals keep their brackets; unions are unordered', () => {
    expect(same('(0,9)', '[0,9)')).toBe(false);
    expect(same('[-4/2, 0.5]', '[-2, \\frac{1}{2}]')).toBe(true);
    expect(same('(2,12) \\cup (12,102)', '(12,102) \\cup (2,12)')).toBe(true);
    expect(same('(-\\infty, 3)', 'x < 3')).toBe(true);
    expect(same('(-\\infty, 3]', 'x < 3')).toBe(false);
    expect(same('-2 \\le x \\le 7', 'x \\in [-2,7]')).toBe(true);
  });

  it('matrices and vectors', () => {
    expect(
      same('\\begin{bmatrix}0 & 0 \\\\0 & 0\\end{bmatrix}', '\\begin{pmatrix}0 & 0 \\\\0 & 0\\end{pmatrix}'),
    ).toBe(true);
    expect(
      same(
        '\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}',
        '\\begin{pmatrix}1 & 2 \\\\ 3 & 5\\end{pmatrix}',
      ),
    ).toBe(false);
    expect(same('\\begin{pmatrix}1\\\\2\\end{pmatrix}', '(1,2)')).toBe(true);
  });

  it('answer lists are compared as sets of solutions', () => {
    expect(same('2, 3', '3, 2')).toBe(true);
    expect(same('2, 3', '2')).toBe(false);
    expect(same('\\pm 7', '7, -7')).toBe(true);
    expect(same('\\pm 7', '7')).toBe(false);
    expect(same('3 \\pm 2\\sqrt{2}', '3 - 2\\sqrt{2}, 3 + 2\\sqrt{2}')).toBe(true);
    expect(same('19, 46, and 82', '82, 46 and 19')).toBe(true);
    expect(same('10, 4, 2', '4, 12, 2')).toBe(false);
  });

  it('labelled values and records', () => {
    expect(same('x=2, y=3', 'y=3, x=2')).toBe(true);
    expect(same('x=2, y=3', '(2,3)')).toBe(true);
    expect(same('x=2, y=3', '(3,2)')).toBe(false);
    expect(same('p=5,q=2;p=7,q=2', '(5,2),(7,2)')).toBe(true);
    expect(same('x_1 = 1, x_2 = 2', '2, 1')).toBe(true);
  });
});

describe('equations and inequalities', () => {
  it('equations match up to a non-zero factor', () => {
    expect(same('x^2+y^2=1', '1-x^{2}-y^{2}=0')).toBe(true);
    expect(same('2x+4y-3=0', 'y=-\\frac{1}{2}x+\\frac{3}{4}')).toBe(true);
    expect(same('x^2+y^2=1', 'x^{2}-y^{2}=1')).toBe(false);
  });

  it('a chained equation answers with its last member; \\approx keeps the exact value', () => {
    expect(same('x = 11', 'x = 5+5+1 = 11')).toBe(true);
    expect(same('1/3', 'x=1/3\\approx0.3')).toBe(true);
  });

  it('an equation is not its right-hand side unless the left side is a label', () => {
    expect(same('7 = 11a+c', '11a+c')).toBe(false);
    expect(same('a_{n} = 2n+1', '2n+1')).toBe(true);
  });

  it('inequalities match up to a positive factor, with the same strictness', () => {
    expect(same('x < 1', '-x > -1')).toBe(true);
    expect(same('x \\leq 5', '5 \\geq x')).toBe(true);
    expect(same('x > 5', 'x < 5')).toBe(false);
    expect(same('x \\le 5', 'x < 5')).toBe(false);
  });
});

describe('safety and audit', () => {
  it('every verdict names its rule', () => {
    expect(verdict('18', '18')).toEqual({ equivalent: true, rule: 'exact-string' });
    expect(verdict('7425000', '7,425,000')).toEqual({ equivalent: true, rule: 'normalized-string' });
    expect(verdict('', '5')).toEqual({ equivalent: false, rule: 'empty' });
  });

  it('bad input never throws', () => {
    const c = new AnswerChecker();
    expect(c.check(undefined as unknown as string, '1')).toEqual({
      equivalent: false,
      rule: 'error:invalid-input',
    });
    expect(c.checkOutput('1', null as unknown as string).equivalent).toBe(false);
  });

  it('a spent time budget is a timeout verdict, but fast paths still answer', () => {
    const c = new AnswerChecker({ timeoutMs: 0 });
    expect(c.check('x^2+2x+1', '(x+1)^2')).toEqual({ equivalent: false, rule: 'timeout' });
    expect(c.check('1/2', '0.5').equivalent).toBe(true);
  });

  it('huge exponents and factorials are refused before the CAS', () => {
    const c = new AnswerChecker({ timeoutMs: 1000 });
    const start = performance.now();
    expect(c.check('2', '9^{9^{9^{9}}}').equivalent).toBe(false);
    expect(c.check('1000000!', '1000000!!').equivalent).toBe(false);
    expect(performance.now() - start).toBeLessThan(1500);
  });

  it('verdicts are cached by (gold, predicted)', () => {
    const c = new AnswerChecker({ cacheSize: 2 });
    const first = c.check('x^2+2x+1', '(x+1)^2');
    expect(c.check('x^2+2x+1', '(x+1)^2')).toBe(first);
  });

  it('checkOutput extracts first and reports what it found', () => {
    const v = checker.checkOutput('\\frac{14}{3}', 'Summing, we get $\\boxed{\\dfrac{14}{3}}$.');
    expect(v).toMatchObject({
      equivalent: true,
      extracted: { found: true, answer: '\\dfrac{14}{3}', source: 'boxed' },
    });
    expect(checker.checkOutput('5', 'I cannot solve this.')).toMatchObject({
      equivalent: false,
      rule: 'no-answer',
    });
  });
});

describe('groupAnswers (majority voting)', () => {
  it('groups equivalent answers, largest class first', () => {
    const groups = groupAnswers(['2', '\\frac12', '0.5', '1/2', '2.0', 'x', '']);
    expect(groups.map((g) => [g.representative, g.count, g.members])).toEqual([
      ['\\frac12', 3, [1, 2, 3]],
      ['2', 2, [0, 4]],
      ['x', 1, [5]],
      ['', 1, [6]],
    ]);
  });

  it('answersEquivalent is symmetric', () => {
    expect(answersEquivalent('(1,2)', '1, 2')).toBe(true);
    expect(answersEquivalent('1, 2', '(1,2)')).toBe(true);
  });
});
