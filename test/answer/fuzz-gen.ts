/** Deterministic generator of LaTeX-like strings for the fuzz test and the scratch runs. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOKENS = [
  '0', '1', '2', '7', '42', '3.14', '.5', '1,000', '007', 'x', 'y', 'n', 'e', 'i', 'A', 'f(x)', '\\pi',
  '+', '-', '*', '/', '^', '_', '=', '<', '>', '\\le', '\\ge', '\\neq', '\\approx', '\\in', ',', ';', ':', '.',
  '!', '%', '\\%', '$', '$$', '\\(', '\\)', '\\[', '\\]', '{', '}', '(', ')', '[', ']', '\\{', '\\}', '|',
  '\\frac', '\\dfrac', '\\frac{', '\\sqrt', '\\sqrt[3]{', '\\boxed{', '\\boxed ', '\\fbox{', '\\text{', '\\text{ and }',
  '\\mathrm{', '\\left(', '\\right)', '\\left[', '\\right.', '\\pm', '\\mp', '\\cup', '\\infty', '\\cdot', '\\times',
  '\\sin', '\\cos', '\\tan', '\\log', '\\ln', '\\sum_{k=1}^{n}', '\\int_0^1', '\\lim', '\\begin{pmatrix}',
  '\\end{pmatrix}', '\\\\', '&', '\\begin{array}{cc}', '\\end{array}', '\\quad', '\\,', '\\!', '^\\circ', '\\degree',
  'and', 'or', 'The answer is', 'Final Answer:', '####', '\nA: ', '**', 'cm', 'dollars', 'percent', '\\\\frac',
  '10^{1000000}', '99999!', '2^{2^{2^{2^{2}}}}', '\\binom{100000}{50000}', '\u2212', '\u00b2', '\u221a', '\u03c0',
  '\t', '\f', '\n', ' ', '  ', '\\', '#', '"', "'", '<<2*3=6>>', '\\zzz', '\\odot', '_{\\max}',
];

/** A random string of `len` tokens drawn from a LaTeX-flavoured vocabulary. */
export function randomLatex(rnd: () => number, maxTokens = 24): string {
  const n = 1 + Math.floor(rnd() * maxTokens);
  let s = '';
  for (let k = 0; k < n; k++) s += TOKENS[Math.floor(rnd() * TOKENS.length)];
  return s;
}

/** Inputs known to be expensive or deep for parsers and CAS engines. */
export const HOSTILE: string[] = [
  '2^{2^{2^{2^{2^{2}}}}}',
  '10^{10^{10}}',
  '1000000!',
  '(1000000!)!',
  '9^{9^{9^{9}}}',
  '\\frac{'.repeat(400),
  '('.repeat(2000),
  '\\sqrt{'.repeat(300) + '2' + '}'.repeat(300),
  '{'.repeat(500) + '1' + '}'.repeat(500),
  '1'.repeat(5000),
  '1,'.repeat(3000),
  '\\pm'.repeat(40),
  'x^{'.repeat(200) + '2' + '}'.repeat(200),
  '\\boxed{'.repeat(300),
  '$'.repeat(1000),
  '\\sum_{k=1}^{10^{12}} k',
  '\\prod_{k=1}^{100000000} k',
  '\\begin{pmatrix}' + '1&'.repeat(500) + '1\\end{pmatrix}',
  `${'(1,2),'.repeat(200)}(1,2)`,
  'x'.repeat(3000),
  '\\text{'.repeat(200),
  'a = b = c = d = '.repeat(100),
];
