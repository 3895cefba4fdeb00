/**
 * Seeded generator of labelled answer pairs for the generated equivalence test. Each family draws
 * a random answer (a number, a polynomial, a set, an interval...) and writes it out twice: under
 * rewrites that keep its value (expand or factor, rationalize, reorder sums and sets, change the
 * fraction form, decimal to fraction, scientific notation, units and percent where the checker's
 * policy drops them), and under small perturbations that provably change it (sign, off by one,
 * swapped tuple order, open against closed interval end, a dropped set element, a wrong factor).
 *
 * Every perturbation is built so that the two answers differ mathematically, whatever the draw
 * (a nonzero shift, distinct tuple entries, a factor other than one), so a pair labelled `false`
 * that the checker accepts is a false positive of the checker, never of the generator.
 */
import { mulberry32 } from './fuzz-gen.js';

export interface LabelledPair {
  family: string;
  /** What was done to the gold answer: the rewrite or the perturbation. */
  change: string;
  gold: string;
  predicted: string;
  equivalent: boolean;
}

type Rnd = () => number;

const int = (rnd: Rnd, lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
const nonzero = (rnd: Rnd, lo: number, hi: number) => {
  for (;;) {
    const v = int(rnd, lo, hi);
    if (v !== 0) return v;
  }
};
const pick = <T>(rnd: Rnd, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const gcd = (a: number, b: number): number => (b === 0 ? Math.abs(a) : gcd(b, a % b));
function shuffled<T>(rnd: Rnd, xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
/** Distinct integers, so a set drawn from them has as many elements as it was given. */
function distinct(rnd: Rnd, count: number, lo: number, hi: number): number[] {
  const seen = new Set<number>();
  while (seen.size < count) seen.add(int(rnd, lo, hi));
  return [...seen];
}

/** `\frac{p}{q}` in lowest terms with the sign in front, or the integer. */
function frac(p: number, q: number): string {
  const g = gcd(p, q);
  let n = p / g;
  let d = q / g;
  if (d < 0) {
    n = -n;
    d = -d;
  }
  if (d === 1) return `${n}`;
  return n < 0 ? `-\\frac{${-n}}{${d}}` : `\\frac{${n}}{${d}}`;
}

/** `+ 3x` / `- 3x` / `+ x` for a term after the first; the first term has no leading plus. */
function term(coef: number, power: number, first: boolean, v = 'x'): string {
  if (coef === 0) return '';
  const mono = power === 0 ? '' : power === 1 ? v : `${v}^{${power}}`;
  const mag = Math.abs(coef);
  const body = mono === '' ? `${mag}` : mag === 1 ? mono : `${mag}${mono}`;
  if (first) return coef < 0 ? `-${body}` : body;
  return coef < 0 ? ` - ${body}` : ` + ${body}`;
}

/** A polynomial from its coefficients (index = power), terms in the given order of powers. */
function poly(coefs: readonly number[], order: readonly number[], v = 'x'): string {
  const out: string[] = [];
  for (const power of order) {
    const c = coefs[power] ?? 0;
    if (c !== 0) out.push(term(c, power, out.length === 0, v));
  }
  return out.length === 0 ? '0' : out.join('');
}
const descending = (coefs: readonly number[]) => coefs.map((_, i) => coefs.length - 1 - i);

/** `(x + a)` or `(cx + a)`; `a` may be negative. */
function linear(c: number, a: number, v = 'x'): string {
  return `(${term(c, 1, true, v)}${term(a, 0, false)})`;
}
/** Coefficients of (c1 x + a1)(c2 x + a2). */
function product(c1: number, a1: number, c2: number, a2: number): number[] {
  return [a1 * a2, c1 * a2 + c2 * a1, c1 * c2];
}

type Family = (rnd: Rnd) => LabelledPair[];

function pairs(family: string, gold: string, same: [string, string][], different: [string, string][]) {
  return [
    ...same.map(([change, predicted]) => ({ family, change, gold, predicted, equivalent: true })),
    ...different.map(([change, predicted]) => ({ family, change, gold, predicted, equivalent: false })),
  ];
}

const integer: Family = (rnd) => {
  const n = rnd() < 0.2 ? int(rnd, 1_000, 9_999_999) : nonzero(rnd, -500, 500);
  const grouped = Math.abs(n).toLocaleString('en-US').replaceAll(',', '{,}');
  const sign = n < 0 ? '-' : '';
  const unit = pick(rnd, ['\\text{ cm}', ' \\text{ dollars}', '\\text{ units}', '^\\circ', ' meters']);
  const k = int(rnd, 2, 9);
  return pairs(
    'integer',
    `${n}`,
    [
      ['boxed', `\\boxed{${n}}`],
      ['grouped', `${sign}${grouped}`],
      ['unit', `${n}${unit}`],
      ['trailing zero', `${n}.0`],
      ['currency', n > 0 ? `\\$${n}` : `-\\$${-n}`],
      ['unreduced fraction', `\\frac{${n * k}}{${k}}`],
      ['sum', `${n - k} + ${k}`],
    ],
    [
      ['off by one', `${n + 1}`],
      ['off by one', `${n - 1}`],
      ['sign', `${-n}`],
      ['factor', `${n * k}`],
      ['unit off by one', `${n + 1}${unit}`],
    ],
  );
};

const fraction: Family = (rnd) => {
  let p = 0;
  let q = 1;
  while (q === 1) {
    const n = nonzero(rnd, -40, 40);
    const d = int(rnd, 2, 40);
    p = n / gcd(n, d);
    q = d / gcd(n, d);
  }
  const k = int(rnd, 2, 6);
  const gold = frac(p, q);
  const abs = Math.abs(p);
  const sign = p < 0 ? '-' : '';
  const same: [string, string][] = [
    ['slash', `${p}/${q}`],
    ['dfrac', gold.replace('\\frac', '\\dfrac')],
    ['unreduced', `${sign}\\frac{${abs * k}}{${q * k}}`],
    ['sign in numerator', `\\frac{${p}}{${q}}`],
  ];
  if (p < 0) same.push(['sign in denominator', `\\frac{${abs}}{${-q}}`]);
  const terminating = (() => {
    let d = q;
    while (d % 2 === 0) d /= 2;
    while (d % 5 === 0) d /= 5;
    return d === 1;
  })();
  same.push(['division sign', `${p} \\div ${q}`]);
  if (terminating) {
    same.push(['decimal', `${p / q}`]);
    // Three decimals after a nonzero whole part read as thousands (`1{,}125`): not a rewrite.
    const [whole, decimals = ''] = `${p / q}`.split('.');
    if (decimals !== '' && (decimals.length !== 3 || /^-?0$/.test(whole!)))
      same.push(['decimal comma', `${whole}{,}${decimals}`]);
  } else if (REPEATING[q] && Math.abs(p) < q) same.push(['repeating decimal', repeating(p, q)]);
  if (Math.abs(p) > q) {
    const whole = Math.trunc(p / q);
    const rest = Math.abs(p) - Math.abs(whole) * q;
    same.push(['sum of whole and fraction', `${whole} ${p < 0 ? '-' : '+'} \\frac{${rest}}{${q}}`]);
    same.push(['mixed number', `${whole}\\frac{${rest}}{${q}}`]);
  }
  const different: [string, string][] = [
    ['sign', frac(-p, q)],
    ['numerator off by one', frac(p + 1, q)],
    ['denominator off by one', frac(p, q + 1)],
    ['factor', frac(2 * p, q)],
  ];
  if (Math.abs(p) !== q) different.push(['reciprocal', frac(q * Math.sign(p), Math.abs(p))]);
  if (terminating) {
    // The decimal with its last digit moved: a wrong value at the precision written.
    const d = `${p / q}`;
    const last = Number(d.at(-1));
    different.push(['decimal off in its last digit', `${d.slice(0, -1)}${last === 9 ? 8 : last + 1}`]);
  }
  return pairs('fraction', gold, same, different);
};

/** Denominators whose expansions repeat from the first or second digit, with the period length. */
const REPEATING: Record<number, { lead: number; period: number }> = {
  3: { lead: 0, period: 1 },
  6: { lead: 1, period: 1 },
  7: { lead: 0, period: 6 },
  9: { lead: 0, period: 1 },
  11: { lead: 0, period: 2 },
  12: { lead: 2, period: 1 },
  15: { lead: 1, period: 1 },
};

/** `0.1\overline{6}` for p/q with |p| < q, by long division. */
function repeating(p: number, q: number): string {
  const { lead, period } = REPEATING[q]!;
  let r = Math.abs(p);
  let digits = '';
  for (let i = 0; i < lead + period; i++) {
    r *= 10;
    digits += Math.floor(r / q);
    r %= q;
  }
  return `${p < 0 ? '-' : ''}0.${digits.slice(0, lead)}\\overline{${digits.slice(lead)}}`;
}

const scientific: Family = (rnd) => {
  const mantissa = int(rnd, 11, 99); // two significant digits, m.m
  const exp = pick(rnd, [-6, -5, -4, -3, 3, 4, 5, 6, 7]);
  const plain = exp > 0 ? `${mantissa}${'0'.repeat(exp - 1)}` : `0.${'0'.repeat(-exp - 1)}${mantissa}`;
  const sci = `${mantissa / 10} \\times 10^{${exp}}`;
  return pairs(
    'scientific',
    plain,
    [
      ['scientific notation', sci],
      ['cdot', `${mantissa / 10}\\cdot 10^{${exp}}`],
      ['other mantissa', `${mantissa} \\times 10^{${exp - 1}}`],
      ['e notation', `${mantissa / 10}e${exp}`],
    ],
    [
      ['exponent off by one', `${mantissa / 10} \\times 10^{${exp + 1}}`],
      ['exponent sign', `${mantissa / 10} \\times 10^{${-exp}}`],
      ['mantissa off by one', `${(mantissa + 1) / 10} \\times 10^{${exp}}`],
      ['sign', `-${sci}`],
    ],
  );
};

const SQUAREFREE = [2, 3, 5, 6, 7, 10, 11, 13, 14, 15, 17, 19, 21, 22, 23];

const surd: Family = (rnd) => {
  const a = int(rnd, 1, 12);
  const b = pick(rnd, SQUAREFREE);
  const m = int(rnd, 2, 6);
  const g = gcd(a, b);
  const coefficient = a / g === 1 ? '' : `${a / g}`;
  const rationalized =
    b / g === 1 ? `${coefficient}\\sqrt{${b}}` : `\\frac{${coefficient}\\sqrt{${b}}}{${b / g}}`;
  // Radicands one apart would make 1/(√c + √b) equal to √c - √b itself.
  const c = pick(
    rnd,
    SQUAREFREE.filter((x) => Math.abs(x - b) > 1),
  );
  const big = b > c ? b : c;
  const small = b > c ? c : b;
  return [
    ...pairs(
      'surd',
      `\\frac{${a}}{\\sqrt{${b}}}`,
      [
        ['rationalized', rationalized],
        ['power', `${a} \\cdot ${b}^{-1/2}`],
      ],
      [
        ['not divided', `${a}\\sqrt{${b}}`],
        ['radicand off by one', `\\frac{${a}}{\\sqrt{${b + 1}}}`],
        ['sign', `-\\frac{${a}}{\\sqrt{${b}}}`],
      ],
    ),
    ...pairs(
      'surd',
      `\\sqrt{${m * m * b}}`,
      [
        ['simplified', `${m}\\sqrt{${b}}`],
        ['product', `\\sqrt{${m * m}}\\sqrt{${b}}`],
      ],
      [
        ['coefficient off by one', `${m + 1}\\sqrt{${b}}`],
        ['radicand off by one', `${m}\\sqrt{${b + 1}}`],
        ['root dropped', `${m * b}`],
      ],
    ),
    ...pairs(
      'surd',
      `\\frac{1}{\\sqrt{${big}} + \\sqrt{${small}}}`,
      [['rationalized', `\\frac{\\sqrt{${big}} - \\sqrt{${small}}}{${big - small}}`]],
      [
        ['sign of a root', `\\frac{\\sqrt{${big}} + \\sqrt{${small}}}{${big - small}}`],
        ['not divided', `\\sqrt{${big}} - \\sqrt{${small}}`],
      ],
    ),
  ];
};

const polynomial: Family = (rnd) => {
  const c1 = rnd() < 0.6 ? 1 : int(rnd, 2, 4);
  const c2 = rnd() < 0.7 ? 1 : int(rnd, 2, 3);
  const a1 = nonzero(rnd, -9, 9);
  let a2 = nonzero(rnd, -9, 9);
  if (c1 === c2 && a1 === a2) a2 = a2 === 9 ? 8 : a2 + 1;
  const coefs = product(c1, a1, c2, a2);
  const factored = `${linear(c1, a1)}${linear(c2, a2)}`;
  const expanded = poly(coefs, descending(coefs));
  const same: [string, string][] = [
    ['factored', factored],
    ['factors swapped', `${linear(c2, a2)}${linear(c1, a1)}`],
    ['terms reordered', poly(coefs, [0, 2, 1])],
    ['terms reordered', poly(coefs, [1, 0, 2])],
    ['cdot between factors', `${linear(c1, a1)} \\cdot ${linear(c2, a2)}`],
  ];
  // A perturbed coefficient changes the polynomial whatever the draw.
  const bump = (i: number, by: number) => coefs.map((c, j) => (j === i ? c + by : c));
  const different: [string, string][] = [
    ['constant off by one', poly(bump(0, 1), descending(coefs))],
    ['linear coefficient off by one', poly(bump(1, -1), descending(coefs))],
    ['leading coefficient off by one', poly(bump(2, 1), descending(coefs))],
    ['sign of a factor', `${linear(c1, -a1)}${linear(c2, a2)}`],
    ['wrong factor', `${linear(c1, a1)}${linear(c2, a2 + (a2 === -1 ? 2 : 1))}`],
    ['sign', `-${factored}`],
    ['power off by one', expanded.replace('x^{2}', 'x^{3}')],
  ];
  return pairs('polynomial', expanded, same, different);
};

const setFamily: Family = (rnd) => {
  const size = int(rnd, 2, 5);
  const xs = distinct(rnd, size, -20, 20);
  const gold = `\\{${xs.join(', ')}\\}`;
  const dropped = [...xs];
  dropped.splice(int(rnd, 0, size - 1), 1);
  const i = int(rnd, 0, size - 1);
  // A shift onto another element leaves a smaller set: still a different set.
  const shifted = xs.map((x, j) => (j === i ? x + 1 : x));
  const nz = xs.findIndex((x) => x !== 0);
  return pairs(
    'set',
    gold,
    [
      ['reordered', `\\{${shuffled(rnd, xs).join(', ')}\\}`],
      ['as a list', shuffled(rnd, xs).join(', ')],
      ['repeated element', `\\{${[...xs, xs[0]!].join(', ')}\\}`],
      ['left right braces', `\\left\\{${xs.join(',')}\\right\\}`],
    ],
    [
      ['dropped element', `\\{${dropped.join(', ')}\\}`],
      ['element off by one', `\\{${shifted.join(', ')}\\}`],
      ['sign of an element', `\\{${xs.map((x, j) => (j === nz ? -x : x)).join(', ')}\\}`],
      ['extra element', `\\{${[...xs, 21].join(', ')}\\}`],
    ],
  );
};

const tuple: Family = (rnd) => {
  const size = int(rnd, 2, 3);
  const xs = distinct(rnd, size, -15, 15);
  const q = int(rnd, 2, 5);
  const gold = `(${xs.join(', ')})`;
  const swapped = [xs[1]!, xs[0]!, ...xs.slice(2)];
  return pairs(
    'tuple',
    gold,
    [
      ['spaces', `( ${xs.join(' , ')} )`],
      ['left right', `\\left(${xs.join(',')}\\right)`],
      ['component as a fraction', `(\\frac{${xs[0]! * q}}{${q}}, ${xs.slice(1).join(', ')})`],
    ],
    [
      ['swapped order', `(${swapped.join(', ')})`],
      ['component off by one', `(${xs[0]! + 1}, ${xs.slice(1).join(', ')})`],
      ['dropped component', `(${xs.slice(0, -1).join(', ')})`],
      ['as a set', `\\{${xs.join(', ')}\\}`],
    ],
  );
};

const interval: Family = (rnd) => {
  const [lo, hi] = distinct(rnd, 2, -20, 20).sort((a, b) => a - b) as [number, number];
  const open = rnd() < 0.5;
  const close = rnd() < 0.5;
  const L = open ? '(' : '[';
  const R = close ? ')' : ']';
  const gold = `${L}${lo}, ${hi}${R}`;
  const lower = open ? '<' : '\\le';
  const upper = close ? '<' : '\\le';
  const different: [string, string][] = [
    ['open against closed end', `${open ? '[' : '('}${lo}, ${hi}${R}`],
    ['open against closed end', `${L}${lo}, ${hi}${close ? ']' : ')'}`],
    ['endpoint off by one', `${L}${lo}, ${hi + 1}${R}`],
  ];
  if (lo !== -hi) different.push(['reflected', `${L}${-hi}, ${-lo}${R}`]);
  return [
    ...pairs(
      'interval',
      gold,
      [
        ['inequality', `${lo} ${lower} x ${upper} ${hi}`],
        ['left right', `\\left${L}${lo},${hi}\\right${R}`],
        [
          'bounds joined by and',
          `x ${close ? '<' : '\\le'} ${hi} \\text{ and } x ${open ? '>' : '\\ge'} ${lo}`,
        ],
        ['membership', `x \\in ${L}${lo}, ${hi}${R}`],
        ['endpoint as a fraction', `${L}\\frac{${2 * lo}}{2}, ${hi}${R}`],
      ],
      different,
    ),
    ...pairs(
      'interval',
      `(-\\infty, ${lo}) \\cup (${hi}, \\infty)`,
      [
        ['inequalities joined by or', `x < ${lo} \\text{ or } x > ${hi}`],
        ['union reordered', `(${hi}, \\infty) \\cup (-\\infty, ${lo})`],
        ['plus infinity', `(-\\infty, ${lo}) \\cup (${hi}, +\\infty)`],
        ['complement', `\\mathbb{R} \\setminus [${lo}, ${hi}]`],
      ],
      [
        ['closed end', `(-\\infty, ${lo}] \\cup (${hi}, \\infty)`],
        ['dropped part', `(-\\infty, ${lo})`],
        ['inequality reversed', `x > ${lo} \\text{ or } x > ${hi}`],
        ['and for or', `${lo} < x < ${hi}`],
        ['complement of the open interval', `\\mathbb{R} \\setminus (${lo}, ${hi})`],
      ],
    ),
    ...pairs(
      'interval',
      `[${lo}, \\infty)`,
      [
        ['inequality', `x \\ge ${lo}`],
        ['inequality reversed in writing', `${lo} \\le x`],
        ['set-builder', `\\{x \\mid x \\ge ${lo}\\}`],
      ],
      [
        ['strict inequality', `x > ${lo}`],
        ['other direction', `x \\le ${lo}`],
      ],
    ),
  ];
};

const absoluteInequality: Family = (rnd) => {
  const c = int(rnd, -9, 9);
  const r = int(rnd, 1, 9);
  const bars = c === 0 ? '|x|' : `|x ${c < 0 ? '+' : '-'} ${Math.abs(c)}|`;
  const different: [string, string][] = [
    ['closed for open', `${bars} \\le ${r}`],
    ['outside for inside', `${bars} > ${r}`],
    ['radius off by one', `${bars} < ${r + 1}`],
  ];
  if (c !== 0) different.push(['centre reflected', `|x ${c < 0 ? '-' : '+'} ${Math.abs(c)}| < ${r}`]);
  return [
    ...pairs(
      'absolute-value inequality',
      `(${c - r}, ${c + r})`,
      [
        ['absolute-value inequality', `${bars} < ${r}`],
        ['chain', `${c - r} < x < ${c + r}`],
      ],
      different,
    ),
    ...pairs(
      'absolute-value inequality',
      `(-\\infty, ${c - r}] \\cup [${c + r}, \\infty)`,
      [
        ['absolute-value inequality', `${bars} \\ge ${r}`],
        ['inequalities joined by or', `x \\le ${c - r} \\text{ or } x \\ge ${c + r}`],
      ],
      [
        ['strict for closed', `${bars} > ${r}`],
        ['inside for outside', `${bars} \\le ${r}`],
      ],
    ),
  ];
};

const absoluteValue: Family = (rnd) => {
  const a = nonzero(rnd, -6, 6);
  const n = pick(rnd, [2, 4]);
  const v = pick(rnd, ['x', 't', 'y']);
  return [
    ...pairs(
      'sign and domain',
      `|${v}|`,
      [
        ['square root of a square', `\\sqrt{${v}^2}`],
        ['left right bars', `\\left|${v}\\right|`],
      ],
      [
        ['no absolute value', v],
        ['negated', `-${v}`],
      ],
    ),
    ...pairs(
      'sign and domain',
      `|${v} ${a < 0 ? '-' : '+'} ${Math.abs(a)}|`,
      [['sign inside swapped', `|${-a} - ${v}|`]],
      [['no absolute value', `${v} ${a < 0 ? '-' : '+'} ${Math.abs(a)}`]],
    ),
    ...pairs(
      'sign and domain',
      `${v}^{${n}}`,
      [['power of the negative', `(-${v})^{${n}}`]],
      [
        ['odd power', `${v}^{${n + 1}}`],
        ['absolute value of an odd power', `|${v}|^{${n + 1}}`],
        ['negated', `-${v}^{${n}}`],
      ],
    ),
    ...pairs(
      'sign and domain',
      `|${v}|^{3}`,
      [['root of the sixth power', `\\sqrt{${v}^{6}}`]],
      [['odd power', `${v}^{3}`]],
    ),
  ];
};

const trig: Family = (rnd) => {
  const v = pick(rnd, ['x', '\\theta']);
  const k = int(rnd, 2, 5);
  return [
    ...pairs(
      'trigonometry',
      `\\sin ${2}${v}`,
      [['double angle', `2\\sin ${v}\\cos ${v}`]],
      [
        ['factor outside', `2\\sin ${v}`],
        ['cosine', `\\cos 2${v}`],
      ],
    ),
    ...pairs(
      'trigonometry',
      `${k}`,
      [['Pythagorean identity', `${k}\\sin^2 ${v} + ${k}\\cos^2 ${v}`]],
      [['difference for sum', `${k}\\sin^2 ${v} - ${k}\\cos^2 ${v}`]],
    ),
  ];
};

const complex: Family = (rnd) => {
  const a = nonzero(rnd, -9, 9);
  const b = nonzero(rnd, -9, 9);
  const gold = `${a} ${b < 0 ? '-' : '+'} ${Math.abs(b)}i`;
  return pairs(
    'complex',
    gold,
    [
      ['reordered', `${b}i ${a < 0 ? '-' : '+'} ${Math.abs(a)}`],
      ['i times the coefficient', `${a} ${b < 0 ? '-' : '+'} ${Math.abs(b)} \\cdot i`],
    ],
    [
      ['conjugate', `${a} ${b < 0 ? '+' : '-'} ${Math.abs(b)}i`],
      ['real part off by one', `${a + 1} ${b < 0 ? '-' : '+'} ${Math.abs(b)}i`],
      ['imaginary part dropped', `${a}`],
    ],
  );
};

const percent: Family = (rnd) => {
  const p = int(rnd, 1, 99);
  return pairs(
    'percent',
    `${p}\\%`,
    [
      ['decimal', `${p / 100}`],
      ['word', `${p} percent`],
      ['fraction of a hundred', `\\frac{${p}}{100}`],
    ],
    [
      ['off by one', `${p + 1}\\%`],
      ['decimal off by one', `${(p + 1) / 100}`],
    ],
  );
};

const equation: Family = (rnd) => {
  const m = nonzero(rnd, -6, 6);
  const c = nonzero(rnd, -9, 9);
  const rhs = poly([c, m], [1, 0]);
  return [
    ...pairs(
      'equation',
      `y = ${rhs}`,
      [
        ['terms reordered', `y = ${poly([c, m], [0, 1])}`],
        ['sides swapped', `${rhs} = y`],
      ],
      [
        ['constant sign', `y = ${poly([-c, m], [1, 0])}`],
        ['slope off by one', `y = ${poly([c, m + 1], [1, 0])}`],
      ],
    ),
    ...pairs(
      'equation',
      `x = ${c}`,
      [['value alone', `${c}`]],
      [
        ['value off by one', `x = ${c + 1}`],
        ['sign', `${-c}`],
      ],
    ),
  ];
};

const matrix: Family = (rnd) => {
  const [a, b, c, d] = distinct(rnd, 4, -9, 9) as [number, number, number, number];
  const m = (w: number, x: number, y: number, z: number, env = 'pmatrix') =>
    `\\begin{${env}} ${w} & ${x} \\\\ ${y} & ${z} \\end{${env}}`;
  return pairs(
    'matrix',
    m(a, b, c, d),
    [
      ['bmatrix', m(a, b, c, d, 'bmatrix')],
      ['entry as a fraction', m(a, b, c, d).replace(` ${a} &`, ` \\frac{${2 * a}}{2} &`)],
    ],
    [
      ['transposed', m(a, c, b, d)],
      ['entry off by one', m(a, b, c, d + 1)],
      ['negated', m(-a, -b, -c, -d)],
    ],
  );
};

const algebra: Family = (rnd) => {
  // Three distinct nonzero roots in -6..6.
  const [a, b, c] = distinct(rnd, 3, 1, 12).map((x) => (x <= 6 ? x - 7 : x - 6)) as [number, number, number];
  // (x + a)(x + b)(x + c), expanded by hand.
  const cubic = [a * b * c, a * b + b * c + a * c, a + b + c, 1];
  const k = int(rnd, 2, 5);
  const m = nonzero(rnd, -6, 6);
  const s = int(rnd, 2, 9);
  const p = pick(rnd, [2, 3, 5]);
  const r = pick(
    rnd,
    [3, 5, 7].filter((x) => x !== p),
  );
  const high = int(rnd, 6, 8);
  return [
    ...pairs(
      'algebra',
      poly(cubic, [3, 2, 1, 0]),
      [
        ['factored', `${linear(1, a)}${linear(1, b)}${linear(1, c)}`],
        ['terms reordered', poly(cubic, [0, 1, 2, 3])],
      ],
      [
        ['sign of a factor', `${linear(1, -a)}${linear(1, b)}${linear(1, c)}`],
        ['a factor dropped', `${linear(1, a)}${linear(1, b)}`],
        [
          'a coefficient off by one',
          poly(
            cubic.map((v, i) => (i === 1 ? v + 1 : v)),
            [3, 2, 1, 0],
          ),
        ],
      ],
    ),
    ...pairs(
      'algebra',
      poly([0, k * m, k], [2, 1]),
      [['common factor taken out', `${k}x${linear(1, m)}`]],
      [
        ['common factor dropped', `x${linear(1, m)}`],
        ['square of a sum for a product', `${k}${linear(1, m)}^{2}`],
      ],
    ),
    ...pairs(
      'algebra',
      `(x ${m < 0 ? '-' : '+'} ${Math.abs(m)})^{2}`,
      [['expanded', poly([m * m, 2 * m, 1], [2, 1, 0])]],
      [
        ['middle term dropped', poly([m * m, 0, 1], [2, 0])],
        ['sign of the middle term', poly([m * m, -2 * m, 1], [2, 1, 0])],
      ],
    ),
    ...pairs(
      'algebra',
      `\\frac{1}{x ${m < 0 ? '-' : '+'} ${Math.abs(m)}}`,
      [['negative power', `(x ${m < 0 ? '-' : '+'} ${Math.abs(m)})^{-1}`]],
      [['split over the sum', `\\frac{1}{x} ${m < 0 ? '-' : '+'} \\frac{1}{${Math.abs(m)}}`]],
    ),
    ...pairs(
      'algebra',
      `\\sqrt{x + ${s * s}}`,
      [['power one half', `(x + ${s * s})^{1/2}`]],
      [['root split over the sum', `\\sqrt{x} + ${s}`]],
    ),
    ...pairs(
      'algebra',
      `\\ln ${p * r}`,
      [
        ['product rule', `\\ln ${p} + \\ln ${r}`],
        ['log of a product', `\\ln(${p}\\cdot ${r})`],
      ],
      [
        ['product of logs', `\\ln ${p} \\cdot \\ln ${r}`],
        ['difference of logs', `\\ln ${r} - \\ln ${p}`],
      ],
    ),
    // Terms near 1e16 at the far points that cancel to a small constant.
    ...pairs(
      'algebra',
      `${k * k}`,
      [['difference of squares', `x^{${2 * high}} - (x^{${high}} - ${k})(x^{${high}} + ${k})`]],
      [['constant off by one', `x^{${2 * high}} - (x^{${high}} - ${k})(x^{${high}} + ${k}) + 1`]],
    ),
    ...pairs(
      'algebra',
      `${k}a + ${k + 1}b`,
      [['terms reordered', `${k + 1}b + ${k}a`]],
      [['coefficients swapped', `${k + 1}a + ${k}b`]],
    ),
  ];
};

const decimalOrList: Family = (rnd) => {
  const a = int(rnd, 1, 99);
  const b = int(rnd, 1, 99);
  return [
    ...pairs(
      'decimal or list',
      `${a}.${b}`,
      [['decimal comma', `${a},${b}`]],
      [
        ['list of the two parts', `${a}, ${b}`],
        ['other decimal', `${a}.${b + 1}`],
      ],
    ),
    // MATH writes lists without spaces: a reference `1,2` is two values, never 1.2.
    ...pairs(
      'decimal or list',
      `${a},${b}`,
      [['spaced', `${a}, ${b}`]],
      [['read as a decimal', `${a}.${b}`]],
    ),
    ...pairs('decimal or list', `${a}`, [], [['with a zero', `${a},0`]]),
  ];
};

const plusMinus: Family = (rnd) => {
  const a = int(rnd, 1, 20);
  const b = pick(rnd, SQUAREFREE);
  return [
    ...pairs(
      'plus or minus',
      `\\pm ${a}`,
      [
        ['both values', `${a}, -${a}`],
        ['as a set', `\\{-${a}, ${a}\\}`],
      ],
      [
        ['one value', `${a}`],
        ['off by one', `\\pm ${a + 1}`],
      ],
    ),
    ...pairs(
      'plus or minus',
      `${a} \\pm \\sqrt{${b}}`,
      [['both values', `${a} + \\sqrt{${b}}, ${a} - \\sqrt{${b}}`]],
      [
        ['one value', `${a} + \\sqrt{${b}}`],
        ['radicand off by one', `${a} \\pm \\sqrt{${b + 1}}`],
      ],
    ),
  ];
};

export const FAMILIES: Readonly<Record<string, Family>> = {
  integer,
  fraction,
  scientific,
  surd,
  polynomial,
  set: setFamily,
  tuple,
  interval,
  'sign and domain': absoluteValue,
  'absolute-value inequality': absoluteInequality,
  trigonometry: trig,
  complex,
  percent,
  equation,
  matrix,
  algebra,
  'plus or minus': plusMinus,
  'decimal or list': decimalOrList,
};

/** `rounds` draws of every family from `seed`: the same pairs for the same arguments. */
export function generatePairs(seed: number, rounds: number): LabelledPair[] {
  const rnd = mulberry32(seed);
  const out: LabelledPair[] = [];
  for (let r = 0; r < rounds; r++) for (const family of Object.values(FAMILIES)) out.push(...family(rnd));
  return out;
}
