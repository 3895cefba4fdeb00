/**
 * The simulated model: a stateless, deterministic stand-in for a language model, used by tests,
 * benchmarks, demos and dry runs. It is not a language model. The same request always gets the
 * same reply (also after a restart): every random choice is drawn from a stream seeded by the
 * request's content, sampling seed, temperature and choice index.
 *
 * What it does, following sparq's prompts:
 * - writes new problems from its procedural families (vary: new instance at the same level;
 *   harder: a higher level, or an extra part once at the top level; combine: both parents'
 *   parts in one problem), sometimes with a wrong reference answer, more often when hard;
 * - solves a problem correctly with its latent probability, else with a plausible slip;
 * - labels subject and skill from the closed list in the prompt;
 * - now and then states a small integer answer in words only, without a box, as models do;
 * - judges whether a solution's final answer is a reference answer, reading numbers in words,
 *   and errs now and then, as a judge model does;
 * - maps problems it did not write (MATH seeds) onto one of its families.
 */
import type { ChatMessage, ChatRequest, ChatResponse, JsonSchemaFormat } from '../backends/types.js';
import { parseSubject, type Subject } from '../domain/subjects.js';
import { hash32, Rng } from '../util/hash.js';
import { constrainToSchema } from './constrained.js';
import { MAX_LEVEL } from './families/family.js';
import { familiesOf } from './families/index.js';
import { recall } from './knowledge.js';
import { integerToWords, MAX_WORDED, wordsToInteger } from './number-words.js';
import {
  type Atom,
  atomLevel,
  atomSolveProbability,
  atomValue,
  combine,
  MAX_ATOMS,
  mainAtom,
  parseProblem,
  problemValue,
  renderProblem,
  renderSolution,
  type SimProblem,
  solveProbability,
} from './problem.js';
import { type ParentBlock, readTask } from './prompt-reading.js';
import type { Rat } from './rational.js';
import { parseRat, Rat as R } from './rational.js';

/** Share of replies in which the model itself botches the format, so rejection paths get exercised. */
const FORMAT_SLIP_RATE = 0.01;
/** Share of labels outside the closed list, when no schema constrains the output. */
const OFF_LIST_LABEL_RATE = 0.02;
/** Share of solutions with an integer answer (to its own problems) that state it in words only, unboxed. */
const WORDED_ANSWER_RATE = 0.03;
/** Share of judge verdicts that are wrong. */
const JUDGE_ERROR_RATE = 0.02;
/** Solve probability of a memorised MATH problem by level (1..5). */
const LEVEL_EASE = [0.6, 0.92, 0.8, 0.66, 0.5, 0.32];

/** The prompt as the model reads it; its length in characters, divided by 4, is its token count. */
function promptText(messages: ChatMessage[]): string {
  return messages.map((m) => `${m.role}\u0000${m.content}`).join('\u0001');
}

export function promptTokens(messages: ChatMessage[]): number {
  return tokensOf(promptText(messages));
}

