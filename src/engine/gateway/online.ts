/**
 * Sending requests now: at most `maxConcurrency` in flight (served by priority), each failure
 * retried under the policy of src/backends/retry.ts, every attempt's outcome counted in the
 * ledger. A slot is given back before a retry waits, so a sleeping retry never holds one.
 */
import { nextDelay } from '../../backends/retry.js';
import {
  type ChatRequest,
  type ChatResponse,
  type ModelBackend,
  ModelCallError,
} from '../../backends/types.js';
import type { Dispatcher } from './gateway.js';
import type { SpendLedger } from './ledger.js';
import { PriorityLimiter } from './limiter.js';

export interface RetrySettings {
  maxRetries: number;
  baseMs: number;
  maxMs: number;
  /** Randomness for backoff jitter; injectable for tests. */
  random?: () => number;
  /** Called before each retry wait, for logging. */
  onRetry?: (info: { attempt: number; delayMs: number; reason: string }) => void;
}

export class OnlineDispatcher implements Dispatcher {
  readonly limiter: PriorityLimiter;

  constructor(
    private readonly backend: ModelBackend,
    private readonly retry: RetrySettings,
    maxConcurrency: number,
    private readonly ledger: SpendLedger,
  ) {
    this.limiter = new PriorityLimiter(maxConcurrency);
  }

  get model(): string {
    return this.backend.model;
  }

  get supportsN(): boolean {
    return this.backend.supportsN;
  }

  async dispatch(request: ChatRequest, priority: number, signal?: AbortSignal): Promise<ChatResponse> {
    const random = this.retry.random ?? Math.random;
    for (let attempt = 0; ; attempt++) {
      signal?.throwIfAborted();
      if (this.limiter.tryAcquire() === false) await this.slot(priority, signal);
      let failure: ModelCallError;
      try {
        const response = await this.backend.send(request, signal);
        this.ledger.sent(response.usage.promptTokens, response.usage.completionTokens);
        return response;
      } catch (err) {
        if (signal?.aborted || !(err instanceof ModelCallError)) throw err;
        failure = err;
      } finally {
        this.limiter.release();
      }
      const retry = failure.retryable && attempt < this.retry.maxRetries;
      this.ledger.fault(failure.fault, retry);
      if (!failure.retryable) throw failure;
      if (!retry)
        throw new ModelCallError(
          `request failed after ${attempt + 1} attempts; last error: ${failure.message}`,
          {
            retryable: false,
            fault: failure.fault,
            status: failure.status,
          },
        );
      const delayMs = nextDelay(attempt, failure.retryAfterMs, this.retry.baseMs, this.retry.maxMs, random);
      this.retry.onRetry?.({ attempt: attempt + 1, delayMs, reason: failure.message });
      await sleep(delayMs, signal);
    }
  }

  /**
   * A slot, waiting by priority when none is free. A caller that aborted while it waited gives
   * the slot straight back: aborting a run aborts every request in flight, so the slots free up
   * at once and no waiter is left hanging. (Listening for the abort instead would add a listener
   * per waiting request, thousands of them when the window is large.)
   */
  private async slot(priority: number, signal?: AbortSignal): Promise<void> {
    await this.limiter.acquire(priority);
    if (signal?.aborted) {
      this.limiter.release();
      throw signal.reason ?? new Error('aborted');
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
    if (ms <= 0) return resolve();
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason ?? new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
