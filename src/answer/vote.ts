/**
 * The one majority vote of sparq (maj@k in evaluation, the majority answer and the disputed flag
 * of a solve-rate). Samples are pooled into classes of equivalent answers with the checker that
 * grades them; samples without an answer (or left out, e.g. cut at max_tokens) do not vote; the
 * largest class wins, ties going to the class whose first member came first (as Python's
 * `Counter.most_common` would). The class is correct when its representative sample, its first
 * member, was graded correct: reusing that verdict keeps maj@k consistent with pass@1 on the very
 * same strings. Identical strings are counted first, so equivalence is decided only between
 * distinct answers (k=32 attempts usually hold a handful).
 */
import type { AnswerChecker } from './checker.js';
import { groupAnswers } from './group.js';

export interface MajorityVote {
  /** The winning answer, or null when no sample voted. */
  answer: string | null;
  votes: number;
  /** Whether the winning class is right: the verdict of the sample that represents it. */
  correct: boolean;
}

/**
 * @param answers one per sample, null when nothing was extracted or the sample does not vote
 * @param correct one verdict per sample, against the reference answer
 * @throws RangeError when the two lists differ in length
 * @example majorityVote(['1/2', '0.5', '3'], [true, true, false]) // { answer: '1/2', votes: 2, correct: true }
 */
export function majorityVote(
  answers: readonly (string | null)[],
  correct: readonly boolean[],
  checker?: AnswerChecker,
): MajorityVote {
  if (answers.length !== correct.length)
    throw new RangeError('majorityVote: answers and verdicts differ in length');
  // Distinct answer strings in order of first appearance, with their first sample and count.
  const distinct = new Map<string, { first: number; count: number }>();
  answers.forEach((a, i) => {
    if (a === null || a.trim() === '') return;
    const d = distinct.get(a);
    if (d) d.count++;
    else distinct.set(a, { first: i, count: 1 });
  });
  if (distinct.size === 0) return { answer: null, votes: 0, correct: false };
  const strings = [...distinct.keys()];
  let best = { first: Number.POSITIVE_INFINITY, votes: 0 };
  for (const group of groupAnswers(strings, checker)) {
    let votes = 0;
    let first = Number.POSITIVE_INFINITY;
    for (const m of group.members) {
      const d = distinct.get(strings[m]!)!;
      votes += d.count;
      if (d.first < first) first = d.first;
    }
    if (votes > best.votes || (votes === best.votes && first < best.first)) best = { first, votes };
  }
  return { answer: answers[best.first]!, votes: best.votes, correct: correct[best.first]! };
}
