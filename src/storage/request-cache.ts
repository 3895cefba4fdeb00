/**
 * Model calls through the run's request cache: a request whose key has a stored response is
 * answered from storage, anything else goes to the backend and its response is stored. This is
 * what makes a resumed run re-issue only the requests that never completed.
 */
import { requestKey } from '../backends/request-key.js';
import type { ChatChoice, ChatRequest, ModelBackend } from '../backends/types.js';
import type { CachedResponse } from '../domain/records.js';

export interface ResponseStore {
  getResponse(key: string): CachedResponse | undefined;
  putResponse(response: CachedResponse): void;
}

export interface CachedCall {
  /** One key per request actually sent: one for n choices, or one per sample when split. */
  keys: string[];
  choices: ChatChoice[];
  /** Where choice `i` came from: its request's key and its index in that response. */
  origin(i: number): { key: string; choice: number };
  fromCache: boolean;
}

export interface CallCounters {
  cacheHits: number;
  sent: number;
}

export class CachingClient {
  readonly counters: CallCounters = { cacheHits: 0, sent: 0 };

  constructor(
    readonly backend: ModelBackend,
    private readonly store: ResponseStore,
  ) {}

  /**
   * Sends `request`, split into n single-choice requests (seeds seed+i, sample index i in the
   * key) when the backend cannot return several choices at once.
   */
  async call(
    request: ChatRequest,
    purpose: string,
    templateRef: string | null,
    signal?: AbortSignal,
  ): Promise<CachedCall> {
    if (request.n <= 1 || this.backend.supportsN) {
      const one = await this.callOne(request, null, purpose, templateRef, signal);
      const key = one.key;
      return {
        keys: [key],
        choices: one.choices,
        origin: (i) => ({ key, choice: i }),
        fromCache: one.fromCache,
      };
    }
    const parts = await Promise.all(
      Array.from({ length: request.n }, (_, i) =>
        this.callOne({ ...request, n: 1, seed: (request.seed ?? 0) + i }, i, purpose, templateRef, signal),
      ),
    );
    const keys = parts.map((p) => p.key);
    return {
      keys,
      choices: parts.map((p) => p.choices[0]!),
      origin: (i) => ({ key: keys[i]!, choice: 0 }),
      fromCache: parts.every((p) => p.fromCache),
    };
  }

  private async callOne(
    request: ChatRequest,
    sample: number | null,
    purpose: string,
    templateRef: string | null,
    signal?: AbortSignal,
  ): Promise<{ key: string; choices: ChatChoice[]; fromCache: boolean }> {
    const key = requestKey(this.backend.model, request, sample);
    const cached = this.store.getResponse(key);
    if (cached) {
      this.counters.cacheHits++;
      return { key, choices: cached.choices, fromCache: true };
    }
    const started = performance.now();
    const response = await this.backend.complete(request, signal);
    this.counters.sent++;
    const choices = response.choices;
    this.store.putResponse({
      key,
      purpose,
      model: this.backend.model,
      templateRef,
      params: {
        n: request.n,
        temperature: request.temperature,
        topP: request.topP,
        maxTokens: request.maxTokens,
        seed: request.seed,
        sample,
      },
      choices,
      promptTokens: response.usage.promptTokens,
      completionTokens: response.usage.completionTokens,
      latencyMs: Math.round(performance.now() - started),
    });
    return { key, choices, fromCache: false };
  }
}
