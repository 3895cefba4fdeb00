/**
 * What a process spent on the model, counted from each call as it happens (never by
 * subtracting a backend's cumulative counters). The run store drains it with the responses it
 * writes, within a fraction of a second of each event, so a process killed at any moment has
 * recorded what it sent, less what was in flight.
 */
import type { FaultKind } from '../../backends/types.js';

export interface Spend {
  /** Requests that reached the backend and came back with a response. */
  requestsSent: number;
  /** Requests answered from the run's cache instead. */
  cacheHits: number;
  /** Attempts that failed and were tried again. */
  retries: number;
  /** Requests that failed for good. */
  failures: number;
  promptTokens: number;
  completionTokens: number;
  /** The part of the tokens answered through batch files, priced at the batch discount. */
  batchPromptTokens: number;
  batchCompletionTokens: number;
  /** Failed attempts by kind. */
  faults: Partial<Record<FaultKind, number>>;
}

export function emptySpend(): Spend {
  return {
    requestsSent: 0,
    cacheHits: 0,
    retries: 0,
    failures: 0,
    promptTokens: 0,
    completionTokens: 0,
    batchPromptTokens: 0,
    batchCompletionTokens: 0,
    faults: {},
  };
}

export class SpendLedger {
  private pending = emptySpend();
  private readonly total = emptySpend();
  /** Told of every event, so that whoever keeps the spend can write it soon. */
  onActivity: () => void = () => {};

  /** `batch`: answered through a batch file, at the batch price. */
  sent(promptTokens: number, completionTokens: number, batch = false): void {
    for (const s of [this.pending, this.total]) {
      s.requestsSent++;
      s.promptTokens += promptTokens;
      s.completionTokens += completionTokens;
      if (batch) {
        s.batchPromptTokens += promptTokens;
        s.batchCompletionTokens += completionTokens;
      }
    }
    this.onActivity();
  }

  cacheHit(): void {
    this.pending.cacheHits++;
    this.total.cacheHits++;
    this.onActivity();
  }

  fault(kind: FaultKind, retried: boolean): void {
    for (const s of [this.pending, this.total]) {
      s.faults[kind] = (s.faults[kind] ?? 0) + 1;
      if (retried) s.retries++;
      else s.failures++;
    }
    this.onActivity();
  }

  /** Everything since the last drain, without clearing it. */
  pendingSpend(): Spend {
    return { ...this.pending, faults: { ...this.pending.faults } };
  }

  /** Everything since the last drain. */
  drain(): Spend {
    const out = this.pending;
    this.pending = emptySpend();
    return out;
  }

  /** Everything this process spent. */
  totals(): Spend {
    return { ...this.total, faults: { ...this.total.faults } };
  }
}
