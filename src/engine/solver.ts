/**
 * Solve-rate estimation: the solver model attempts a problem k times (one request with n=k, or k
 * requests where the backend lacks n), each attempt is graded against the reference with the
 * answer checker's one entry point for model text (`checkOutput`), and the attempts are
 * summarised with the one majority vote (`majorityVote`): solve-rate, majority answer and its
 * share, disputed (a strong majority against the reference), verified (any attempt right).
 *
 * An attempt cut at max_tokens (finish_reason "length") is truncated, not wrong: by default it
 * is left out of the solve-rate's denominator and out of the vote, since counting it as wrong
 * would make the archive reward problems whose solutions are merely long. A problem all of whose
 * attempts were cut is unverified, with that reason. The adaptive mode samples in rounds and
 * stops once the difficulty band is decided.
 *
 * An attempt that ends without stating a final answer is malformed content, not a wrong answer:
 * by default it is left out like a cut one (`solver.no_answer`), so a server's garbled replies do
 * not move solve-rates, and a problem none of whose attempts answered is unverified (`no_answer`).
 *
 * With a model judge, an attempt that ended on its own and that the rules could not decide (no
 * answer they can read, prose, an undecided comparison) is put to the judge. Its verdict decides
 * the attempt, with rule `judge`: an accepted attempt counts; a rejected one counts as it would
 * have (one that stated no answer stays out by `solver.no_answer`). A reply that says neither,
 * or a judge request refused for its input, leaves the rules' verdict as it was.
 */
import { type AnswerChecker, isStatedAnswer, majorityVote, rulesUndecided } from '../answer/index.js';
import { bandDecided } from '../core/solve-rate.js';
import type { AttemptRecord, SamplingParams, UnverifiedReason } from '../domain/records.js';
import type { PromptTemplate } from '../prompts/templates.js';
import { renderTemplate } from '../prompts/templates.js';
import type { CallUsage, ModelGateway } from './gateway/gateway.js';
import type { AnswerJudge } from './judge.js';

export interface SolveSettings {
  k: number;
  temperature: number;
  topP: number;
  maxTokens: number;
  disputedMajority: number;
  /** `exclude`: cut attempts do not count; `wrong`: they count as wrong answers. */
  truncated: 'exclude' | 'wrong';
  /** The same for attempts that ended without stating a final answer (malformed content). */
  noAnswer: 'exclude' | 'wrong';
  adaptive: { enabled: boolean; roundSize: number; maxK: number; confidence: number };
  bands: readonly number[];
}

export interface SolveSummary {
  attempts: AttemptRecord[];
  correct: number;
  truncated: number;
  /** Attempts that ended (not cut) without stating a final answer. */
  noAnswer: number;
  solveRate: number | null;
  majorityAnswer: string | null;
  majorityShare: number | null;
  disputed: boolean;
  verified: boolean;
  unverifiedReason: UnverifiedReason | null;
  keys: string[];
  params: SamplingParams;
  usage: CallUsage;
}

/** Seeds of successive adaptive rounds are this far apart, so rounds never share a sample. */
const ROUND_SEED_STRIDE = 1_000;