function tokensOf(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * One reply to `request`. With a response format the output is constrained to its schema, as a
 * server that enforces structured outputs does.
 */
export function simulateCompletion(request: ChatRequest, model = 'sim-1'): ChatResponse {
  const task = readTask(request);
  const content = promptText(request.messages);
  const contentHash = hash32(content);
  const choices = [];
  let completionChars = 0;
  for (let i = 0; i < Math.max(1, request.n); i++) {
    // Greedy decoding (temperature 0) gives every choice the same stream, whatever the seed.
    const rng =
      request.temperature === 0
        ? Rng.from(contentHash, 'greedy')
        : Rng.from(contentHash, request.temperature, request.seed ?? 0, i);
    let text: string;
    switch (task.kind) {
      case 'mutate':
        text = writeProblem(task.operator, task.parents, rng);
        break;
      case 'label':
        text = label(task.problem, task.skills, rng, request.responseFormat);
        break;
      case 'judge':
        text = judge(task.reference, task.solution, rng);
        break;
      default:
        text = solve(task.problem, rng);
    }
    if (request.responseFormat) text = constrainToSchema(request.responseFormat.schema, text);
    let finishReason = 'stop';
    if (request.maxTokens !== undefined && text.length > request.maxTokens * 4) {
      text = text.slice(0, request.maxTokens * 4);
      finishReason = 'length';
    }
    completionChars += text.length;
    choices.push({ text, finishReason });
  }
  return {
    model,
    choices,
    usage: { promptTokens: tokensOf(content), completionTokens: Math.ceil(completionChars / 4) },
  };
}

// --- writing problems --------------------------------------------------------------------------

function writeProblem(operator: 'vary' | 'harder' | 'combine', parents: ParentBlock[], rng: Rng): string {
  const parsed = parents.map((p) => understand(p.text, p.subject));
  let child: SimProblem;
  if (operator === 'combine' && parsed.length >= 2) {
    const atoms = [...parsed[0]!.atoms, ...parsed[1]!.atoms]
      .map((atom, order) => ({ atom, order }))
      .sort((a, b) => atomSolveProbability(a.atom) - atomSolveProbability(b.atom) || a.order - b.order)
      .slice(0, MAX_ATOMS)
      .sort((a, b) => a.order - b.order)
      .map((x) => fresh(x.atom, atomLevel(x.atom), rng));
    child = { atoms, coefs: atoms.map(() => rng.signedInt(1, 3)), constant: rng.int(-9, 9) };
  } else if (operator === 'harder') {
    const parent = parsed[0]!;
    const main = mainAtom(parent);
    const atoms = parent.atoms.map((a) => (a === main ? a : fresh(a, atomLevel(a), rng)));
    const level = atomLevel(main);
    if (level < MAX_LEVEL) {
      atoms[atoms.indexOf(main)] = fresh(main, level + (rng.next() < 0.3 ? 2 : 1), rng);
      child = { atoms, coefs: [...parent.coefs], constant: parent.constant };
    } else {
      // Already at the top level: harder means one more part to work out.
      atoms[atoms.indexOf(main)] = fresh(main, level, rng);
      if (atoms.length < MAX_ATOMS) {
        const family = rng.pick(familiesOf(main.family.subject));
        atoms.push({ family, params: family.generate(rng, rng.int(2, 4)) });
      }
      child =
        atoms.length === parent.atoms.length
          ? { atoms, coefs: [...parent.coefs], constant: parent.constant }
          : { atoms, coefs: atoms.map(() => rng.signedInt(1, 3)), constant: rng.int(-9, 9) };
    }
  } else {
    const parent = parsed[0]!;
    const atoms = parent.atoms.map((a) => fresh(a, atomLevel(a), rng));
    child =
      atoms.length === 1
        ? { atoms, coefs: [1], constant: 0 }
        : { atoms, coefs: atoms.map(() => rng.signedInt(1, 3)), constant: rng.int(-9, 9) };
  }

  // The writer sometimes slips on the reference answer, more often on hard problems.
  const values = child.atoms.map(atomValue);
  if (rng.next() < 0.02 + 0.2 * (1 - solveProbability(child))) {
    const target = child.atoms.indexOf(mainAtom(child));
    values[target] = slip(values[target]!, rng);
  }
  let problem = renderProblem(child);
  let solution = renderSolution(child, values);
  const format = rng.next();
  if (format < FORMAT_SLIP_RATE / 2) solution = solution.replace(/\$\\boxed\{(.*)\}\$\.$/, '$$$1$$.');
  else if (format < FORMAT_SLIP_RATE)
    problem = `${problem} Also, what is ${child.atoms.length + 1} times this number?`;
  return `Problem:\n${problem}\n\nSolution:\n${solution}`;
}

function fresh(atom: Atom, level: number, rng: Rng): Atom {
  return { family: atom.family, params: atom.family.generate(rng, Math.max(1, Math.min(MAX_LEVEL, level))) };
}

/**
 * Reads a problem as the simulator's own, or maps a foreign problem (a MATH seed) onto one of its
 * families in the problem's subject, at a level guessed from the known level or the length.
 */
function understand(text: string, subjectHint: string | null): SimProblem {
  const own = parseProblem(text);
  if (own) return own;
  const known = recall(text);
  const subject = parseSubject(subjectHint) ?? known?.subject ?? guessSubject(text);
  const families = familiesOf(subject);
  const h = hash32(text);
  const family = families[h % families.length]!;
  const level = known?.level ?? Math.min(5, 1 + Math.floor(text.length / 150));
  const params = family.generate(new Rng(h), Math.max(1, Math.min(MAX_LEVEL, level)));
  return { atoms: [{ family, params }], coefs: [1], constant: 0 };
}

// --- solving -----------------------------------------------------------------------------------

function solve(problemText: string, rng: Rng): string {
  const own = parseProblem(problemText);
  if (own) {
    const correct = rng.next() < solveProbability(own);
    const values = own.atoms.map(atomValue);
    if (!correct) {
      const target = own.atoms.length === 1 ? 0 : own.atoms.indexOf(mainAtom(own));
      values[target] = slip(values[target]!, rng);
      // A slip that cancels out in the final combination would make a "wrong" attempt right.
      if (combine(own, values).equals(problemValue(own))) values[target] = values[target]!.add(R.int(7));
    }
    const text = `Let me work through this.\n${renderSolution(own, values)}`;
    const answer = combine(own, values);
    if (rng.next() < WORDED_ANSWER_RATE && answer.isInteger() && Math.abs(Number(answer.n)) <= MAX_WORDED)
      return text.replace(
        /The final answer is \$\\boxed\{.*\}\$\.$/,
        `So the answer is ${integerToWords(Number(answer.n))}.`,
      );
    return text;
  }
  const known = recall(problemText);
  if (known) {
    const ease = LEVEL_EASE[known.level ?? 0]!;
    const answer = rng.next() < ease ? known.answer : slipText(known.answer, rng);
    return `Let me work through this carefully.\nAfter simplifying, the result is $${answer}$.\nThe final answer is $\\boxed{${answer}}$.`;
  }
  // A problem the simulator cannot solve: it still answers, as models do, and is wrong.
  const guess = problemValue(understand(problemText, null));
  return `Let me work through this.\nThe result is $${guess.toLatex()}$.\nThe final answer is $\\boxed{${guess.toLatex()}}$.`;
}

/** Plausible slips, most often off by one; drawn so that wrong answers cluster as real ones do. */
function slip(value: Rat, rng: Rng): Rat {
  const kind = rng.weighted([0.5, 0.25, 0.15, 0.1]);
  if (kind === 0) return value.add(R.int(1));
  if (kind === 1) return value.sub(R.int(1));
  if (kind === 2) return value.isZero() ? R.int(2) : value.mul(R.int(2));
  return value.isZero() ? R.int(-1) : value.neg();
}

function slipText(answer: string, rng: Rng): string {
  const digits = [...answer.matchAll(/\d/g)];
  if (digits.length === 0) return `${answer}+1`;
  const d = digits[digits.length - 1]!;
  const bump = rng.weighted([0.6, 0.4]) === 0 ? 1 : 9;
  return `${answer.slice(0, d.index)}${(Number(d[0]) + bump) % 10}${answer.slice(d.index! + 1)}`;
}

// --- judging -----------------------------------------------------------------------------------

/**
 * EQUIVALENT when the solution's last stated answer (boxed, or "the answer is ..." in digits or
 * words) is the reference's value, DIFFERENT otherwise, and the other way round at the judge's
 * error rate.
 */
function judge(reference: string, solution: string, rng: Rng): string {
  const want = parseRat(reference);
  const said = statedValue(solution);
  let same = want !== null && said !== null && want.equals(said);
  if (rng.next() < JUDGE_ERROR_RATE) same = !same;
  return same ? 'EQUIVALENT' : 'DIFFERENT';
}

function statedValue(solution: string): Rat | null {
  const boxed = [...solution.matchAll(/\\boxed\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}/g)].at(-1);
  if (boxed) return parseRat(boxed[1]!);
  const stated = [...solution.matchAll(/answer is\s+\$?([^$.\n]+?)\$?\s*\.?\s*$/gim)].at(-1);
  if (!stated) return null;
  const words = wordsToInteger(stated[1]!);
  return words === null ? parseRat(stated[1]!) : R.int(words);
}

