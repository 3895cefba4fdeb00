import { Rat } from '../rational.js';
import {
  binomial,
  clampLevel,
  type Family,
  factorial,
  lcm,
  magnitudeInts,
  magnitudeLevel,
  toInts,
} from './family.js';

/** The size of the group at each level: 3 + 3 × level up to 2 more. */
const groupLevel = (n: number) => clampLevel(Math.floor((n - 3) / 3));

// Two forms: one group ([n, k]), or a team drawn from two groups ([m, w, a, b]).
const combinations: Family = {
  id: 'counting.combinations',
  subject: 'Counting & Probability',
  skill: 'combinations',
  ease: 0.95,
  generate(rng, level) {
    const n = 3 + 3 * level + rng.int(0, 2);
    if (rng.next() < 0.2) return [n, rng.int(2, Math.max(2, Math.floor(n / 2)))];
    const m = rng.int(2, n - 2);
    return [m, n - m, rng.int(1, m), rng.int(1, n - m)];
  },
  levelOf: (p) => groupLevel(p.length === 2 ? p[0]! : p[0]! + p[1]!),
  render: (p) =>
    p.length === 2
      ? `the number of ways to choose a committee of $${p[1]}$ people from a group of $${p[0]}$ people`
      : `the number of ways to choose a team of $${p[2]}$ men and $${p[3]}$ women from a group of $${p[0]}$ men and $${p[1]}$ women`,
  parse(np) {
    const one =
      /^the number of ways to choose a committee of \$(\d+)\$ people from a group of \$(\d+)\$ people$/.exec(
        np,
      );
    if (one) {
      const v = toInts([one[2], one[1]]);
      return v && v[1]! <= v[0]! && v[0]! <= 40 ? v : null;
    }
    const two =
      /^the number of ways to choose a team of \$(\d+)\$ men and \$(\d+)\$ women from a group of \$(\d+)\$ men and \$(\d+)\$ women$/.exec(
        np,
      );
    const v = two && toInts([two[3], two[4], two[1], two[2]]);
    return v && v[2]! <= v[0]! && v[3]! <= v[1]! && v[0]! + v[1]! <= 40 ? v : null;
  },
  solve(p) {
    if (p.length === 2) {
      const [n, k] = p as [number, number];
      const value = Rat.int(binomial(n, k));
      return {
        value,
        steps: [
          `Order does not matter, so the count is $\\binom{${n}}{${k}} = \\frac{${n}!}{${k}!\\,${n - k}!} = ${value.toLatex()}$.`,
        ],
      };
    }
    const [m, w, a, b] = p as [number, number, number, number];
    const value = Rat.int(binomial(m, a) * binomial(w, b));
    return {
      value,
      steps: [
        `The men can be chosen in $\\binom{${m}}{${a}} = ${binomial(m, a)}$ ways and the women in $\\binom{${w}}{${b}} = ${binomial(w, b)}$ ways.`,
        `The choices are independent, so there are $${binomial(m, a)} \\cdot ${binomial(w, b)} = ${value.toLatex()}$ teams.`,
      ],
    };
  },
};

// [n, m] asks for a multiple of m; [n, m, l] for a multiple of m or of l.
const multipleProbability: Family = {
  id: 'counting.multiple-probability',
  subject: 'Counting & Probability',
  skill: 'probability of events',
  ease: 0.93,
  generate(rng, level) {
    const [n] = magnitudeInts(rng, level, 1, 2);
    const nn = n! * 4 + rng.int(0, 3);
    const top = Math.max(3, Math.min(12, Math.floor(nn / 3)));
    const m = rng.int(2, top);
    if (rng.next() < 0.3 || top < 3) return [nn, m];
    const l = rng.int(2, top - 1);
    return [nn, m, l >= m ? l + 1 : l];
  },
  levelOf: ([n]) => magnitudeLevel([Math.floor(n! / 4)]),
  render: ([n, m, l]) =>
    `the probability that an integer chosen uniformly at random from $1$ to $${n}$ inclusive is a multiple of $${m}$${l === undefined ? '' : ` or a multiple of $${l}$`}`,
  parse(np) {
    const m =
      /^the probability that an integer chosen uniformly at random from \$1\$ to \$(\d+)\$ inclusive is a multiple of \$(\d+)\$(?: or a multiple of \$(\d+)\$)?$/.exec(
        np,
      );
    const v = m && toInts(m[3] === undefined ? [m[1], m[2]] : [m[1], m[2], m[3]]);
    return v?.every((x) => x >= 1) && v[1] !== v[2] ? v : null;
  },
  solve([n, m, l]) {
    if (l === undefined) {
      const count = Math.floor(n! / m!);
      const value = new Rat(count, n!);
      return {
        value,
        steps: [
          `The multiples of $${m}$ up to $${n}$ are $${m}, ${2 * m!}, \\ldots$; there are $\\lfloor ${n}/${m} \\rfloor = ${count}$ of them.`,
          `The probability is $\\frac{${count}}{${n}} = ${value.toLatex()}$.`,
        ],
      };
    }
    const both = lcm(m!, l);
    const count = Math.floor(n! / m!) + Math.floor(n! / l) - Math.floor(n! / both);
    const value = new Rat(count, n!);
    return {
      value,
      steps: [
        `By inclusion-exclusion, the multiples of $${m}$ or $${l}$ up to $${n}$ number $\\lfloor ${n}/${m} \\rfloor + \\lfloor ${n}/${l} \\rfloor - \\lfloor ${n}/${both} \\rfloor = ${count}$.`,
        `The probability is $\\frac{${count}}{${n}} = ${value.toLatex()}$.`,
      ],
    };
  },
};

