/**
 * The gateway's dispatcher in batch mode: a request the cache cannot answer is answered from a
 * returned batch file if it is there, and otherwise deferred. A deferred request is either new
 * (or to be written again: it failed, or a partial output left it out), and goes into the next
 * file, or it is in a file whose output has not come back yet, and waits for it. Either way its
 * promise settles only when the run is suspended (the scheduler aborts it) and the task that
 * asked is run again, from the cache, in the next round.
 *
 * Failed lines are retried under the online rules: statuses that retrying can fix (429, 5xx, a
 * batch that expired or was cancelled before it reached the line) up to `model.max_retries`
 * times, each in a later file; a 4xx is the request's own fault and rejects its problem. A
 * request left out of more than `model.max_retries` + 1 files is rejected too, rather than sent
 * round after round to a provider that never reaches it.
 */
import { CONTEXT_EXCEEDED } from '../backends/openai-http.js';
import { classifyStatus } from '../backends/retry.js';
import { type ChatRequest, type ChatResponse, type FaultKind, ModelCallError } from '../backends/types.js';
import type { Dispatcher } from '../engine/gateway/gateway.js';
import type { SpendLedger } from '../engine/gateway/ledger.js';
import type { BatchStore, StoredRejection } from '../storage/batch-store.js';
import type { LineResult } from './format.js';

/** A request to write into the next file. */
export interface DeferredRequest {
  key: string;
  request: ChatRequest;
  priority: number;
  failures: number;
  lastError: string | null;
}

export class BatchDispatcher implements Dispatcher {
  /** Answers read from returned files, by request key (several tasks may ask for one key). */
  private readonly results = new Map<string, LineResult>();
  private readonly deferred = new Map<string, DeferredRequest>();
  /** Requests waiting for a file still out (not to be written again). */
  private awaiting = 0;
  /** Requests answered from files this round: their rows are dropped once the cache holds the answers. */
  private readonly answered: string[] = [];
  /** Requests whose answers rejected their problems this round, with the error, to be kept. */
  private readonly rejections: { key: string; rejection: StoredRejection }[] = [];
  /** Every request asked this round. */
  private readonly asked = new Set<string>();
  private events = 0;
  /**
   * Files whose output has not come back: their requests wait rather than go out again. Read at
   * the first request, once the returned files have been read.
   */
  private waitingFiles: Set<number> | null = null;

  constructor(
    private readonly store: BatchStore,
    private readonly ledger: SpendLedger,
    private readonly settings: { model: string; supportsN: boolean; maxRetries: number },
    /** What the returned files answered (only each request's latest file). */
    results: readonly LineResult[],
  ) {
    for (const r of results) {
      const had = this.results.get(r.key);
      // An output line and an error line for the same request: the answer wins.
      if (!had || !had.ok) this.results.set(r.key, r);
    }
  }

  get model(): string {
    return this.settings.model;
  }

  get supportsN(): boolean {
    return this.settings.supportsN;
  }

  /** Requests that cannot be answered in this round: to be written, or waiting for a file. */
  blocked(): number {
    return this.deferred.size + this.awaiting;
  }

  /** Changes whenever a request is dispatched: the scheduler tells a suspended round from a busy one by it. */
  activity(): number {
    return this.events;
  }

  /** The requests to write into the next files, in task order. */
  toWrite(): DeferredRequest[] {
    return [...this.deferred.values()].sort((a, b) => a.priority - b.priority || (a.key < b.key ? -1 : 1));
  }

  /** What the round learnt, for the store once the cache holds the answers. */
  outcome() {
    return { answered: this.answered, rejections: this.rejections, asked: this.asked };
  }

  async dispatch(
    request: ChatRequest,
    priority: number,
    signal: AbortSignal | undefined,
    key: string,
  ): Promise<ChatResponse> {
    // A deferred request settles only when its round ends, which aborts this signal.
    if (!signal) throw new Error('a request in batch mode needs the abort signal of its task');
    this.events++;
    this.asked.add(key);
    const row = this.store.request(key);
    if (row?.rejection) throw rejectionError(row.rejection);
    const result = this.results.get(key);
    if (result?.ok) return this.answer(key, request, result.response);
    if (result) {
      // Used once: another task asking for the same request meets it deferred below.
      this.results.delete(key);
      const failures = (row?.failures ?? 0) + 1;
      const fatal = result.status !== null && classifyStatus(result.status) === 'fatal';
      const retry = !fatal && failures <= this.settings.maxRetries;
      this.ledger.fault(faultOf(result.status), retry);
      if (!retry)
        return this.reject(key, {
          message: fatal
            ? `the batch answered this request with ${result.message}`
            : `this request failed in ${failures} batch files (model.max_retries is ${this.settings.maxRetries}); last: ${result.message}`,
          status: result.status,
          inputRejection: CONTEXT_EXCEEDED.test(result.message) ? 'context_exceeded' : 'server_rejected',
        });
      return this.defer({ key, request, priority, failures, lastError: result.message }, signal);
    }
    this.waitingFiles ??= new Set(this.store.files(['waiting']).map((f) => f.id));
    if (row && this.waitingFiles.has(row.fileId)) return this.wait(signal);
    // Left out of every file it went in (batches that keep expiring before they reach it).
    if (row && row.sends > this.settings.maxRetries && !this.deferred.has(key)) {
      this.ledger.fault('internal', false);
      return this.reject(key, {
        message: `this request went out in ${row.sends} batch files and none answered it (model.max_retries is ${this.settings.maxRetries})${row.lastError ? `; last error: ${row.lastError}` : ''}`,
        status: null,
        inputRejection: 'server_rejected',
      });
    }
    // New, or left out of a file that came back: it goes out (again) in the next file.
    return this.defer(
      { key, request, priority, failures: row?.failures ?? 0, lastError: row?.lastError ?? null },
      signal,
    );
  }

  private answer(key: string, request: ChatRequest, response: ChatResponse): ChatResponse {
    if (response.choices.length < request.n)
      throw new ModelCallError(
        `the batch returned ${response.choices.length} choice(s) for n=${request.n}: whatever ran the file ignores n; set model.supports_n to false so that sparq writes one request per attempt`,
        { retryable: false, fault: 'malformed_response' },
      );
    this.ledger.sent(response.usage.promptTokens, response.usage.completionTokens, true);
    this.answered.push(key);
    return response;
  }

  private reject(key: string, rejection: StoredRejection): never {
    this.rejections.push({ key, rejection });
    throw rejectionError(rejection);
  }

  private defer(entry: DeferredRequest, signal: AbortSignal): Promise<ChatResponse> {
    // The first asker's entry stands: it carries the failure just counted.
    if (!this.deferred.has(entry.key)) this.deferred.set(entry.key, entry);
    return suspended(signal);
  }

  private wait(signal: AbortSignal): Promise<ChatResponse> {
    this.awaiting++;
    return suspended(signal);
  }
}

function rejectionError(r: StoredRejection): ModelCallError {
  return new ModelCallError(r.message, {
    retryable: false,
    fault: faultOf(r.status),
    status: r.status,
    inputRejection: r.inputRejection,
  });
}

/** A promise that only the run's suspension (or interruption) settles. */
function suspended(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

function faultOf(status: number | null): FaultKind {
  if (status === null) return 'internal';
  if (status === 429) return 'http_429';
  return status >= 500 ? 'http_5xx' : 'http_4xx';
}
