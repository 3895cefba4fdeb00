import { Rat } from '../rational.js';
import { type Family, gcd, MAX_LEVEL, magnitudeInts, magnitudeLevel, toInts } from './family.js';

/** Primitive Pythagorean triples (legs) by level: larger triples are less familiar. */
const TRIPLES_BY_LEVEL: [number, number][][] = [
  [[3, 4]],
  [
    [5, 12],
    [8, 15],
  ],
  [
    [7, 24],
    [20, 21],
    [9, 40],
  ],
  [
    [12, 35],
    [11, 60],
    [28, 45],
  ],
  [
    [33, 56],
    [48, 55],
    [16, 63],
  ],
  [
    [13, 84],
    [36, 77],
    [39, 80],
    [65, 72],
  ],
];

function tripleLevel(a: number, b: number): number {
  const g = gcd(a, b);
  const index = TRIPLES_BY_LEVEL.findIndex((group) =>
    group.some(([x, y]) => (x === a / g && y === b / g) || (y === a / g && x === b / g)),
  );
  return index < 0 ? MAX_LEVEL : index + 1;
}

const HYPOTENUSE =
  /^the length of the hypotenuse of a right triangle whose legs have lengths \$(\d+)\$ and \$(\d+)\$$/;
const OTHER_LEG =
  /^the length of the other leg of a right triangle whose hypotenuse has length \$(\d+)\$ and one of whose legs has length \$(\d+)\$$/;

