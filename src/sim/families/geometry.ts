import { Rat } from '../rational.js';
import { clampLevel, type Family, MAX_LEVEL, magnitudeInts, magnitudeLevel, toInts } from './family.js';

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return Math.abs(a);
}

const TRIPLES: [number, number][] = [
  [3, 4],
  [5, 12],
  [8, 15],
  [7, 24],
  [20, 21],
  [12, 35],
  [9, 40],
  [28, 45],
  [11, 60],
];

const hypotenuse: Family = {
  id: 'geometry.hypotenuse',
  subject: 'Geometry',
  skill: 'Pythagorean theorem',
  ease: 0.96,
  generate(rng, level) {
    const [a, b] = TRIPLES[level - 1]!;
    const k = rng.int(1, 3);
    return rng.next() < 0.5 ? [a * k, b * k] : [b * k, a * k];
  },
  // The level is the primitive triple: larger triples are less familiar.
  levelOf([a, b]) {
    const g = gcd(a!, b!);
    const index = TRIPLES.findIndex(
      ([x, y]) => (x === a! / g && y === b! / g) || (y === a! / g && x === b! / g),
    );
    return index < 0 ? MAX_LEVEL : clampLevel(index + 1);
  },
  render: ([a, b]) =>
    `the length of the hypotenuse of a right triangle whose legs have lengths $${a}$ and $${b}$`,
  parse(np) {
    const m =
      /^the length of the hypotenuse of a right triangle whose legs have lengths \$(\d+)\$ and \$(\d+)\$$/.exec(
        np,
      );
    const v = m && toInts([m[1], m[2]]);
    return v && Number.isInteger(Math.sqrt(v[0]! ** 2 + v[1]! ** 2)) ? v : null;
  },
  solve([a, b]) {
    const c2 = a! * a! + b! * b!;
    const value = Rat.int(Math.sqrt(c2));
    return {
      value,
      steps: [`By the Pythagorean theorem $c^2 = ${a}^2 + ${b}^2 = ${c2}$, so $c = ${value.toLatex()}$.`],
    };
  },
};

const shoelace: Family = {
  id: 'geometry.coordinate-triangle-area',
  subject: 'Geometry',
  skill: 'coordinate geometry',
  ease: 0.9,
  generate(rng, level) {
    for (;;) {
      const p = magnitudeInts(rng, level, 6, 0, true);
      if (twiceArea(p) !== 0) return p;
    }
  },
  levelOf: magnitudeLevel,
  render: ([a, b, c, d, e, f]) =>
    `the area of the triangle with vertices $(${a}, ${b})$, $(${c}, ${d})$ and $(${e}, ${f})$`,
  parse(np) {
    const m =
      /^the area of the triangle with vertices \$\((-?\d+), (-?\d+)\)\$, \$\((-?\d+), (-?\d+)\)\$ and \$\((-?\d+), (-?\d+)\)\$$/.exec(
        np,
      );
    const v = m && toInts(m.slice(1));
    return v && twiceArea(v) !== 0 ? v : null;
  },
  solve(p) {
    const twice = twiceArea(p);
    const value = new Rat(Math.abs(twice), 2);
    return {
      value,
      steps: [
        `By the shoelace formula, twice the signed area is $x_1(y_2 - y_3) + x_2(y_3 - y_1) + x_3(y_1 - y_2) = ${twice}$.`,
        `The area is $\\frac{|${twice}|}{2} = ${value.toLatex()}$.`,
      ],
    };
  },
};

function twiceArea([a, b, c, d, e, f]: number[]): number {
  return a! * (d! - f!) + c! * (f! - b!) + e! * (b! - d!);
}

const interiorAngle: Family = {
  id: 'geometry.interior-angle',
  subject: 'Geometry',
  skill: 'polygons and interior angles',
  ease: 0.95,
  generate: (rng, level) => [Math.max(3, magnitudeInts(rng, level, 1, 3)[0]! + 2)],
  levelOf: ([n]) => magnitudeLevel([n! - 2]),
  render: ([n]) => `the measure, in degrees, of each interior angle of a regular polygon with $${n}$ sides`,
  parse(np) {
    const m =
      /^the measure, in degrees, of each interior angle of a regular polygon with \$(\d+)\$ sides$/.exec(np);
    const v = m && toInts([m[1]]);
    return v && v[0]! >= 3 ? v : null;
  },
  solve([n]) {
    const value = new Rat(180 * (n! - 2), n!);
    return {
      value,
      steps: [
        `The interior angles of an $n$-gon sum to $180(n-2) = ${180 * (n! - 2)}$ degrees.`,
        `Each of the $${n}$ equal angles measures $\\frac{${180 * (n! - 2)}}{${n}} = ${value.toLatex()}$.`,
      ],
    };
  },
};

const pyramid: Family = {
  id: 'geometry.pyramid-volume',
  subject: 'Geometry',
  skill: 'volume of solids',
  ease: 0.94,
  generate: (rng, level) => magnitudeInts(rng, level, 2, 1),
  levelOf: magnitudeLevel,
  render: ([a, h]) =>
    `the volume of a square pyramid whose base has side length $${a}$ and whose height is $${h}$`,
  parse(np) {
    const m =
      /^the volume of a square pyramid whose base has side length \$(\d+)\$ and whose height is \$(\d+)\$$/.exec(
        np,
      );
    return m && toInts([m[1], m[2]]);
  },
  solve([a, h]) {
    const value = new Rat(a! * a! * h!, 3);
    return {
      value,
      steps: [`The volume is $\\frac{1}{3} \\cdot ${a}^2 \\cdot ${h} = ${value.toLatex()}$.`],
    };
  },
};

export const geometryFamilies: Family[] = [hypotenuse, shoelace, interiorAngle, pyramid];
