/**
 * Sending requests now: at most `maxConcurrency` in flight (served by priority), each failure
 * retried under the policy of src/backends/retry.ts, every attempt's outcome counted in the
 * ledger. A slot is given back before a retry waits, so a sleeping retry never holds one.
 *
 * Two kinds of trouble are told apart by whether other requests succeed meanwhile:
 * - an outage (connection refused or reset, 502/503/504, a model loading) while nothing at all
 *   succeeds: retried without counting against the request, until no request has succeeded for
 *   `outageToleranceMs`;
 * - an error only some requests hit: retried `maxRetries` times; one that keeps failing while
 *   others succeed belongs to its input, and its problem is rejected (`server_rejected`).
 * Whether input rejections are systematic is the gateway's failure monitor's call.
 */
import { backoffDelay, nextDelay } from '../../backends/retry.js';
import {
  type ChatRequest,
  type ChatResponse,
  type ModelBackend,
  ModelCallError,
} from '../../backends/types.js';
import { sleep } from '../../util/sleep.js';
import type { Dispatcher } from './gateway.js';
import type { SpendLedger } from './ledger.js';
import { PriorityLimiter } from './limiter.js';

export interface RetrySettings {
  maxRetries: number;
  baseMs: number;
  maxMs: number;
  /** Randomness for backoff jitter; injectable for tests. */
  random?: () => number;
  /** How long no request may succeed before an outage stops the run. */
  outageToleranceMs: number;
  /** Called before each retry wait, for logging. */
  onRetry?: (info: { attempt: number; delayMs: number; reason: string; outage: boolean }) => void;
  /** The clock, injectable for tests. */
  now?: () => number;
}

/** During an outage, how often at most each waiting request tries again: a restarted server is found within seconds. */
const OUTAGE_PROBE_MAX_MS = 5_000;

/** Failures that a request's own input can cause: a server error, a reply broken for this body. */
function inputLike(failure: ModelCallError): boolean {
  return (failure.fault === 'http_5xx' && !outageLike(failure)) || failure.fault === 'malformed_response';
}

/** Failures that mean the server is not there at all, rather than refusing one request. */
function outageLike(failure: ModelCallError): boolean {
  return (
    failure.fault === 'network' || failure.status === 502 || failure.status === 503 || failure.status === 504
  );
}

export class OnlineDispatcher implements Dispatcher {
  readonly limiter: PriorityLimiter;
  private readonly now: () => number;
  /** When any request last succeeded (or the dispatcher was made): the start of an outage. */
  private lastSuccessAt: number;

  constructor(
    private readonly backend: ModelBackend,
    private readonly retry: RetrySettings,
    maxConcurrency: number,
    private readonly ledger: SpendLedger,
  ) {
    this.limiter = new PriorityLimiter(maxConcurrency);
    this.now = retry.now ?? Date.now;
    this.lastSuccessAt = this.now();
  }

  get model(): string {
    return this.backend.model;
  }

  get supportsN(): boolean {
    return this.backend.supportsN;
  }

  /** Requests being dispatched, waiting for a retry included (the limiter counts only those sent). */
  get active(): number {
    return this.dispatching;
  }

  private dispatching = 0;

  async dispatch(request: ChatRequest, priority: number, signal?: AbortSignal): Promise<ChatResponse> {
    this.dispatching++;
    try {
      return await this.dispatchOnce(request, priority, signal);
    } finally {
      this.dispatching--;
    }
  }

  private async dispatchOnce(
    request: ChatRequest,
    priority: number,
    signal?: AbortSignal,
  ): Promise<ChatResponse> {
    const random = this.retry.random ?? Math.random;
    const firstSentAt = this.now();
    let counted = 0;
    let outageWaits = 0;
    // Since when this request has been trying: a success of any request after it means the
    // server is up, and this request's failure is its own.
    let triedSince = firstSentAt;
    for (let attempt = 0; ; attempt++) {
      signal?.throwIfAborted();
      if (this.limiter.tryAcquire() === false) await this.slot(priority, signal);
      const sentAt = this.now();
      let failure: ModelCallError;
      try {
        const response = await this.backend.send(request, signal);
        this.ledger.sent(response.usage.promptTokens, response.usage.completionTokens);
        this.lastSuccessAt = this.now();
        return response;
      } catch (err) {
        if (signal?.aborted || !(err instanceof ModelCallError)) throw err;
        failure = err;
      } finally {
        this.limiter.release();
      }
      if (!failure.retryable) {
        this.ledger.fault(failure.fault, false);
        throw failure;
      }
      const othersSucceeded = this.lastSuccessAt > triedSince;
      const outage = outageLike(failure) && !othersSucceeded;
      triedSince = sentAt;
      const now = this.now();
      // A whole outage, or one request that has met only outage-like failures for as long
      // (a server that crashes on this input and restarts): either way, no longer than the tolerance.
      const downMs = outage ? now - this.lastSuccessAt : now - firstSentAt;
      if (outageLike(failure) && downMs > this.retry.outageToleranceMs) {
        this.ledger.fault(failure.fault, false);
        throw new ModelCallError(
          outage
            ? `no request to the model has succeeded for ${Math.round(downMs / 1000)} s (model.outage_tolerance_s is ${this.retry.outageToleranceMs / 1000}): the server is down or unreachable; start it (or fix model.base_urls) and resume. Last error: ${failure.message}`
            : `this request has failed for ${Math.round(downMs / 1000)} s (model.outage_tolerance_s is ${this.retry.outageToleranceMs / 1000}) while others succeeded; last error: ${failure.message}`,
          { retryable: false, fault: failure.fault, status: failure.status },
        );
      }
      if (!outage) counted++;
      if (counted > this.retry.maxRetries) {
        this.ledger.fault(failure.fault, false);
        const message = `request failed after ${attempt + 1} attempts; last error: ${failure.message}`;
        // A server error that keeps coming back for this request while others got answers during
        // its last attempt: the request itself is the trouble. Rate limits and timeouts say
        // nothing about the input, and stop the run instead.
        if (inputLike(failure) && this.lastSuccessAt > sentAt)
          throw new ModelCallError(`${message} (other requests succeeded meanwhile)`, {
            retryable: false,
            fault: failure.fault,
            status: failure.status,
            inputRejection: 'server_rejected',
          });
        throw new ModelCallError(message, { retryable: false, fault: failure.fault, status: failure.status });
      }
      this.ledger.fault(failure.fault, true);
      const delayMs = outage
        ? backoffDelay(
            outageWaits++,
            this.retry.baseMs,
            Math.min(this.retry.maxMs, OUTAGE_PROBE_MAX_MS),
            random,
          )
        : nextDelay(counted - 1, failure.retryAfterMs, this.retry.baseMs, this.retry.maxMs, random);
      this.retry.onRetry?.({ attempt: attempt + 1, delayMs, reason: failure.message, outage });
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
