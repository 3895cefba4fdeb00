/**
 * Solve-rate estimation: the solver model attempts a problem k times (one request with n=k, or k
 * requests where the backend lacks n), each final answer is checked against the reference with
 * the answer checker, and the attempts are summarised: solve-rate, majority answer and its
 * share, disputed (a strong majority against the reference), verified (any attempt right).
 * The adaptive mode samples in rounds and stops once the difficulty band is decided.
 */
import { type AnswerChecker, extractAnswer, groupAnswers } from '../answer/index.js';
import { bandDecided } from '../core/solve-rate.js';
import type { AttemptRecord, SamplingParams } from '../domain/records.js';
import type { PromptTemplate } from '../prompts/templates.js';
import { renderTemplate } from '../prompts/templates.js';
import type { CachingClient } from '../storage/request-cache.js';

export interface SolveSettings {
  k: number;
  temperature: number;
  topP: number;
  maxTokens: number;
  disputedMajority: number;
  adaptive: { enabled: boolean; roundSize: number; maxK: number; confidence: number };
  bands: readonly number[];
}

export interface SolveSummary {
  attempts: AttemptRecord[];
  correct: number;
  solveRate: number;
  majorityAnswer: string | null;
  majorityShare: number | null;
  disputed: boolean;
  verified: boolean;
  keys: string[];
  params: SamplingParams;
}

const NO_ANSWER = { equivalent: false, rule: 'no-answer' } as const;

/** Seeds of successive adaptive rounds are this far apart, so rounds never share a sample. */
const ROUND_SEED_STRIDE = 1_000;

export async function solve(
  client: CachingClient,
  template: PromptTemplate,
  checker: AnswerChecker,
  problem: string,
  reference: string,
  seed: number,
  settings: SolveSettings,
  signal?: AbortSignal,
): Promise<SolveSummary> {
  const messages = renderTemplate(template, { problem });
  const attempts: AttemptRecord[] = [];
  const keys: string[] = [];
  const roundSize = settings.adaptive.enabled ? settings.adaptive.roundSize : settings.k;
  const limit = settings.adaptive.enabled ? settings.adaptive.maxK : settings.k;
  for (let round = 0; attempts.length < limit; round++) {
    const n = Math.min(roundSize, limit - attempts.length);
    const call = await client.call(
      {
        messages,
        n,
        temperature: settings.temperature,
        topP: settings.topP,
        maxTokens: settings.maxTokens,
        seed: seed + round * ROUND_SEED_STRIDE,
      },
      'solve',
      template.ref,
      signal,
    );
    keys.push(...call.keys);
    call.choices.forEach((choice, i) => {
      const extracted = extractAnswer(choice.text);
      const verdict = extracted.found ? checker.check(reference, extracted.answer) : NO_ANSWER;
      const origin = call.origin(i);
      attempts.push({
        idx: attempts.length,
        requestKey: origin.key,
        choice: origin.choice,
        answer: extracted.found ? extracted.answer : null,
        correct: verdict.equivalent,
        rule: verdict.rule,
      });
    });
    if (!settings.adaptive.enabled) break;
    const correct = attempts.filter((a) => a.correct).length;
    if (bandDecided(correct, attempts.length, settings.bands, settings.adaptive.confidence)) break;
  }
  return summarize(attempts, reference, checker, settings.disputedMajority, keys, {
    n: attempts.length,
    temperature: settings.temperature,
    topP: settings.topP,
    maxTokens: settings.maxTokens,
    seed,
  });
}

export function summarize(
  attempts: AttemptRecord[],
  reference: string,
  checker: AnswerChecker,
  disputedMajority: number,
  keys: string[],
  params: SamplingParams,
): SolveSummary {
  const correct = attempts.filter((a) => a.correct).length;
  const answered = attempts.filter((a) => a.answer !== null).map((a) => a.answer!);
  let majorityAnswer: string | null = null;
  let majorityShare: number | null = null;
  if (answered.length > 0) {
    // Identical strings first, so equivalence is only decided between distinct answers.
    const counts = new Map<string, number>();
    for (const a of answered) counts.set(a, (counts.get(a) ?? 0) + 1);
    const distinct = [...counts.keys()];
    let best = { answer: '', count: -1 };
    for (const group of groupAnswers(distinct, checker)) {
      const count = group.members.reduce((s, i) => s + counts.get(distinct[i]!)!, 0);
      if (count > best.count) best = { answer: group.representative, count };
    }
    majorityAnswer = best.answer;
    majorityShare = best.count / attempts.length;
  }
  const disputed =
    majorityAnswer !== null &&
    majorityShare !== null &&
    majorityShare >= disputedMajority &&
    !checker.check(reference, majorityAnswer).equivalent;
  return {
    attempts,
    correct,
    solveRate: attempts.length === 0 ? 0 : correct / attempts.length,
    majorityAnswer,
    majorityShare,
    disputed,
    verified: correct > 0,
    keys,
    params,
  };
}
