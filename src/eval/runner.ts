/**
 * Running an evaluation: every item is asked once, with n = samples, through the request cache,
 * and each sample's final answer is graded with the same answer checker sparq uses for
 * solve-rates. Requests run concurrently (up to `concurrency` in flight); results are kept in item
 * order, so the output never depends on which response came back first.
 *
 * Interruption is safe by construction: a response is stored in the cache as soon as it arrives,
 * and the request key is a pure function of model, prompt and sampling parameters, so running the
 * same eval again answers completed items from storage and asks only for the rest.
 */
import { setMaxListeners } from 'node:events';
import { type AnswerChecker, majorityVote } from '../answer/index.js';
import { type InputRejection, ModelCallError } from '../backends/types.js';
import type { ModelGateway } from '../engine/gateway/index.js';
import type { BenchmarkItem } from './benchmarks.js';
import type { EvalPrompt } from './prompt.js';
import type { EvalItem } from './types.js';

export interface SamplingSettings {
  samples: number;
  temperature: number;
  topP: number;
  maxTokens: number;
  seed: number;
}

export interface RunEvalOptions {
  gateway: ModelGateway;
  prompt: EvalPrompt;
  checker: AnswerChecker;
  items: readonly BenchmarkItem[];
  sampling: SamplingSettings;
  concurrency: number;
  /** Keep the raw outputs in the result (they are always in the cache). */
  saveOutputs?: boolean;
  signal?: AbortSignal;
  /** Called after each item with the number of items done. */
  onProgress?: (done: number, total: number) => void;
}

export async function runEval(options: RunEvalOptions): Promise<EvalItem[]> {
  const { gateway, prompt, checker, items, sampling } = options;
  const results = new Array<EvalItem | undefined>(items.length);
  // One failure stops the others: the completed responses are cached, and a rerun resumes.
  const stop = new AbortController();
  // Every in-flight request listens on this signal, some of them more than once (a queue slot, the
  // HTTP call): a few listeners per unit of concurrency are normal, not a leak.
  setMaxListeners(4 * options.concurrency + 16, stop.signal);
  const onOuterAbort = () => stop.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (options.signal?.aborted) onOuterAbort();
  let next = 0;
  let done = 0;
  let failure: unknown = null;

  const evaluateOne = async (item: BenchmarkItem, index: number): Promise<EvalItem> => {
    try {
      return await askAndGrade(item, index);
    } catch (err) {
      // A prompt over the context, or one the server refuses while it answers others, costs its
      // item (counted wrong and listed), not the eval; the gateway stops it if most are refused.
      if (!(err instanceof ModelCallError) || err.inputRejection === null) throw err;
      return refusedItem(item, sampling.samples, err.inputRejection, err.message);
    }
  };

  const askAndGrade = async (item: BenchmarkItem, index: number): Promise<EvalItem> => {
    const call = await gateway.call({
      request: {
        messages: prompt.messages(item.problem),
        n: sampling.samples,
        temperature: sampling.temperature,
        topP: sampling.topP,
        maxTokens: sampling.maxTokens,
        seed: sampling.seed,
      },
      purpose: 'eval',
      templateRef: prompt.template.ref,
      priority: index,
      signal: stop.signal,
    });
    if (call.choices.length !== sampling.samples)
      throw new Error(
        `the server returned ${call.choices.length} choices for item ${item.id}, ${sampling.samples} were asked`,
      );
    const answers: (string | null)[] = [];
    const sources: (string | null)[] = [];
    const correct: boolean[] = [];
    const rules: string[] = [];
    for (const choice of call.choices) {
      const verdict = checker.checkOutput(item.answer, choice.text);
      answers.push(verdict.extracted.found ? verdict.extracted.answer : null);
      sources.push(verdict.extracted.found ? verdict.extracted.source : null);
      correct.push(verdict.equivalent);
      rules.push(verdict.rule);
    }
    const result: EvalItem = {
      id: item.id,
      subject: item.subject,
      level: item.level,
      gold: item.answer,
      answers,
      sources,
      correct,
      rules,
      finishReasons: call.choices.map((c) => c.finishReason),
      requestKeys: call.keys,
      majority: majorityVote(answers, correct, checker),
    };
    if (options.saveOutputs) result.outputs = call.choices.map((c) => c.text);
    return result;
  };

  const worker = async () => {
    while (failure === null && !stop.signal.aborted) {
      const index = next++;
      if (index >= items.length) return;
      try {
        results[index] = await evaluateOne(items[index]!, index);
      } catch (err) {
        if (failure === null) failure = err;
        stop.abort(err);
        return;
      }
      done++;
      options.onProgress?.(done, items.length);
    }
  };

  try {
    await Promise.all(
      Array.from({ length: Math.max(1, Math.min(options.concurrency, items.length)) }, worker),
    );
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
  if (failure !== null) throw failure;
  if (stop.signal.aborted) throw stop.signal.reason ?? new Error('evaluation interrupted');
  return results as EvalItem[];
}

/** The record of an item the server would not answer: every sample without an answer, and why. */
function refusedItem(
  item: BenchmarkItem,
  samples: number,
  reason: InputRejection,
  message: string,
): EvalItem {
  return {
    id: item.id,
    subject: item.subject,
    level: item.level,
    gold: item.answer,
    answers: Array(samples).fill(null),
    sources: Array(samples).fill(null),
    correct: Array(samples).fill(false),
    rules: Array(samples).fill(`refused:${reason}`),
    finishReasons: Array(samples).fill(reason),
    requestKeys: [],
    majority: { answer: null, votes: 0, correct: false },
    refused: { reason, detail: message.slice(0, 500) },
  };
}
