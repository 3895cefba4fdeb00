import { Rat } from '../rational.js';
import { type Family, magnitudeInts, magnitudeLevel, parsePolynomial, polynomial, toInts } from './family.js';

const linear: Family = {
  id: 'algebra.linear',
  subject: 'Algebra',
  skill: 'linear equations',
  ease: 0.96,
  generate(rng, level) {
    for (;;) {
      const [a, b, c, d] = magnitudeInts(rng, level, 4, 1, true) as [number, number, number, number];
      if (a !== c) return [a, b, c, d];
    }
  },
  levelOf: magnitudeLevel,
  render: ([a, b, c, d]) =>
    `the value of $x$ that satisfies $${polynomial([
      [a!, 'x'],
      [b!, ''],
    ])} = ${polynomial([
      [c!, 'x'],
      [d!, ''],
    ])}$`,
  parse(np) {
    const m = /^the value of \$x\$ that satisfies \$(.+) = (.+)\$$/.exec(np);
    if (!m) return null;
    const left = parsePolynomial(m[1]!, ['x', '']);
    const right = parsePolynomial(m[2]!, ['x', '']);
    if (!left || !right || left[0] === right[0]) return null;
    return [left[0]!, left[1]!, right[0]!, right[1]!];
  },
  solve([a, b, c, d]) {
    const value = new Rat(d! - b!, a! - c!);
    return {
      value,
      steps: [
        `Collect the $x$ terms on the left and the constants on the right: $${a! - c!}x = ${d! - b!}$.`,
        `Dividing by $${a! - c!}$ gives $x = ${value.toLatex()}$.`,
      ],
    };
  },
};

const arithmeticSequence: Family = {
  id: 'algebra.arithmetic-sequence',
  subject: 'Algebra',
  skill: 'arithmetic sequences',
  ease: 0.95,
  generate(rng, level) {
    const [d, n] = magnitudeInts(rng, level, 2, 2) as [number, number];
    // The first term does not set the level (the difference and position do).
    return [rng.int(-99, 99), rng.next() < 0.3 ? -d : d, n];
  },
  levelOf: ([, d, n]) => magnitudeLevel([d!, n!]),
  render: ([a, d, n]) =>
    `the term in position $${n}$ of the arithmetic sequence whose first term is $${a}$ and whose common difference is $${d}$`,
  parse(np) {
    const m =
      /^the term in position \$(\d+)\$ of the arithmetic sequence whose first term is \$(-?\d+)\$ and whose common difference is \$(-?\d+)\$$/.exec(
        np,
      );
    const v = m && toInts([m[2], m[3], m[1]]);
    return v && v[2]! >= 1 ? v : null;
  },
  solve([a, d, n]) {
    const value = Rat.int(a! + (n! - 1) * d!);
    return {
      value,
      steps: [
        `The term in position $n$ is $a_1 + (n-1)d$.`,
        `Here that is $${a} + ${n! - 1} \\cdot ${d! < 0 ? `(${d})` : d} = ${value.toLatex()}$.`,
      ],
    };
  },
};

const composition: Family = {
  id: 'algebra.composition',
  subject: 'Algebra',
  skill: 'functions and composition',
  ease: 0.94,
  generate: (rng, level) => magnitudeInts(rng, level, 5, 1, true),
  levelOf: magnitudeLevel,
  render: ([a, b, c, d, t]) =>
    `the value of $f(g(${t}))$, where $f(x) = ${polynomial([
      [a!, 'x'],
      [b!, ''],
    ])}$ and $g(x) = ${polynomial([
      [c!, 'x'],
      [d!, ''],
    ])}$`,
  parse(np) {
    const m = /^the value of \$f\(g\((-?\d+)\)\)\$, where \$f\(x\) = (.+)\$ and \$g\(x\) = (.+)\$$/.exec(np);
    if (!m) return null;
    const f = parsePolynomial(m[2]!, ['x', '']);
    const g = parsePolynomial(m[3]!, ['x', '']);
    if (!f || !g) return null;
    return [f[0]!, f[1]!, g[0]!, g[1]!, Number(m[1])];
  },
  solve([a, b, c, d, t]) {
    const inner = c! * t! + d!;
    const value = Rat.int(a! * inner + b!);
    return {
      value,
      steps: [`First $g(${t}) = ${inner}$.`, `Then $f(${inner}) = ${value.toLatex()}$.`],
    };
  },
};

const ROOT_POWER = { 2: 'squares', 3: 'cubes' } as const;

// [q, k, b, c]: the sum of the q-th powers of the roots of kx^2 + bx + c = 0, with integer roots.
const quadratic: Family = {
  id: 'algebra.quadratic-roots',
  subject: 'Algebra',
  skill: 'quadratic equations',
  ease: 0.9,
  generate(rng, level) {
    const [r, s] = magnitudeInts(rng, level, 2, 1, true) as [number, number];
    const k = rng.next() < 0.4 ? 1 : rng.int(2, 9);
    return [rng.next() < 0.6 ? 2 : 3, k, -k * (r + s) || 0, k * r * s || 0];
  },
  levelOf: ([, k, b, c]) => {
    const [p, q] = [b! / k!, c! / k!];
    const root = Math.sqrt(p * p - 4 * q);
    return magnitudeLevel([(-p + root) / 2, (-p - root) / 2]);
  },
  render: ([q, k, b, c]) =>
    `the sum of the ${ROOT_POWER[q as 2 | 3]} of the roots of $${polynomial([
      [k!, 'x^2'],
      [b!, 'x'],
      [c!, ''],
    ])} = 0$`,
  parse(np) {
    const m = /^the sum of the (squares|cubes) of the roots of \$(.+) = 0\$$/.exec(np);
    const p = m && parsePolynomial(m[2]!, ['x^2', 'x', '']);
    if (!p || p[0]! < 1 || p[1]! % p[0]! !== 0 || p[2]! % p[0]! !== 0) return null;
    const [k, b, c] = p as [number, number, number];
    const disc = (b / k) ** 2 - (4 * c) / k;
    return disc >= 0 && Number.isInteger(Math.sqrt(disc)) ? [m[1] === 'squares' ? 2 : 3, k, b, c] : null;
  },
  solve([q, k, b, c]) {
    const [sum, product] = [-b! / k!, c! / k!];
    const value = Rat.int(q === 2 ? sum * sum - 2 * product : sum ** 3 - 3 * product * sum);
    const vieta = `By Vieta's formulas the roots $r, s$ satisfy $r + s = ${sum}$ and $rs = ${product}$.`;
    const paren = (x: number) => (x < 0 ? `(${x})` : String(x));
    return {
      value,
      steps:
        q === 2
          ? [
              vieta,
              `So $r^2 + s^2 = (r+s)^2 - 2rs = ${sum * sum} - ${paren(2 * product)} = ${value.toLatex()}$.`,
            ]
          : [
              vieta,
              `So $r^3 + s^3 = (r+s)^3 - 3rs(r+s) = ${paren(sum ** 3)} - ${paren(3 * product * sum)} = ${value.toLatex()}$.`,
            ],
    };
  },
};

export const algebraFamilies: Family[] = [linear, arithmeticSequence, composition, quadratic];
