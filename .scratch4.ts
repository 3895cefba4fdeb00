import { AnswerChecker, extractAnswer, normalizeAnswer } from './src/answer/index.ts';
const c = new AnswerChecker();
const cases: [string, string, boolean][] = [
  ['x^2+2x+1', '(x+1)^2', true], ['x + y = 0', 'x - y = 0', false], ['x^2 - 1 = 0', 'x - 1 = 0', false],
  ['[0,1)', '[0,1]', false], ['(1,2)', '(2,1)', false], ['1-1/e', '1+1/e', false], ['1-\\frac{1}{e}', '1-e^{-1}', true],
  ['50\\%', '50', true], ['50\\%', '0.5', true], ['50', '0.5', false], ['0.5\\%', '0.005', true],
  ['7,425,000', '7425000', true], ['(1,2)', '1,2', true], ['(1,234)', '1234', false], ['1 000', '1000', true],
  ['016', '16', true], ['\\dfrac{1}{2}', '\\frac12', true], ['\\tfrac{3}{4}', '0.75', true],
  ['x = 5', '5', true], ['5', 'x=5', true], ['\\text{(C)}', 'C', true], ['\\textbf{(B)}', '(B)', true], ['(C)', 'D', false],
  ['\\text{Evelyn}', 'evelyn', true], ['90^\\circ', '90', true], ['90^{\\circ}', '90 degrees', true], ['5\\text{ cm}^2', '5', true],
  ['\\frac{1}{3}', '0.333', true], ['\\frac{1}{3}', '0.33', false], ['\\frac{2}{3}', '0.667', true], ['\\frac{2}{3}', '0.666', true], ['\\frac{2}{3}', '0.668', false],
  ['\\pi', '3.14', true], ['\\pi', '3.15', false], ['\\pi', '3.1', false], ['\\sqrt{2}', '1.414', true], ['\\sqrt 2', '1.415', false],
  ['0.65', '0.6', false], ['1.625', '1.63', false], ['25', '24.99', false], ['2^{10}', '1024', true], ['2^{100}', '1267650600228229401496703205377', false],
  ['2^{100}', '1267650600228229401496703205376', true], ['\\pm 7', '7, -7', true], ['\\pm 7', '7', false], ['2, 3', '3, 2', true], ['2, 3', '2', false],
  ['\\{1,2\\}', '\\{2,1\\}', true], ['\\{1,2\\}', '(1,2)', false], ['(-\\infty, 3)', 'x < 3', true], ['(-\\infty, 3]', 'x < 3', false], ['[2, \\infty)', 'x \\ge 2', true],
  ['\\begin{pmatrix}1\\\\2\\end{pmatrix}', '(1,2)', true], ['12\\frac{3}{5}', '\\frac{63}{5}', true], ['12\\frac{3}{5}', '7.2', false], ['3+4i', '4i+3', true], ['3+4i', '3-4i', false],
  ['\\frac{\\sqrt{3}}{2}', '\\frac{1}{2}\\sqrt{3}', true], ['\\sqrt{x^2}', 'x', true], ['n(n+1)', 'n^2+n', true], ['f(x)', 'f(y)', false], ['a(b+c)', 'ab+ac', true],
  ['y = 2x + 1', 'y = 1 + 2x', true], ['y = 2x + 1', '2x + 1', true], ['y=2x+1', 'x = 2y + 1', false], ['2x - y + 1 = 0', 'y = 2x+1', true],
  ['x \\le 5', 'x < 5', false], ['\\text{odd}', 'Odd', true], ['a', 'A', false], ['E', 'e', false], ['10', '\\$10.00', true], ['\\$1,000', '1000', true],
  ['**73**', '73', true], ['\\\\frac{1}{2}', '0.5', true], ['', '', false], ['5', '', false], ['1/0', '1/0', true], ['\\frac{1}{0}', '5', false],
  ['3.5\\times 10^{4}', '35000', true], ['1e5', '100000', true], ['0.1+0.2', '0.3', true], ['\\frac{x}{2y}', '\\frac{x}{y} \\cdot \\frac12', true],
  ['\\log_2 8', '3', true], ['\\ln(e^2)', '2', true], ['\\sin^2 x + \\cos^2 x', '1', true], ['\\binom{5}{2}', '10', true], ['5!', '120', true],
  ['\\sqrt{8}', '2\\sqrt{2}', true], ['\\sqrt{8}', '2\\sqrt{3}', false], ['x^{2/3}', '\\sqrt[3]{x^2}', true], ['(3, \\frac{\\pi}{2})', '\\left( 3, \\frac{\\pi}{2} \\right)', true],
  ['1,2', '1, 2', true], ['1, 2, 2', '2, 1', true], ['x=2, y=3', 'y=3, x=2', true], ['x=2, y=3', '(2,3)', true], ['x=2, y=3', '(3,2)', false],
  ['0', '-0', true], ['-5', '- 5', true], ['+5', '5', true], ['.5', '0.50', true], ['1/2', '2/4', true], ['\\frac{-1}{2}', '-\\frac{1}{2}', true],
  ['100\\%', '1', true], ['28\\%', '0.28', true], ['28\\%', '0.0028', false],
];
let bad = 0;
for (const [g, p, exp] of cases) {
  const v = c.check(g, p);
  if (v.equivalent !== exp) { bad++; console.log('MISMATCH', JSON.stringify(g), JSON.stringify(p), 'expected', exp, 'got', v); }
}
console.log('bad', bad, 'of', cases.length);
