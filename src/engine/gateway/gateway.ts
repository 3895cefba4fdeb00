/**
 * The model gateway: the only way from sparq to a model. Every call goes through the request
 * cache first (a request's key is a pure function of model, prompt and sampling parameters, so a
 * stored response stands in for a repeat); on a miss it hands the request to a dispatcher, which
 * sends it now (`OnlineDispatcher`: retry policy, concurrency limit, spend) or, in batch-file
 * mode, defers it. A call asking for n choices of a backend without n>1 becomes n single-choice
 * requests with seeds seed+i and the sample index in their keys.
 *
 * @example
 * const gateway = new ModelGateway(new OnlineDispatcher(backend, retry, 64, ledger), store, ledger);
 * const call = await gateway.call({ request, purpose: 'solve', templateRef: 'solve@1', task: 17, priority: 17 });
 * call.choices; // the choices, from the cache or the model
 */
import { requestKey } from '../../backends/request-key.js';
import {
  type ChatChoice,
  type ChatRequest,
  type ChatResponse,
  ModelCallError,
} from '../../backends/types.js';
import type { CachedResponse } from '../../domain/records.js';
import { fitToContext } from './context-budget.js';
import type { FailureMonitor } from './failure-monitor.js';
import type { SpendLedger } from './ledger.js';
import type { RequestTally } from './tally.js';

/** Where responses are kept by key: the run store, or memory for a throwaway eval. */
export interface ResponseCache {
  /** `task`: the task the request is made for (the run store keeps a task's responses together). */
  getResponse(key: string, task: number | null): CachedResponse | undefined;
  putResponse(response: CachedResponse): void;
}

/** Turns a request the cache could not answer into a response. */
export interface Dispatcher {
  readonly model: string;
  readonly supportsN: boolean;
  /**
   * `priority`: lower goes first when requests wait for a slot (the scheduler passes the task
   * number). `key`: the request's key, the id a deferred request is written under.
   */
  dispatch(
    request: ChatRequest,
    priority: number,
    signal: AbortSignal | undefined,
    key: string,
  ): Promise<ChatResponse>;
}

export interface CallSpec {
  request: ChatRequest;
  /** What the call is for (`mutate`, `label`, `solve`, `eval`), stored with the response. */
  purpose: string;
  templateRef: string | null;
  /** The task the call is made for: its number in the run's task sequence. */
  task?: number;
  priority?: number;
  signal?: AbortSignal;
}

/** What one call cost, whether its responses came from the model now or from the cache. */
export interface CallUsage {
  requests: number;
  promptTokens: number;
  completionTokens: number;
}

export interface ModelCall {
  /** One key per request: one for n choices, or one per sample when split. */
  keys: string[];
  choices: ChatChoice[];
  /** Where choice `i` came from: its request's key and its index in that response. */
  origin(i: number): { key: string; choice: number };
  usage: CallUsage;
  fromCache: boolean;
}

interface OneResponse {
  key: string;
  choices: ChatChoice[];
  promptTokens: number;
  completionTokens: number;
  fromCache: boolean;
}

