import { Rat } from '../rational.js';
import { clampLevel, type Family, gcd, magnitudeInts, magnitudeLevel, toInts } from './family.js';

function modPow(base: number, exp: number, mod: number): number {
  let result = 1n;
  let b = BigInt(base) % BigInt(mod);
  let e = BigInt(exp);
  const m = BigInt(mod);
  while (e > 0n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return Number(result);
}

const modularPower: Family = {
  id: 'number-theory.modular-power',
  subject: 'Number Theory',
  skill: 'modular exponentiation',
  ease: 0.9,
  generate(rng, level) {
    const [n] = magnitudeInts(rng, level, 1, 2);
    // The base and modulus do not set the level (the exponent does), so they range widely.
    return [rng.int(2, 40 + 20 * level), n! + 3, rng.int(3, 20 + 10 * level)];
  },
  levelOf: ([, n]) => magnitudeLevel([n! - 3]),
  render: ([a, n, m]) => `the remainder when $${a}^{${n}}$ is divided by $${m}$`,
  parse(np) {
    const m = /^the remainder when \$(\d+)\^\{(\d+)\}\$ is divided by \$(\d+)\$$/.exec(np);
    const v = m && toInts([m[1], m[2], m[3]]);
    return v && v[2]! >= 2 && v[1]! <= 10_000 ? v : null;
  },
  solve([a, n, m]) {
    const value = Rat.int(modPow(a!, n!, m!));
    return {
      value,
      steps: [
        `Reduce by repeated squaring modulo $${m}$: $${a} \\equiv ${a! % m!} \\pmod{${m}}$.`,
        `Working through the binary expansion of $${n}$ gives $${a}^{${n}} \\equiv ${value.toLatex()} \\pmod{${m}}$.`,
      ],
    };
  },
};

const gcdOf = (xs: number[]) => xs.reduce((g, x) => gcd(g, x));

/** "$12$ and $18$", "$12$, $18$ and $30$". */
const numberList = (xs: number[]) =>
  `${xs
    .slice(0, -1)
    .map((x) => `$${x}$`)
    .join(', ')} and $${xs.at(-1)}$`;

// Two or three numbers: g times coprime cofactors, so that the level is read back from them.
const greatestCommonDivisor: Family = {
  id: 'number-theory.gcd',
  subject: 'Number Theory',
  skill: 'GCD and LCM',
  ease: 0.95,
  generate(rng, level) {
    const count = rng.next() < 0.4 ? 2 : 3;
    for (;;) {
      const [g, ...cofactors] = magnitudeInts(rng, level, 1 + count, 2);
      if (gcdOf(cofactors) === 1 && new Set(cofactors).size === count) return cofactors.map((x) => g! * x);
    }
  },
  levelOf(xs) {
    const g = gcdOf(xs);
    return magnitudeLevel([g, ...xs.map((x) => x / g)]);
  },
  render: (xs) => `the greatest common divisor of ${numberList(xs)}`,
  parse(np) {
    const m = /^the greatest common divisor of \$(\d+)\$(?:, \$(\d+)\$)? and \$(\d+)\$$/.exec(np);
    const v = m && toInts(m.slice(1).filter((x) => x !== undefined));
    return v?.every((x) => x > 0) ? v : null;
  },
  solve(xs) {
    const value = Rat.int(gcdOf(xs));
    return {
      value,
      steps: [
        `By the Euclidean algorithm on ${numberList(xs)}, the last nonzero remainder is $${value.toLatex()}$.`,
      ],
    };
  },
};

const SMALL_PRIMES = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37];

function primeFactorCount(n: number): number {
  let count = 0;
  for (let p = 2; p * p <= n; p++) {
    while (n % p === 0) {
      n /= p;
      count++;
    }
  }
  return n > 1 ? count + 1 : count;
}

/** The number (`power` 0) or the sum (`power` 1) of the positive divisors of n. */
function divisorSum(n: number, power: 0 | 1): number {
  let total = 1;
  let m = n;
  for (let p = 2; p * p <= m; p++) {
    let term = 1;
    let sum = 1;
    while (m % p === 0) {
      m /= p;
      term *= power === 0 ? 1 : p;
      sum += term;
    }
    total *= sum;
  }
  return m > 1 ? total * (1 + (power === 0 ? 1 : m)) : total;
}

const DIVISOR_QUESTION = ['number of', 'sum of the'] as const;

// [0, n]: how many positive divisors n has; [1, n]: their sum.
const divisors: Family = {
  id: 'number-theory.divisor-count',
  subject: 'Number Theory',
  skill: 'counting divisors',
  ease: 0.92,
  generate(rng, level) {
    for (;;) {
      let n = 1;
      for (let i = 0; i <= level; i++) n *= rng.pick(SMALL_PRIMES);
      if (n < 1e9) return [rng.next() < 0.6 ? 0 : 1, n];
    }
  },
  // The level is the number of prime factors (with multiplicity) minus one.
  levelOf: ([, n]) => clampLevel(primeFactorCount(n!) - 1),
  render: ([q, n]) => `the ${DIVISOR_QUESTION[q!]} positive divisors of $${n}$`,
  parse(np) {
    const m = /^the (number of|sum of the) positive divisors of \$(\d+)\$$/.exec(np);
    const v = m && toInts([m[2]]);
    return v && v[0]! >= 1 && v[0]! < 1e9 ? [m[1] === 'number of' ? 0 : 1, v[0]!] : null;
  },
  solve([q, n]) {
    const value = Rat.int(divisorSum(n!, q as 0 | 1));
    return {
      value,
      steps: [
        q === 0
          ? `Factor $${n}$ into primes; the number of divisors is the product of one more than each exponent, which is $${value.toLatex()}$.`
          : `Factor $${n}$ into primes $\\prod p^e$; the sum of the divisors is $\\prod (1 + p + \\cdots + p^e) = ${value.toLatex()}$.`,
      ],
    };
  },
};

const baseConversion: Family = {
  id: 'number-theory.base-conversion',
  subject: 'Number Theory',
  skill: 'number bases',
  ease: 0.93,
  generate(rng, level) {
    const base = rng.int(2, 9);
    return [base, rng.int(base ** level, base ** (level + 1) - 1)];
  },
  levelOf: ([base, v]) => clampLevel(Math.floor(Math.log(v!) / Math.log(base!) + 1e-9)),
  render: ([base, v]) => `the base-ten value of the base-$${base}$ number $${v!.toString(base!)}_{${base}}$`,
  parse(np) {
    const m = /^the base-ten value of the base-\$(\d)\$ number \$(\d+)_\{(\d)\}\$$/.exec(np);
    if (!m || m[1] !== m[3]) return null;
    const base = Number(m[1]);
    if (base < 2 || [...m[2]!].some((d) => Number(d) >= base)) return null;
    return [base, Number.parseInt(m[2]!, base)];
  },
  solve([base, v]) {
    const digits = v!.toString(base!);
    const expansion = [...digits].map((d, i) => `${d} \\cdot ${base}^{${digits.length - 1 - i}}`).join(' + ');
    return { value: Rat.int(v!), steps: [`Expand by place value: $${expansion} = ${v}$.`] };
  },
};

export const numberTheoryFamilies: Family[] = [modularPower, greatestCommonDivisor, divisors, baseConversion];