// --- labelling ---------------------------------------------------------------------------------

/**
 * A subject and a skill as JSON: `{"label": {...}}` when the schema asks for that, else flat. Only
 * without a schema does the model stray off the list or wrap its JSON in prose.
 */
function label(
  problemText: string,
  skills: Map<string, string[]>,
  rng: Rng,
  format: JsonSchemaFormat | undefined,
): string {
  const own = parseProblem(problemText);
  let subject: string;
  let skill: string;
  const offered = (s: string) => [...skills.keys()].find((k) => parseSubject(k) === parseSubject(s));
  if (own) {
    const main = mainAtom(own).family;
    subject = offered(main.subject) ?? main.subject;
    skill = skills.get(subject)?.includes(main.skill)
      ? main.skill
      : closestSkill(problemText, skills.get(subject) ?? []);
  } else {
    const guessed = recall(problemText)?.subject ?? guessSubject(problemText);
    subject = offered(guessed) ?? guessed;
    skill = closestSkill(problemText, skills.get(subject) ?? []);
  }
  if (format) {
    const wrapped = (format.schema.properties as Record<string, unknown> | undefined)?.label !== undefined;
    return JSON.stringify(wrapped ? { label: { subject, skill } } : { subject, skill });
  }
  if (rng.next() < OFF_LIST_LABEL_RATE) skill = 'general problem solving';
  const body = JSON.stringify({ subject, skill });
  // Without enforced JSON, models wrap their JSON in prose or fences now and then.
  const style = rng.int(0, 2);
  if (style === 0) return body;
  if (style === 1) return `\`\`\`json\n${body}\n\`\`\``;
  return `Here is the classification:\n${body}`;
}