export class ModelGateway {
  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly cache: ResponseCache,
    private readonly ledger: SpendLedger,
    private readonly limits: {
      contextTokens: number | null;
      monitor: FailureMonitor | null;
      /** Counts requests by purpose and outcome, for /metrics. */
      tally?: RequestTally | null;
    } = {
      contextTokens: null,
      monitor: null,
    },
  ) {}

  /** Records an input rejection; the error to throw is the systematic one once they are. */
  private rejected(purpose: string, failure: ModelCallError): ModelCallError {
    return this.limits.monitor ? this.limits.monitor.rejected(purpose, failure) : failure;
  }

  get model(): string {
    return this.dispatcher.model;
  }

  /**
   * One outcome per call for the failure monitor, however many requests it was split into: one
   * over-long problem is one refusal, not k.
   */
  async call(spec: CallSpec): Promise<ModelCall> {
    const systematic = this.limits.monitor?.systematic;
    if (systematic) throw systematic;
    let result: ModelCall;
    try {
      result = await this.answer(spec);
    } catch (err) {
      if (err instanceof ModelCallError && err.inputRejection) throw this.rejected(spec.purpose, err);
      throw err;
    }
    if (!result.fromCache) this.limits.monitor?.succeeded(spec.purpose);
    return result;
  }

  private async answer(spec: CallSpec): Promise<ModelCall> {
    const fitted = fitToContext(spec.request, this.limits.contextTokens);
    if (!fitted.ok) {
      const refused = new ModelCallError(
        `the prompt (about ${fitted.promptTokens} tokens) leaves no room to answer in the model's context of ${fitted.contextTokens} tokens (model.context_tokens); not sent`,
        { retryable: false, fault: 'http_4xx', inputRejection: 'context_exceeded' },
      );
      throw refused;
    }
    const request = fitted.request;
    if (request.n <= 1 || this.dispatcher.supportsN) {
      const one = await this.one(spec, request, null);
      const key = one.key;
      return {
        keys: [key],
        choices: one.choices,
        origin: (i) => ({ key, choice: i }),
        usage: { requests: 1, promptTokens: one.promptTokens, completionTokens: one.completionTokens },
        fromCache: one.fromCache,
      };
    }
    // Settled, not raced: a part still running when another failed would go on writing to the
    // cache after the caller has moved on (or the store has closed).
    const settled = await Promise.allSettled(
      Array.from({ length: request.n }, (_, i) =>
        this.one(spec, { ...request, n: 1, seed: (request.seed ?? 0) + i }, i),
      ),
    );
    const failed = settled.find((p) => p.status === 'rejected');
    if (failed) throw failed.reason;
    const parts = settled.map((p) => (p as PromiseFulfilledResult<OneResponse>).value);
    const keys = parts.map((p) => p.key);
    return {
      keys,
      choices: parts.map((p) => p.choices[0]!),
      origin: (i) => ({ key: keys[i]!, choice: 0 }),
      usage: {
        requests: parts.length,
        promptTokens: parts.reduce((s, p) => s + p.promptTokens, 0),
        completionTokens: parts.reduce((s, p) => s + p.completionTokens, 0),
      },
      fromCache: parts.every((p) => p.fromCache),
    };
  }

  private async one(spec: CallSpec, request: ChatRequest, sample: number | null): Promise<OneResponse> {
    const key = requestKey(this.dispatcher.model, request, sample);
    const cached = this.cache.getResponse(key, spec.task ?? null);
    if (cached) {
      this.ledger.cacheHit();
      this.limits.tally?.add(spec.purpose, 'cached');
      return {
        key,
        choices: cached.choices,
        promptTokens: cached.promptTokens,
        completionTokens: cached.completionTokens,
        fromCache: true,
      };
    }
    const started = performance.now();
    let response: ChatResponse;
    try {
      response = await this.dispatcher.dispatch(request, spec.priority ?? 0, spec.signal, key);
    } catch (err) {
      // A request stopped with its task (an interrupt, the end of a batch round) did not fail.
      if (!spec.signal?.aborted) this.limits.tally?.add(spec.purpose, 'failed');
      throw err;
    }
    this.limits.tally?.add(spec.purpose, 'answered');
    const { promptTokens, completionTokens } = response.usage;
    this.cache.putResponse({
      key,
      task: spec.task ?? null,
      purpose: spec.purpose,
      model: this.dispatcher.model,
      templateRef: spec.templateRef,
      params: {
        n: request.n,
        temperature: request.temperature,
        topP: request.topP,
        maxTokens: request.maxTokens,
        seed: request.seed,
        sample,
      },
      choices: response.choices,
      promptTokens,
      completionTokens,
      latencyMs: Math.round(performance.now() - started),
    });
    return { key, choices: response.choices, promptTokens, completionTokens, fromCache: false };
  }
}
