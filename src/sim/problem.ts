/**
 * The simulated model's problems: one or more family instances ("atoms") combined linearly.
 * A single atom reads "Find <noun phrase>."; several read
 * "Let $a$ be <np>. Let $b$ be <np>. Find $2a - b + 3$." Rendering and parsing are exact
 * inverses, which is what lets a stateless simulator solve, mutate and label its own problems.
 */
import { hash32, hashUnit } from '../util/hash.js';
import { type Family, MAX_LEVEL, type Params } from './families/family.js';
import { FAMILIES } from './families/index.js';
import { Rat } from './rational.js';

export interface Atom {
  family: Family;
  params: Params;
}

export interface SimProblem {
  atoms: Atom[];
  /** Integer coefficient of each atom's value in the final answer. */
  coefs: number[];
  constant: number;
}

export const MAX_ATOMS = 6;
const VARIABLES = ['a', 'b', 'c', 'd', 'e', 'f'];
/** Each extra atom also costs a little: the solver must carry results between parts. */
const COMPOSITION_PENALTY = 0.95;
const LEVEL_DROP = 0.13;
const INSTANCE_SPREAD = 0.1;

export function atomLevel(atom: Atom): number {
  return atom.family.levelOf(atom.params);
}

/**
 * The latent probability that the solver gets an atom right: falls with the level, and varies a
 * little between instances of one level (as real problems do), deterministically from the numbers.
 */
export function atomSolveProbability(atom: Atom): number {
  const jitter = INSTANCE_SPREAD * (hashUnit(atom.family.id, ...atom.params) - 0.5);
  return Math.min(0.99, Math.max(0.02, atom.family.ease - LEVEL_DROP * (atomLevel(atom) - 1) + jitter));
}

/** The latent probability that one sampled attempt of the simulated solver is right. */
export function solveProbability(problem: SimProblem): number {
  let p = COMPOSITION_PENALTY ** (problem.atoms.length - 1);
  for (const atom of problem.atoms) p *= atomSolveProbability(atom);
  return p;
}

export function atomValue(atom: Atom): Rat {
  return atom.family.solve(atom.params).value;
}

export function combine(problem: SimProblem, values: Rat[]): Rat {
  let total = Rat.int(problem.constant);
  values.forEach((v, i) => {
    total = total.add(v.mul(Rat.int(problem.coefs[i]!)));
  });
  return total;
}

export function problemValue(problem: SimProblem): Rat {
  return combine(problem, problem.atoms.map(atomValue));
}

/** The atom that makes the problem hard: it decides the subject and skill a labeller sees. */
export function mainAtom(problem: SimProblem): Atom {
  let best = problem.atoms[0]!;
  for (const atom of problem.atoms) if (atomSolveProbability(atom) < atomSolveProbability(best)) best = atom;
  return best;
}

export function isPlain(problem: SimProblem): boolean {
  return problem.atoms.length === 1 && problem.coefs[0] === 1 && problem.constant === 0;
}

function expression(problem: SimProblem): string {
  const terms = problem.coefs.map((c, i) => [c, VARIABLES[i]!] as const).filter(([c]) => c !== 0);
  let out = '';
  terms.forEach(([c, v], i) => {
    const abs = Math.abs(c);
    const body = `${abs === 1 ? '' : abs}${v}`;
    out += i === 0 ? `${c < 0 ? '-' : ''}${body}` : ` ${c < 0 ? '-' : '+'} ${body}`;
  });
  if (problem.constant !== 0) out += ` ${problem.constant < 0 ? '-' : '+'} ${Math.abs(problem.constant)}`;
  return out;
}

export function renderProblem(problem: SimProblem): string {
  if (isPlain(problem)) {
    const np = problem.atoms[0]!.family.render(problem.atoms[0]!.params);
    switch (hash32(np) % 3) {
      case 0:
        return `Find ${np}.`;
      case 1:
        return `Compute ${np}.`;
      default:
        return `What is ${np}?`;
    }
  }
  const lets = problem.atoms.map((a, i) => `Let $${VARIABLES[i]}$ be ${a.family.render(a.params)}.`);
  return `${lets.join(' ')} Find $${expression(problem)}$.`;
}

