import { Rat } from '../rational.js';
import { clampLevel, type Family, magnitudeInts, magnitudeLevel, toInts } from './family.js';

const dotProduct: Family = {
  id: 'precalculus.dot-product',
  subject: 'Precalculus',
  skill: 'vectors and dot products',
  ease: 0.96,
  generate: (rng, level) => magnitudeInts(rng, level, 6, 0, true),
  levelOf: magnitudeLevel,
  render: ([a, b, c, d, e, f]) =>
    `the dot product of $\\begin{pmatrix} ${a} \\\\ ${b} \\\\ ${c} \\end{pmatrix}$ and $\\begin{pmatrix} ${d} \\\\ ${e} \\\\ ${f} \\end{pmatrix}$`,
  parse(np) {
    const m =
      /^the dot product of \$\\begin\{pmatrix\} (-?\d+) \\\\ (-?\d+) \\\\ (-?\d+) \\end\{pmatrix\}\$ and \$\\begin\{pmatrix\} (-?\d+) \\\\ (-?\d+) \\\\ (-?\d+) \\end\{pmatrix\}\$$/.exec(
        np,
      );
    return m && toInts(m.slice(1));
  },
  solve([a, b, c, d, e, f]) {
    const value = Rat.int(a! * d! + b! * e! + c! * f!);
    return {
      value,
      steps: [`Multiply componentwise and add: $${a! * d!} + ${b! * e!} + ${c! * f!} = ${value.toLatex()}$.`],
    };
  },
};

function det3(m: number[]): number {
  const [a, b, c, d, e, f, g, h, i] = m as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
}

const determinant: Family = {
  id: 'precalculus.determinant',
  subject: 'Precalculus',
  skill: 'matrices and determinants',
  ease: 0.95,
  // Levels 1-3 are 2x2 matrices of growing entries, 4-6 are 3x3.
  generate: (rng, level) =>
    level <= 3 ? magnitudeInts(rng, level + 1, 4, 0, true) : magnitudeInts(rng, level - 3, 9, 0, true),
  levelOf: (m) => (m.length === 4 ? clampLevel(magnitudeLevel(m) - 1) : clampLevel(magnitudeLevel(m) + 3)),
  render(m) {
    const size = m.length === 4 ? 2 : 3;
    const rows = Array.from({ length: size }, (_, r) => m.slice(r * size, r * size + size).join(' & '));
    return `the determinant of $\\begin{pmatrix} ${rows.join(' \\\\ ')} \\end{pmatrix}$`;
  },
  parse(np) {
    const m = /^the determinant of \$\\begin\{pmatrix\} (.+) \\end\{pmatrix\}\$$/.exec(np);
    if (!m) return null;
    const rows = m[1]!.split(' \\\\ ').map((r) => r.split(' & '));
    if (!(rows.length === 2 || rows.length === 3) || rows.some((r) => r.length !== rows.length)) return null;
    return toInts(rows.flat());
  },
  solve(m) {
    const value = Rat.int(m.length === 4 ? m[0]! * m[3]! - m[1]! * m[2]! : det3(m));
    const how =
      m.length === 4
        ? `$ad - bc = ${m[0]! * m[3]!} - ${m[1]! * m[2]! < 0 ? `(${m[1]! * m[2]!})` : m[1]! * m[2]!}$`
        : 'cofactor expansion along the first row';
    return { value, steps: [`By ${how}, the determinant is $${value.toLatex()}$.`] };
  },
};

/** sin^2 of the special angles, exactly. */
const SIN_SQUARED: Record<number, Rat> = {
  30: new Rat(1, 4),
  45: new Rat(1, 2),
  60: new Rat(3, 4),
  120: new Rat(3, 4),
  135: new Rat(1, 2),
  150: new Rat(1, 4),
};
const ANGLES = [30, 45, 60, 120, 135, 150];

const specialAngles: Family = {
  id: 'precalculus.special-angles',
  subject: 'Precalculus',
  skill: 'trigonometric values of special angles',
  ease: 0.94,
  generate(rng, level) {
    const [a, b] = magnitudeInts(rng, level, 2, 1, true) as [number, number];
    return [a, b, rng.pick(ANGLES)];
  },
  levelOf: ([a, b]) => magnitudeLevel([a!, b!]),
  render: ([a, b, t]) =>
    `the value of $${a === 1 ? '' : a === -1 ? '-' : a}\\sin^2 \\theta ${b! < 0 ? '-' : '+'} ${Math.abs(b!) === 1 ? '' : Math.abs(b!)}\\cos^2 \\theta$ when $\\theta = ${t}^\\circ$`,
  parse(np) {
    const m =
      /^the value of \$(-?\d*)\\sin\^2 \\theta ([+-]) (\d*)\\cos\^2 \\theta\$ when \$\\theta = (\d+)\^\\circ\$$/.exec(
        np,
      );
    if (!m || !(Number(m[4]) in SIN_SQUARED)) return null;
    const a = m[1] === '' ? 1 : m[1] === '-' ? -1 : Number(m[1]);
    const bAbs = m[3] === '' ? 1 : Number(m[3]);
    return [a, m[2] === '-' ? -bAbs : bAbs, Number(m[4])];
  },
  solve([a, b, t]) {
    const s2 = SIN_SQUARED[t!]!;
    const c2 = Rat.int(1).sub(s2);
    const value = Rat.int(a!).mul(s2).add(Rat.int(b!).mul(c2));
    return {
      value,
      steps: [
        `At $${t}^\\circ$, $\\sin^2 \\theta = ${s2.toLatex()}$ and $\\cos^2 \\theta = ${c2.toLatex()}$.`,
        `So the expression equals $${a} \\cdot ${s2.toLatex()} + ${b! < 0 ? `(${b})` : b} \\cdot ${c2.toLatex()} = ${value.toLatex()}$.`,
      ],
    };
  },
};

const complexModulus: Family = {
  id: 'precalculus.complex-modulus',
  subject: 'Precalculus',
  skill: 'complex numbers and polar form',
  ease: 0.92,
  generate: (rng, level) => magnitudeInts(rng, level, 4, 1, true),
  levelOf: magnitudeLevel,
  render: ([a, b, c, d]) =>
    `the square of the modulus of $(${a} ${b! < 0 ? '-' : '+'} ${Math.abs(b!)}i)(${c} ${d! < 0 ? '-' : '+'} ${Math.abs(d!)}i)$`,
  parse(np) {
    const m = /^the square of the modulus of \$\((-?\d+) ([+-]) (\d+)i\)\((-?\d+) ([+-]) (\d+)i\)\$$/.exec(
      np,
    );
    const v = m && toInts([m[1], m[3], m[4], m[6]]);
    if (!v) return null;
    return [v[0]!, m![2] === '-' ? -v[1]! : v[1]!, v[2]!, m![5] === '-' ? -v[3]! : v[3]!];
  },
  solve([a, b, c, d]) {
    const p = a! * a! + b! * b!;
    const q = c! * c! + d! * d!;
    const value = Rat.int(p * q);
    return {
      value,
      steps: [
        `The modulus is multiplicative, so $|zw|^2 = |z|^2 |w|^2 = ${p} \\cdot ${q} = ${value.toLatex()}$.`,
      ],
    };
  },
};

export const precalculusFamilies: Family[] = [dotProduct, determinant, specialAngles, complexModulus];
