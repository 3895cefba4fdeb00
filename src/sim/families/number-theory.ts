import { Rat } from '../rational.js';
import { clampLevel, type Family, magnitudeInts, magnitudeLevel, toInts } from './family.js';

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

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return Math.abs(a);
}

const modularPower: Family = {
  id: 'number-theory.modular-power',
  subject: 'Number Theory',
  skill: 'modular exponentiation',
  ease: 0.9,
  generate(rng, level) {
    const [n] = magnitudeInts(rng, level, 1, 2);
    return [rng.int(2, 9 + level), n! + 3, rng.int(3, 6 + 3 * level)];
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

const greatestCommonDivisor: Family = {
  id: 'number-theory.gcd',
  subject: 'Number Theory',
  skill: 'GCD and LCM',
  ease: 0.95,
  generate(rng, level) {
    for (;;) {
      const [g, x, y] = magnitudeInts(rng, level, 3, 2) as [number, number, number];
      // Coprime cofactors, so that the level can be read back from gcd and cofactors.
      if (gcd(x, y) === 1) return [g * x, g * y];
    }
  },
  levelOf([a, b]) {
    const g = gcd(a!, b!);
    return magnitudeLevel([g, a! / g, b! / g]);
  },
  render: ([a, b]) => `the greatest common divisor of $${a}$ and $${b}$`,
  parse(np) {
    const m = /^the greatest common divisor of \$(\d+)\$ and \$(\d+)\$$/.exec(np);
    const v = m && toInts([m[1], m[2]]);
    return v && v[0]! > 0 && v[1]! > 0 ? v : null;
  },
  solve([a, b]) {
    const value = Rat.int(gcd(a!, b!));
    return {
      value,
      steps: [
        `By the Euclidean algorithm on $${a}$ and $${b}$, the last nonzero remainder is $${value.toLatex()}$.`,
      ],
    };
  },
};

const SMALL_PRIMES = [2, 3, 5, 7, 11, 13];

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

function divisorCount(n: number): number {
  let count = 1;
  let m = n;
  for (let p = 2; p * p <= m; p++) {
    let e = 0;
    while (m % p === 0) {
      m /= p;
      e++;
    }
    count *= e + 1;
  }
  return m > 1 ? count * 2 : count;
}

const divisors: Family = {
  id: 'number-theory.divisor-count',
  subject: 'Number Theory',
  skill: 'counting divisors',
  ease: 0.92,
  generate(rng, level) {
    let n = 1;
    for (let i = 0; i <= level; i++) n *= rng.pick(SMALL_PRIMES);
    return [n];
  },
  // The level is the number of prime factors (with multiplicity) minus one.
  levelOf: ([n]) => clampLevel(primeFactorCount(n!) - 1),
  render: ([n]) => `the number of positive divisors of $${n}$`,
  parse(np) {
    const m = /^the number of positive divisors of \$(\d+)\$$/.exec(np);
    const v = m && toInts([m[1]]);
    return v && v[0]! >= 1 && v[0]! < 1e9 ? v : null;
  },
  solve([n]) {
    const value = Rat.int(divisorCount(n!));
    return {
      value,
      steps: [
        `Factor $${n}$ into primes; the number of divisors is the product of one more than each exponent, which is $${value.toLatex()}$.`,
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
