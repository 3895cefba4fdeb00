import { Rat } from '../rational.js';

import {
  clampLevel,
  type Family,
  gcd,
  magnitudeInts,
  magnitudeLevel,
  parsePolynomial,
  polynomial,
  toInts,
} from './family.js';

const vieta: Family = {
  id: 'intermediate.vieta-cubic',
  subject: 'Intermediate Algebra',
  skill: "polynomial roots and Vieta's formulas",
  ease: 0.9,
  generate: (rng, level) => magnitudeInts(rng, level, 4, 1, true),
  levelOf: magnitudeLevel,
  render: ([a, b, c, d]) =>
    `the sum of the products of the roots of $${polynomial([
      [a!, 'x^3'],
      [b!, 'x^2'],
      [c!, 'x'],
      [d!, ''],
    ])} = 0$ taken two at a time`,
  parse(np) {
    const m = /^the sum of the products of the roots of \$(.+) = 0\$ taken two at a time$/.exec(np);
    const p = m && parsePolynomial(m[1]!, ['x^3', 'x^2', 'x', '']);
    return p && p[0] !== 0 ? p : null;
  },
  solve([a, , c]) {
    const value = new Rat(c!, a!);
    return {
      value,
      steps: [
        `For $ax^3 + bx^2 + cx + d = 0$, Vieta's formulas give $r_1r_2 + r_1r_3 + r_2r_3 = \\frac{c}{a} = \\frac{${c}}{${a}} = ${value.toLatex()}$.`,
      ],
    };
  },
};

const geometricSeries: Family = {
  id: 'intermediate.geometric-series',
  subject: 'Intermediate Algebra',
  skill: 'sequences and series',
  ease: 0.9,
  generate(rng, level) {
    for (;;) {
      const [a, q] = magnitudeInts(rng, level, 2, 2) as [number, number];
      const p = rng.int(1, q - 1);
      // A reduced ratio, so that the text (which shows it in lowest terms) reads back the same.
      if (gcd(p, q) === 1) return [a, rng.next() < 0.3 ? -p : p, q];
    }
  },
  levelOf: ([a, , q]) => magnitudeLevel([a!, q!]),
  render: ([a, p, q]) =>
    `the sum of the infinite geometric series whose first term is $${a}$ and whose common ratio is $${new Rat(p!, q!).toLatex()}$`,
  parse(np) {
    const m =
      /^the sum of the infinite geometric series whose first term is \$(-?\d+)\$ and whose common ratio is \$(-?)\\frac\{(\d+)\}\{(\d+)\}\$$/.exec(
        np,
      );
    const v = m && toInts([m[1], m[3], m[4]]);
    if (!v || v[1]! >= v[2]! || v[1]! === 0) return null;
    return [v[0]!, m[2] === '-' ? -v[1]! : v[1]!, v[2]!];
  },
  solve([a, p, q]) {
    const r = new Rat(p!, q!);
    const value = Rat.int(a!).div(Rat.int(1).sub(r));
    return {
      value,
      steps: [
        `Since $|r| < 1$ the series converges to $\\frac{a}{1 - r}$.`,
        `Here $\\frac{${a}}{1 - ${r.toTerm()}} = ${value.toLatex()}$.`,
      ],
    };
  },
};

const remainderTheorem: Family = {
  id: 'intermediate.remainder-theorem',
  subject: 'Intermediate Algebra',
  skill: 'remainder and factor theorems',
  ease: 0.9,
  generate(rng, level) {
    const [a, b] = magnitudeInts(rng, level, 2, 1, true) as [number, number];
    return [2 + level, a, b, rng.signedInt(1, Math.min(3, level))];
  },
  levelOf: ([n]) => clampLevel(n! - 2),
  render: ([n, a, b, c]) =>
    `the remainder when $${polynomial([
      [1, `x^{${n}}`],
      [a!, 'x'],
      [b!, ''],
    ])}$ is divided by $${polynomial([
      [1, 'x'],
      [-c!, ''],
    ])}$`,
  parse(np) {
    const m = /^the remainder when \$(x\^\{(\d+)\}.*)\$ is divided by \$x ([+-]) (\d+)\$$/.exec(np);
    if (!m) return null;
    const n = Number(m[2]);
    const p = parsePolynomial(m[1]!, [`x^${n}`, 'x', '']);
    if (p?.[0] !== 1 || n < 2 || n > 12) return null;
    return [n, p[1]!, p[2]!, m[3] === '-' ? Number(m[4]) : -Number(m[4])];
  },
  solve([n, a, b, c]) {
    const value = Rat.int(BigInt(c!) ** BigInt(n!) + BigInt(a! * c! + b!));
    return {
      value,
      steps: [
        `By the remainder theorem the remainder is the value of the polynomial at $x = ${c}$.`,
        `That is $(${c})^{${n}} + ${a! * c! < 0 ? `(${a! * c!})` : a! * c!} + ${b! < 0 ? `(${b})` : b} = ${value.toLatex()}$.`,
      ],
    };
  },
};

// [b, k, m, 1]: log_b x + log_b m = k; [b, k, m, -1]: log_b x - log_b m = k.
const logarithm: Family = {
  id: 'intermediate.logarithm-equation',
  subject: 'Intermediate Algebra',
  skill: 'logarithms and exponentials',
  ease: 0.92,
  generate(rng, level) {
    const [m] = magnitudeInts(rng, level, 1, 2);
    return [rng.int(2, 15), rng.int(1, 6), m!, rng.next() < 0.6 ? 1 : -1];
  },
  levelOf: ([, , m]) => magnitudeLevel([m!]),
  render: ([b, k, m, sign]) =>
    `the value of $x$ that satisfies $\\log_{${b}} x ${sign === 1 ? '+' : '-'} \\log_{${b}} ${m} = ${k}$`,
  parse(np) {
    const m =
      /^the value of \$x\$ that satisfies \$\\log_\{(\d+)\} x ([+-]) \\log_\{(\d+)\} (\d+) = (\d+)\$$/.exec(
        np,
      );
    const v = m && toInts([m[1], m[5], m[4]]);
    return v && m[1] === m[3] && v[0]! >= 2 && v[1]! <= 12 && v[2]! >= 1
      ? [...v, m[2] === '+' ? 1 : -1]
      : null;
  },
  solve([b, k, m, sign]) {
    const power = BigInt(b!) ** BigInt(k!);
    if (sign === 1) {
      const value = new Rat(power, BigInt(m!));
      return {
        value,
        steps: [
          `Combine the logarithms: $\\log_{${b}} (${m}x) = ${k}$, so $${m}x = ${b}^{${k}}$.`,
          `Hence $x = \\frac{${b}^{${k}}}{${m}} = ${value.toLatex()}$.`,
        ],
      };
    }
    const value = Rat.int(power * BigInt(m!));
    return {
      value,
      steps: [
        `Combine the logarithms: $\\log_{${b}} \\frac{x}{${m}} = ${k}$, so $x = ${m} \\cdot ${b}^{${k}}$.`,
        `Hence $x = ${value.toLatex()}$.`,
      ],
    };
  },
};

export const intermediateFamilies: Family[] = [vieta, geometricSeries, remainderTheorem, logarithm];