function parseAtom(np: string): Atom | null {
  for (const family of FAMILIES) {
    const params = family.parse(np);
    if (params) return { family, params };
  }
  return null;
}

function parseExpression(text: string, count: number): { coefs: number[]; constant: number } | null {
  const compact = text.replace(/\s+/g, '');
  const coefs = new Array<number>(count).fill(0);
  let constant = 0;
  const re = /([+-]?)(\d*)([a-f]?)/y;
  let pos = 0;
  while (pos < compact.length) {
    re.lastIndex = pos;
    const m = re.exec(compact);
    if (!m || m[0] === '' || (m[2] === '' && m[3] === '')) return null;
    if (pos > 0 && m[1] === '') return null;
    const sign = m[1] === '-' ? -1 : 1;
    if (m[3]) {
      const idx = VARIABLES.indexOf(m[3]);
      if (idx >= count) return null;
      coefs[idx]! += sign * (m[2] === '' ? 1 : Number(m[2]));
    } else {
      constant += sign * Number(m[2]);
    }
    pos = re.lastIndex;
  }
  return { coefs, constant };
}

/** Reads a problem the simulator wrote (surrounding whitespace tolerated); null for anything else. */
export function parseProblem(text: string): SimProblem | null {
  const t = text.trim();
  if (t.startsWith('Let $a$ be ')) {
    const parts = t.split(/(?:^|\. )Let \$([a-f])\$ be /).slice(1);
    const atoms: Atom[] = [];
    let tail = '';
    for (let i = 0; i < parts.length; i += 2) {
      if (parts[i] !== VARIABLES[atoms.length]) return null;
      let np = parts[i + 1]!;
      if (i + 2 >= parts.length) {
        const end = /^(.*)\. Find \$(.+)\$\.$/.exec(np);
        if (!end) return null;
        np = end[1]!;
        tail = end[2]!;
      }
      const atom = parseAtom(np);
      if (!atom) return null;
      atoms.push(atom);
    }
    if (atoms.length === 0 || atoms.length > MAX_ATOMS) return null;
    const expr = parseExpression(tail, atoms.length);
    return expr ? { atoms, ...expr } : null;
  }
  const m = /^(?:Find|Compute) (.+)\.$/.exec(t) ?? /^What is (.+)\?$/.exec(t);
  const atom = m ? parseAtom(m[1]!) : null;
  return atom ? { atoms: [atom], coefs: [1], constant: 0 } : null;
}

/**
 * A worked solution. `values` are the atom values the writer believes (a slip in one of them
 * makes a wrong but plausible solution); the final line boxes their combination.
 */
export function renderSolution(problem: SimProblem, values: Rat[] = problem.atoms.map(atomValue)): string {
  const lines: string[] = [];
  problem.atoms.forEach((atom, i) => {
    const truth = atom.family.solve(atom.params);
    const believed = values[i]!;
    const steps = believed.equals(truth.value)
      ? truth.steps
      : [`Working this out quickly gives $${believed.toLatex()}$.`];
    if (isPlain(problem)) lines.push(...steps);
    else
      lines.push(
        `${i === 0 ? 'First' : 'Next'}, $${VARIABLES[i]}$ is ${atom.family.render(atom.params)}.`,
        ...steps,
        `So $${VARIABLES[i]} = ${believed.toLatex()}$.`,
      );
  });
  const answer = combine(problem, values);
  if (!isPlain(problem)) {
    const substituted = problem.coefs
      .map((c, i) =>
        c === 0 ? null : `${c === 1 ? '' : c === -1 ? '-' : `${c} \\cdot `}${values[i]!.toTerm()}`,
      )
      .filter((x) => x !== null)
      .join(' + ');
    lines.push(
      `Therefore $${expression(problem)} = ${substituted}${problem.constant ? ` + ${problem.constant < 0 ? `(${problem.constant})` : problem.constant}` : ''} = ${answer.toLatex()}$.`,
    );
  }
  lines.push(`The final answer is $\\boxed{${answer.toLatex()}}$.`);
  return lines.join('\n');
}

export function withLevel(atom: Atom, level: number, rng: import('../util/hash.js').Rng): Atom {
  return { family: atom.family, params: atom.family.generate(rng, Math.max(1, Math.min(MAX_LEVEL, level))) };
}