const BEAD_COLOURS = ['red', 'blue', 'green', 'yellow', 'white', 'black'];

/** "$2$ identical red beads, $3$ identical blue beads and $1$ identical green beads" for [2, 3, 1]. */
function beadList(counts: number[]): string {
  const items = counts.map((c, i) => `$${c}$ identical ${BEAD_COLOURS[i]} beads`);
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

// Three to six colours; the total (3 + 2 × level, or one more) is the level.
const beads: Family = {
  id: 'counting.bead-arrangements',
  subject: 'Counting & Probability',
  skill: 'arrangements with repetition',
  ease: 0.9,
  generate(rng, level) {
    const colours = rng.int(3, Math.min(6, 2 + level));
    let left = 3 + 2 * level + rng.int(0, 1);
    const counts: number[] = [];
    for (let i = 0; i < colours - 1; i++) {
      const c = rng.int(1, left - (colours - 1 - i));
      counts.push(c);
      left -= c;
    }
    return [...counts, left];
  },
  levelOf: (counts) => clampLevel(Math.floor((counts.reduce((s, c) => s + c, 0) - 3) / 2)),
  render: (counts) => `the number of distinct arrangements in a row of ${beadList(counts)}`,
  parse(np) {
    const m = /^the number of distinct arrangements in a row of (.+)$/.exec(np);
    if (!m) return null;
    const counts: number[] = [];
    for (const item of m[1]!.split(/, | and /)) {
      const c = /^\$(\d+)\$ identical (\w+) beads$/.exec(item);
      if (!c || c[2] !== BEAD_COLOURS[counts.length]) return null;
      counts.push(Number(c[1]));
    }
    const total = counts.reduce((s, c) => s + c, 0);
    return counts.length >= 3 && beadList(counts) === m[1] && total <= 30 ? counts : null;
  },
  solve(counts) {
    const n = counts.reduce((s, c) => s + c, 0);
    const value = Rat.int(counts.reduce((q, c) => q / factorial(c), factorial(n)));
    return {
      value,
      steps: [
        `There are $${n}$ beads in all; dividing by the orders of the identical beads gives $\\frac{${n}!}{${counts.map((c) => `${c}!`).join('\\,')}} = ${value.toLatex()}$.`,
      ],
    };
  },
};

// Faces numbered s through s + m - 1 (the classic die is s = 1).
const diceExpectation: Family = {
  id: 'counting.dice-expectation',
  subject: 'Counting & Probability',
  skill: 'expected value',
  ease: 0.92,
  generate(rng, level) {
    const [n, m] = magnitudeInts(rng, level, 2, 2) as [number, number];
    return [n, Math.max(4, m), rng.next() < 0.3 ? 1 : rng.int(0, 30)];
  },
  levelOf: ([n, m]) => magnitudeLevel([n!, m!]),
  render: ([n, m, s]) =>
    `the expected value of the sum of $${n}$ rolls of a fair $${m}$-sided die whose faces are numbered $${s}$ through $${s! + m! - 1}$`,
  parse(np) {
    const m =
      /^the expected value of the sum of \$(\d+)\$ rolls of a fair \$(\d+)\$-sided die whose faces are numbered \$(\d+)\$ through \$(\d+)\$$/.exec(
        np,
      );
    const v = m && toInts([m[1], m[2], m[3], m[4]]);
    return v && v[1]! >= 2 && v[3] === v[2]! + v[1]! - 1 ? v.slice(0, 3) : null;
  },
  solve([n, m, s]) {
    const one = new Rat(2 * s! + m! - 1, 2);
    const value = one.mul(Rat.int(n!));
    return {
      value,
      steps: [
        `One roll has expected value $\\frac{${s} + ${s! + m! - 1}}{2} = ${one.toLatex()}$.`,
        `By linearity of expectation the sum of $${n}$ rolls has expected value $${n} \\cdot ${one.toLatex()} = ${value.toLatex()}$.`,
      ],
    };
  },
};

export const countingFamilies: Family[] = [combinations, multipleProbability, beads, diceExpectation];