const SUBJECT_WORDS: [Subject, RegExp][] = [
  ['Counting & Probability', /probab|how many ways|choose|arrange|committee|dice|coin|expected/i],
  ['Number Theory', /remainder|divisor|prime|gcd|greatest common|base-|modulo|digit|integer.*divisible/i],
  ['Precalculus', /\\sin|\\cos|\\tan|matrix|pmatrix|vector|polar|\\theta|determinant/i],
  ['Geometry', /triangle|circle|angle|polygon|area|volume|radius|perimeter|hypotenuse/i],
  ['Intermediate Algebra', /polynomial|\\log|roots? of|complex|series|ellipse|parabola|hyperbola|x\^3/i],
  ['Algebra', /solve for|equation|\bslope\b|function|f\(x\)|sequence|quadratic/i],
];

function guessSubject(text: string): Subject {
  for (const [subject, re] of SUBJECT_WORDS) if (re.test(text)) return subject;
  // No telling words: arithmetic word problems are prealgebra far more often than anything else.
  return 'Prealgebra';
}

/** The skill whose words overlap the problem most; ties go to a hash of the text. */
function closestSkill(text: string, skills: string[]): string {
  if (skills.length === 0) return 'general problem solving';
  const words = new Set((text.toLowerCase().match(/[a-z]{4,}/g) ?? []).map((w) => w.slice(0, 5)));
  let best: string[] = [];
  let bestScore = -1;
  for (const skill of skills) {
    const score = (skill.toLowerCase().match(/[a-z]{4,}/g) ?? []).filter((w) =>
      words.has(w.slice(0, 5)),
    ).length;
    if (score > bestScore) {
      best = [skill];
      bestScore = score;
    } else if (score === bestScore) best.push(skill);
  }
  return best[hash32(text) % best.length]!;
}