// [0, a, b]: the hypotenuse from legs a and b; [1, a, c]: the other leg from leg a and hypotenuse c.
const hypotenuse: Family = {
  id: 'geometry.hypotenuse',
  subject: 'Geometry',
  skill: 'Pythagorean theorem',
  ease: 0.96,
  generate(rng, level) {
    const [x, y] = rng.pick(TRIPLES_BY_LEVEL[level - 1]!);
    const k = rng.int(1, 99);
    const [a, b] = rng.next() < 0.5 ? [x * k, y * k] : [y * k, x * k];
    return rng.next() < 0.6 ? [0, a, b] : [1, a, Math.round(Math.hypot(a, b))];
  },
  levelOf: ([form, a, x]) => tripleLevel(a!, form === 0 ? x! : Math.round(Math.sqrt(x! * x! - a! * a!))),
  render: ([form, a, x]) =>
    form === 0
      ? `the length of the hypotenuse of a right triangle whose legs have lengths $${a}$ and $${x}$`
      : `the length of the other leg of a right triangle whose hypotenuse has length $${x}$ and one of whose legs has length $${a}$`,
  parse(np) {
    const legs = HYPOTENUSE.exec(np);
    if (legs) {
      const v = toInts([legs[1], legs[2]]);
      return v && Number.isInteger(Math.sqrt(v[0]! ** 2 + v[1]! ** 2)) ? [0, ...v] : null;
    }
    const leg = OTHER_LEG.exec(np);
    const v = leg && toInts([leg[2], leg[1]]);
    return v && v[0]! < v[1]! && Number.isInteger(Math.sqrt(v[1]! ** 2 - v[0]! ** 2)) ? [1, ...v] : null;
  },
  solve([form, a, x]) {
    if (form === 0) {
      const c2 = a! * a! + x! * x!;
      const value = Rat.int(Math.sqrt(c2));
      return {
        value,
        steps: [`By the Pythagorean theorem $c^2 = ${a}^2 + ${x}^2 = ${c2}$, so $c = ${value.toLatex()}$.`],
      };
    }
    const b2 = x! * x! - a! * a!;
    const value = Rat.int(Math.sqrt(b2));
    return {
      value,
      steps: [`By the Pythagorean theorem $b^2 = ${x}^2 - ${a}^2 = ${b2}$, so $b = ${value.toLatex()}$.`],
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

const angleOf = (n: number) => new Rat(180 * (n - 2), n);

// [n]: each interior angle of a regular n-gon; [n, m]: how much it exceeds that of a regular m-gon.
const interiorAngle: Family = {
  id: 'geometry.interior-angle',
  subject: 'Geometry',
  skill: 'polygons and interior angles',
  ease: 0.95,
  generate(rng, level) {
    if (rng.next() < 0.2) return [magnitudeInts(rng, level, 1, 1)[0]! + 2];
    for (;;) {
      const [x, y] = magnitudeInts(rng, level, 2, 1) as [number, number];
      if (x !== y) return [Math.max(x, y) + 2, Math.min(x, y) + 2];
    }
  },
  levelOf: (sides) => magnitudeLevel(sides.map((n) => n - 2)),
  render: ([n, m]) =>
    m === undefined
      ? `the measure, in degrees, of each interior angle of a regular polygon with $${n}$ sides`
      : `the number of degrees by which each interior angle of a regular polygon with $${n}$ sides exceeds each interior angle of a regular polygon with $${m}$ sides`,
  parse(np) {
    const one =
      /^the measure, in degrees, of each interior angle of a regular polygon with \$(\d+)\$ sides$/.exec(np);
    if (one) {
      const v = toInts([one[1]]);
      return v && v[0]! >= 3 ? v : null;
    }
    const two =
      /^the number of degrees by which each interior angle of a regular polygon with \$(\d+)\$ sides exceeds each interior angle of a regular polygon with \$(\d+)\$ sides$/.exec(
        np,
      );
    const v = two && toInts([two[1], two[2]]);
    return v && v[1]! >= 3 && v[0]! > v[1]! ? v : null;
  },
  solve([n, m]) {
    if (m === undefined) {
      const value = angleOf(n!);
      return {
        value,
        steps: [
          `The interior angles of an $n$-gon sum to $180(n-2) = ${180 * (n! - 2)}$ degrees.`,
          `Each of the $${n}$ equal angles measures $\\frac{${180 * (n! - 2)}}{${n}} = ${value.toLatex()}$.`,
        ],
      };
    }
    const value = angleOf(n!).sub(angleOf(m));
    return {
      value,
      steps: [
        `Each interior angle of a regular $k$-gon measures $\\frac{180(k-2)}{k}$ degrees: $${angleOf(n!).toLatex()}$ for $k = ${n}$ and $${angleOf(m).toLatex()}$ for $k = ${m}$.`,
        `The difference is $${value.toLatex()}$ degrees.`,
      ],
    };
  },
};

// [a, h]: a square base of side a; [a, b, h]: an a by b rectangle.
const pyramid: Family = {
  id: 'geometry.pyramid-volume',
  subject: 'Geometry',
  skill: 'volume of solids',
  ease: 0.94,
  generate: (rng, level) => magnitudeInts(rng, level, rng.next() < 0.3 ? 2 : 3, 1),
  levelOf: magnitudeLevel,
  render: (p) =>
    p.length === 2
      ? `the volume of a square pyramid whose base has side length $${p[0]}$ and whose height is $${p[1]}$`
      : `the volume of a pyramid whose base is a $${p[0]}$ by $${p[1]}$ rectangle and whose height is $${p[2]}$`,
  parse(np) {
    const square =
      /^the volume of a square pyramid whose base has side length \$(\d+)\$ and whose height is \$(\d+)\$$/.exec(
        np,
      );
    if (square) return toInts([square[1], square[2]]);
    const rect =
      /^the volume of a pyramid whose base is a \$(\d+)\$ by \$(\d+)\$ rectangle and whose height is \$(\d+)\$$/.exec(
        np,
      );
    return rect && toInts([rect[1], rect[2], rect[3]]);
  },
  solve(p) {
    const [a, b, h] = p.length === 2 ? [p[0]!, p[0]!, p[1]!] : (p as [number, number, number]);
    const value = new Rat(a * b * h, 3);
    const base = p.length === 2 ? `${a}^2` : `${a} \\cdot ${b}`;
    return {
      value,
      steps: [`The volume is $\\frac{1}{3} \\cdot ${base} \\cdot ${h} = ${value.toLatex()}$.`],
    };
  },
};

export const geometryFamilies: Family[] = [hypotenuse, shoelace, interiorAngle, pyramid];
