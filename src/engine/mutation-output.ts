/**
 * Reading what the generator wrote: problem, solution and reference answer (the last \boxed{}
 * of the solution, brace-matched), and the screen that turns unusable output into a rejection
 * with a reason. Pure functions of text.
 */
import { extractAnswer } from '../answer/index.js';
import type { RejectionReason } from '../domain/records.js';
import { sha256Hex } from '../util/hash.js';

export interface MutationOutput {
  problem: string;
  solution: string;
  answer: string;
}

export type Parsed =
  | { ok: true; value: MutationOutput }
  | { ok: false; reason: RejectionReason; detail: string };

/** Headings models use for the two parts: `Problem:`, `**Problem:**`, `## Problem`, `New problem:`. */
const HEADING = (word: string) =>
  new RegExp(`^[ \\t>#*_]*(?:new\\s+)?${word}[ \\t]*[*_]*:?[*_]*[ \\t]*(?:\\n|(?=\\S))`, 'im');

export function parseMutationOutput(text: string): Parsed {
  const problemAt = HEADING('problem').exec(text);
  const solutionAt = HEADING('solution').exec(text);
  if (!problemAt || !solutionAt || solutionAt.index <= problemAt.index) {
    return {
      ok: false,
      reason: 'unparseable',
      detail: 'expected a "Problem:" section followed by a "Solution:" section',
    };
  }
  const problem = text.slice(problemAt.index + problemAt[0].length, solutionAt.index).trim();
  const solution = text.slice(solutionAt.index + solutionAt[0].length).trim();
  if (problem === '') return { ok: false, reason: 'unparseable', detail: 'the problem statement is empty' };
  if (solution === '') return { ok: false, reason: 'unparseable', detail: 'the solution is empty' };
  const extracted = extractAnswer(solution);
  if (
    !extracted.found ||
    (extracted.source !== 'boxed' && extracted.source !== 'fbox') ||
    extracted.answer.trim() === ''
  ) {
    return {
      ok: false,
      reason: 'no_final_answer',
      detail: 'the solution has no non-empty \\boxed{} final answer',
    };
  }
  return { ok: true, value: { problem, solution, answer: extracted.answer.trim() } };
}

/** Lowercased, whitespace-collapsed text without trailing punctuation: what "the same problem" means. */
export function normalizeProblemText(text: string): string {
  return text
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/[\s.?!]+$/, '')
    .trim();
}

export function problemTextHash(text: string): string {
  return sha256Hex(normalizeProblemText(text)).slice(0, 32);
}

/** Imperatives that ask for a result (not instructions like "Express your answer as..."). */
const IMPERATIVE = /^(?:find|compute|determine|evaluate|calculate|solve|prove|show that)\b/i;

/**
 * How many things a problem asks for: sentences that end in a question mark or open with an
 * imperative, or numbered parts. Math is blanked first, so `$f(x)?$` or `\{a, b\}` do not count.
 */
export function countQuestions(problem: string): number {
  const prose = problem.replace(/\$\$[\s\S]*?\$\$|\$[^$]*\$|\\\([\s\S]*?\\\)|\\\[[\s\S]*?\\\]/g, ' M ');
  // Lowercase (a), (b) or i), ii): parts. Uppercase (A)...(E) are answer choices of one question.
  const parts = (prose.match(/(?:^|\s)\(?(?:[a-d]|i{1,3}|iv)\)\s/g) ?? []).length;
  const sentences = prose
    .split(/(?<=[.?!])\s+|\n+/)
    .map((x) => x.trim())
    .filter(Boolean);
  const asks = sentences.filter((x) => x.endsWith('?') || IMPERATIVE.test(x)).length;
  return Math.max(parts >= 2 ? parts : 1, asks, 1);
}

export interface ScreenOptions {
  maxProblemChars: number;
  parentTexts: string[];
}

/** The screen applied to a parsed output; null when it passes. */
export function screen(
  output: MutationOutput,
  options: ScreenOptions,
): { reason: RejectionReason; detail: string } | null {
  if (output.problem.length > options.maxProblemChars) {
    return {
      reason: 'too_long',
      detail: `${output.problem.length} characters (limit ${options.maxProblemChars})`,
    };
  }
  const questions = countQuestions(output.problem);
  if (questions > 1) return { reason: 'several_questions', detail: `${questions} questions or parts` };
  const normalized = normalizeProblemText(output.problem);
  if (options.parentTexts.some((p) => normalizeProblemText(p) === normalized)) {
    return { reason: 'identical_to_parent', detail: 'the new problem repeats its parent' };
  }
  return null;
}