export async function solve(
  gateway: ModelGateway,
  template: PromptTemplate,
  checker: AnswerChecker,
  problem: string,
  reference: string,
  seed: number,
  settings: SolveSettings,
  call: { task: number; signal?: AbortSignal },
  judge: AnswerJudge | null = null,
): Promise<SolveSummary> {
  const messages = renderTemplate(template, { problem });
  const attempts: AttemptRecord[] = [];
  const keys: string[] = [];
  const usage: CallUsage = { requests: 0, promptTokens: 0, completionTokens: 0 };
  const roundSize = settings.adaptive.enabled ? settings.adaptive.roundSize : settings.k;
  const limit = settings.adaptive.enabled ? settings.adaptive.maxK : settings.k;
  for (let round = 0; attempts.length < limit; round++) {
    const n = Math.min(roundSize, limit - attempts.length);
    const response = await gateway.call({
      request: {
        messages,
        n,
        temperature: settings.temperature,
        topP: settings.topP,
        maxTokens: settings.maxTokens,
        seed: seed + round * ROUND_SEED_STRIDE,
      },
      purpose: 'solve',
      templateRef: template.ref,
      task: call.task,
      priority: call.task,
      signal: call.signal,
    });
    addUsage(usage, response.usage);
    keys.push(...response.keys);
    const graded = response.choices.map((choice, i) => {
      const verdict = checker.checkOutput(reference, choice.text);
      const origin = response.origin(i);
      const cut = choice.finishReason === 'length';
      // The prompt asks for \boxed{}: mathematics read off an output that never stated its
      // answer is not one (a garbled "Let $x$ be" would otherwise be graded as the answer x).
      const { extracted } = verdict;
      const stated = extracted.found && isStatedAnswer(extracted.source);
      const excluded = cut ? settings.truncated === 'exclude' : !stated && settings.noAnswer === 'exclude';
      const attempt: AttemptRecord = {
        idx: attempts.length + i,
        requestKey: origin.key,
        choice: origin.choice,
        answer: stated && extracted.found ? extracted.answer : null,
        correct: stated && verdict.equivalent,
        rule: stated ? verdict.rule : 'no-answer',
        finishReason: choice.finishReason,
        counted: !excluded,
      };
      const undecided = !cut && (!stated || rulesUndecided(verdict));
      return { attempt, text: choice.text, undecided };
    });
    // Settled, not raced: a judge call still running when another failed would go on writing
    // to the cache after the task has failed.
    const judged = await Promise.allSettled(
      graded.map(async (g) => {
        if (!judge || !g.undecided) return g.attempt;
        const v = await judge.judge({ problem, reference, response: g.text }, call);
        addUsage(usage, v.usage);
        if (v.equivalent === null) return g.attempt;
        const judgedBy = { rule: 'judge', judge: { model: v.model, requestKey: v.requestKey } };
        // What the judge accepted is the reference, also for the vote, and it counts; what it
        // rejected keeps its answer and its place in the solve-rate (an attempt that stated no
        // answer stays out by solver.no_answer, as without a judge).
        return v.equivalent
          ? { ...g.attempt, ...judgedBy, answer: reference, correct: true, counted: true }
          : { ...g.attempt, ...judgedBy, correct: false };
      }),
    );
    const failed = judged.find((j) => j.status === 'rejected');
    if (failed) throw failed.reason;
    attempts.push(...judged.map((j) => (j as PromiseFulfilledResult<AttemptRecord>).value));
    if (!settings.adaptive.enabled) break;
    const counted = attempts.filter((a) => a.counted);
    const correct = counted.filter((a) => a.correct).length;
    if (bandDecided(correct, counted.length, settings.bands, settings.adaptive.confidence)) break;
  }
  return {
    ...summarize(attempts, checker, settings.disputedMajority),
    keys,
    usage,
    params: {
      n: attempts.length,
      temperature: settings.temperature,
      topP: settings.topP,
      maxTokens: settings.maxTokens,
      seed,
    },
  };
}

/** The solve-rate and vote of a set of graded attempts; only counted attempts take part. */
export function summarize(
  attempts: readonly AttemptRecord[],
  checker: AnswerChecker,
  disputedMajority: number,
): Omit<SolveSummary, 'keys' | 'params' | 'usage'> {
  const counted = attempts.filter((a) => a.counted);
  const correct = counted.filter((a) => a.correct).length;
  const truncated = attempts.filter((a) => a.finishReason === 'length').length;
  const noAnswer = attempts.filter(isNoAnswer).length;
  const vote = majorityVote(
    counted.map((a) => a.answer),
    counted.map((a) => a.correct),
    checker,
  );
  const majorityShare = vote.answer === null ? null : vote.votes / counted.length;
  const verified = correct > 0;
  return {
    attempts: [...attempts],
    correct,
    truncated,
    noAnswer,
    solveRate: counted.length === 0 ? null : correct / counted.length,
    majorityAnswer: vote.answer,
    majorityShare,
    disputed: majorityShare !== null && majorityShare >= disputedMajority && !vote.correct,
    verified,
    unverifiedReason: verified
      ? null
      : counted.length > 0
        ? 'no_correct_attempt'
        : noAnswer > 0
          ? 'no_answer'
          : 'all_truncated',
  };
}

/** An attempt that ended on its own without stating a final answer: malformed content. */
export function isNoAnswer(a: Pick<AttemptRecord, 'answer' | 'finishReason'>): boolean {
  return a.answer === null && a.finishReason !== 'length';
}

export function addUsage(into: CallUsage, more: CallUsage): void {
  into.requests += more.requests;
  into.promptTokens += more.promptTokens;
  into.completionTokens += more.completionTokens;
}
