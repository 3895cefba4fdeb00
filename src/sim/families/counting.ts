import { Rat } from '../rational.js';
import {
  binomial,
  clampLevel,
  type Family,
  factorial,
  magnitudeInts,
  magnitudeLevel,
  toInts,
} from './family.js';

const combinations: Family = {
  id: 'counting.combinations',
  subject: 'Counting & Probability',
  skill: 'combinations',
  ease: 0.95,
  generate(rng, level) {
    const n = 3 + 3 * level + rng.int(0, 2);
    return [n, rng.int(2, Math.max(2, Math.floor(n / 2)))];
  },
  levelOf: ([n]) => clampLevel(Math.floor((n! - 3) / 3)),
  render: ([n, k]) =>
    `the number of ways to choose a committee of $${k}$ people from a group of $${n}$ people`,
  parse(np) {
    const m =
      /^the number of ways to choose a committee of \$(\d+)\$ people from a group of \$(\d+)\$ people$/.exec(
        np,
      );
    const v = m && toInts([m[2], m[1]]);
    return v && v[1]! <= v[0]! && v[0]! <= 40 ? v : null;
  },
  solve([n, k]) {
    const value = Rat.int(binomial(n!, k!));
    return {
      value,
      steps: [
        `Order does not matter, so the count is $\\binom{${n}}{${k}} = \\frac{${n}!}{${k}!\\,${n! - k!}!} = ${value.toLatex()}$.`,
      ],
    };
  },
};

const multipleProbability: Family = {
  id: 'counting.multiple-probability',
  subject: 'Counting & Probability',
  skill: 'probability of events',
  ease: 0.93,
  generate(rng, level) {
    const [n] = magnitudeInts(rng, level, 1, 2);
    const nn = n! * 4 + rng.int(0, 3);
    return [nn, rng.int(2, Math.max(3, Math.min(12, Math.floor(nn / 3))))];
  },
  levelOf: ([n]) => magnitudeLevel([Math.floor(n! / 4)]),
  render: ([n, m]) =>
    `the probability that an integer chosen uniformly at random from $1$ to $${n}$ inclusive is a multiple of $${m}$`,
  parse(np) {
    const m =
      /^the probability that an integer chosen uniformly at random from \$1\$ to \$(\d+)\$ inclusive is a multiple of \$(\d+)\$$/.exec(
        np,
      );
    const v = m && toInts([m[1], m[2]]);
    return v && v[0]! >= 1 && v[1]! >= 1 ? v : null;
  },
  solve([n, m]) {
    const count = Math.floor(n! / m!);
    const value = new Rat(count, n!);
    return {
      value,
      steps: [
        `The multiples of $${m}$ up to $${n}$ are $${m}, ${2 * m!}, \\ldots$; there are $\\lfloor ${n}/${m} \\rfloor = ${count}$ of them.`,
        `The probability is $\\frac{${count}}{${n}} = ${value.toLatex()}$.`,
      ],
    };
  },
};

const beads: Family = {
  id: 'counting.bead-arrangements',
  subject: 'Counting & Probability',
  skill: 'arrangements with repetition',
  ease: 0.9,
  generate(rng, level) {
    const total = 3 + 2 * level;
    const r = rng.int(1, total - 2);
    const b = rng.int(1, total - r - 1);
    return [r, b, total - r - b];
  },
  levelOf: ([r, b, g]) => clampLevel((r! + b! + g! - 3) / 2),
  render: ([r, b, g]) =>
    `the number of distinct arrangements in a row of $${r}$ identical red beads, $${b}$ identical blue beads and $${g}$ identical green beads`,
  parse(np) {
    const m =
      /^the number of distinct arrangements in a row of \$(\d+)\$ identical red beads, \$(\d+)\$ identical blue beads and \$(\d+)\$ identical green beads$/.exec(
        np,
      );
    const v = m && toInts([m[1], m[2], m[3]]);
    return v && v[0]! + v[1]! + v[2]! <= 30 ? v : null;
  },
  solve([r, b, g]) {
    const n = r! + b! + g!;
    const value = Rat.int(factorial(n) / (factorial(r!) * factorial(b!) * factorial(g!)));
    return {
      value,
      steps: [
        `There are $${n}$ beads in all; dividing by the orders of the identical beads gives $\\frac{${n}!}{${r}!\\,${b}!\\,${g}!} = ${value.toLatex()}$.`,
      ],
    };
  },
};

const diceExpectation: Family = {
  id: 'counting.dice-expectation',
  subject: 'Counting & Probability',
  skill: 'expected value',
  ease: 0.92,
  generate(rng, level) {
    const [n, m] = magnitudeInts(rng, level, 2, 2) as [number, number];
    return [n, Math.max(4, m)];
  },
  levelOf: magnitudeLevel,
  render: ([n, m]) =>
    `the expected value of the sum of $${n}$ rolls of a fair $${m}$-sided die whose faces are numbered $1$ through $${m}$`,
  parse(np) {
    const m =
      /^the expected value of the sum of \$(\d+)\$ rolls of a fair \$(\d+)\$-sided die whose faces are numbered \$1\$ through \$(\d+)\$$/.exec(
        np,
      );
    const v = m && toInts([m[1], m[2]]);
    return v && m[2] === m[3] ? v : null;
  },
  solve([n, m]) {
    const value = new Rat(n! * (m! + 1), 2);
    return {
      value,
      steps: [
        `One roll has expected value $\\frac{1 + ${m}}{2} = ${new Rat(m! + 1, 2).toLatex()}$.`,
        `By linearity of expectation the sum of $${n}$ rolls has expected value $${n} \\cdot ${new Rat(m! + 1, 2).toLatex()} = ${value.toLatex()}$.`,
      ],
    };
  },
};

export const countingFamilies: Family[] = [combinations, multipleProbability, beads, diceExpectation];
