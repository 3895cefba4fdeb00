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
    const [a, d, n] = magnitudeInts(rng, level, 3, 2) as [number, number, number];
    return [rng.next() < 0.3 ? -a : a, rng.next() < 0.3 ? -d : d, n];
  },
  levelOf: magnitudeLevel,
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

const quadratic: Family = {
  id: 'algebra.quadratic-roots',
  subject: 'Algebra',
  skill: 'quadratic equations',
  ease: 0.9,
  generate(rng, level) {
    const [r, s] = magnitudeInts(rng, level, 2, 1, true) as [number, number];
    return [-(r + s) || 0, r * s];
  },
  levelOf: ([b, c]) => {
    const disc = b! * b! - 4 * c!;
    const root = Math.sqrt(disc);
    return magnitudeLevel([(-b! + root) / 2, (-b! - root) / 2]);
  },
  render: ([b, c]) =>
    `the sum of the squares of the roots of $${polynomial([
      [1, 'x^2'],
      [b!, 'x'],
      [c!, ''],
    ])} = 0$`,
  parse(np) {
    const m = /^the sum of the squares of the roots of \$(.+) = 0\$$/.exec(np);
    const p = m && parsePolynomial(m[1]!, ['x^2', 'x', '']);
    if (p?.[0] !== 1) return null;
    const disc = p[1]! * p[1]! - 4 * p[2]!;
    return disc >= 0 && Number.isInteger(Math.sqrt(disc)) ? [p[1]!, p[2]!] : null;
  },
  solve([b, c]) {
    const sum = -b!;
    const value = Rat.int(sum * sum - 2 * c!);
    return {
      value,
      steps: [
        `By Vieta's formulas the roots $r, s$ satisfy $r + s = ${sum}$ and $rs = ${c}$.`,
        `So $r^2 + s^2 = (r+s)^2 - 2rs = ${sum * sum} - ${2 * c! < 0 ? `(${2 * c!})` : 2 * c!} = ${value.toLatex()}$.`,
      ],
    };
  },
};

export const algebraFamilies: Family[] = [linear, arithmeticSequence, composition, quadratic];
