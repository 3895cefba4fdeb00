import { Rat } from '../rational.js';
import { clampLevel, type Family, magnitudeInts, magnitudeLevel, toInts } from './family.js';

const percent: Family = {
  id: 'prealgebra.percent-of',
  subject: 'Prealgebra',
  skill: 'percents',
  ease: 0.97,
  generate(rng, level) {
    const [n] = magnitudeInts(rng, level, 1, 2);
    // The percentage does not set the level (the base does): a round one is as easy as another.
    return [rng.next() < 0.5 ? rng.int(1, 40) * 5 : rng.int(1, 250), n! * 4];
  },
  levelOf: ([, n]) => magnitudeLevel([n! / 4]),
  render: ([p, n]) => `$${p}\\%$ of $${n}$`,
  parse(np) {
    const m = /^\$(\d+)\\%\$ of \$(\d+)\$$/.exec(np);
    return m && toInts([m[1], m[2]]);
  },
  solve([p, n]) {
    const value = new Rat(p! * n!, 100);
    return { value, steps: [`$${p}\\%$ of $${n}$ is $\\frac{${p}}{100} \\cdot ${n} = ${value.toLatex()}$.`] };
  },
};

const mean: Family = {
  id: 'prealgebra.mean',
  subject: 'Prealgebra',
  skill: 'mean, median and mode',
  ease: 0.97,
  generate: (rng, level) => magnitudeInts(rng, level, 3 + level, 1),
  levelOf: (xs) => clampLevel(Math.max(xs.length - 3, magnitudeLevel(xs) - 1)),
  render: (xs) => `the mean of the numbers $${xs.join(', ')}$`,
  parse(np) {
    const m = /^the mean of the numbers \$(-?\d+(?:, -?\d+)+)\$$/.exec(np);
    return m && m[1]!.split(', ').length <= 20 ? toInts(m[1]!.split(', ')) : null;
  },
  solve(xs) {
    const sum = xs.reduce((s, x) => s + x, 0);
    const value = new Rat(sum, xs.length);
    return {
      value,
      steps: [
        `The sum is $${sum}$ and there are $${xs.length}$ numbers, so the mean is $\\frac{${sum}}{${xs.length}} = ${value.toLatex()}$.`,
      ],
    };
  },
};

// Two or three fractions, [a, b, c, d] or [a, b, c, d, e, f] for a/b + c/d (+ e/f).
const fractionSum: Family = {
  id: 'prealgebra.fraction-sum',
  subject: 'Prealgebra',
  skill: 'fractions',
  ease: 0.96,
  generate(rng, level) {
    const denominators = magnitudeInts(rng, level, rng.next() < 0.5 ? 2 : 3, 2);
    return denominators.flatMap((d) => [rng.int(1, d - 1), d]);
  },
  levelOf: (p) => magnitudeLevel(p.filter((_, i) => i % 2 === 1)),
  render: (p) => {
    const fractions = [];
    for (let i = 0; i < p.length; i += 2) fractions.push(`\\frac{${p[i]}}{${p[i + 1]}}`);
    return `the value of $${fractions.join(' + ')}$`;
  },
  parse(np) {
    const m =
      /^the value of \$\\frac\{(\d+)\}\{(\d+)\} \+ \\frac\{(\d+)\}\{(\d+)\}(?: \+ \\frac\{(\d+)\}\{(\d+)\})?\$$/.exec(
        np,
      );
    const v = m && toInts(m.slice(1).filter((x) => x !== undefined));
    return v?.every((x, i) => i % 2 === 0 || x > 0) ? v : null;
  },
  solve(p) {
    let value = Rat.int(0);
    for (let i = 0; i < p.length; i += 2) value = value.add(new Rat(p[i]!, p[i + 1]!));
    const denominators = p.filter((_, i) => i % 2 === 1);
    const common = denominators.reduce((a, b) => a * b, 1);
    const numerators = denominators.map((d, i) => (p[2 * i]! * common) / d);
    return {
      value,
      steps: [
        `Over the common denominator $${common}$: $\\frac{${numerators.join(' + ')}}{${common}}$.`,
        `In lowest terms this is $${value.toLatex()}$.`,
      ],
    };
  },
};

const orderOfOperations: Family = {
  id: 'prealgebra.order-of-operations',
  subject: 'Prealgebra',
  skill: 'order of operations',
  ease: 0.97,
  generate: (rng, level) => magnitudeInts(rng, level, 5, 1),
  levelOf: magnitudeLevel,
  render: ([a, b, c, d, e]) => `the value of $${a} + ${b} \\times ${c} - ${d} \\div ${e}$`,
  parse(np) {
    const m = /^the value of \$(\d+) \+ (\d+) \\times (\d+) - (\d+) \\div (\d+)\$$/.exec(np);
    const v = m && toInts(m.slice(1));
    return v && v[4] !== 0 ? v : null;
  },
  solve([a, b, c, d, e]) {
    const value = Rat.int(a! + b! * c!).sub(new Rat(d!, e!));
    return {
      value,
      steps: [
        `Multiplication and division first: $${b} \\times ${c} = ${b! * c!}$ and $${d} \\div ${e} = ${new Rat(d!, e!).toLatex()}$.`,
        `Then $${a} + ${b! * c!} - ${new Rat(d!, e!).toLatex()} = ${value.toLatex()}$.`,
      ],
    };
  },
};

export const prealgebraFamilies: Family[] = [percent, mean, fractionSum, orderOfOperations];
