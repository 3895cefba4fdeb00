/**
 * Majority voting over k attempts: group extracted answers into equivalence classes so that
 * `\frac12`, `0.5` and `1/2` count as one answer.
 */
import { AnswerChecker } from './checker.js';

export interface AnswerGroup {
  /** The first member's text, used as the class's answer. */
  representative: string;
  count: number;
  /** Indices into the input array, ascending. */
  members: number[];
}

let shared: AnswerChecker | null = null;

function defaultChecker(): AnswerChecker {
  if (!shared) shared = new AnswerChecker();
  return shared;
}

/** True when the two answers are equivalent in either direction of the check. */
export function answersEquivalent(a: string, b: string, checker: AnswerChecker = defaultChecker()): boolean {
  return checker.check(a, b).equivalent || checker.check(b, a).equivalent;
}

/**
 * Equivalence classes of `answers`, largest first (ties: the class seen first). Blank answers
 * (nothing extracted) form their own class and never join another.
 */
export function groupAnswers(
  answers: readonly string[],
  checker: AnswerChecker = defaultChecker(),
): AnswerGroup[] {
  const groups: AnswerGroup[] = [];
  answers.forEach((answer, index) => {
    const blank = answer.trim() === '';
    const home = groups.find((g) =>
      blank
        ? g.representative.trim() === ''
        : g.representative.trim() !== '' && answersEquivalent(g.representative, answer, checker),
    );
    if (home) {
      home.count++;
      home.members.push(index);
    } else groups.push({ representative: answer, count: 1, members: [index] });
  });
  return groups
    .map((g, order) => ({ g, order }))
    .sort((x, y) => y.g.count - x.g.count || x.order - y.order)
    .map(({ g }) => g);
}
