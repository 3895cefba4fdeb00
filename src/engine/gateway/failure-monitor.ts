/**
 * Tells a failure of one problem from a failure of the run. A request the server refuses for its
 * input (a prompt over the context, a body it rejects) costs one problem and the run goes on; but
 * when most recent requests of one kind fail, or the last many all fail the same way, the cause
 * is the setup (max_tokens against the context, the model name, a setting the server lacks) and
 * going on would reject every problem: the run stops with a message naming the setting to change.
 * Requests are watched by purpose (mutate, label, solve): every label prompt over the context
 * while every solve fits is systematic, however many solves succeed in between.
 */
import { type InputRejection, ModelCallError } from '../../backends/types.js';

/** Requests the share is measured over. */
export const RECENT_REQUESTS = 50;
/** This many failures in a row, the same way, with no success in the window, is systematic before the share can say. */
export const SAME_FAILURES_IN_A_ROW = 12;
/** Fewer outcomes than this say nothing about a share. */
const MIN_OBSERVED = 20;

/** The recent outcomes of one kind of request. */
class Recent {
  readonly outcomes: (InputRejection | null)[] = [];
  failures = 0;
  streak = 0;
  streakReason: InputRejection | null = null;

  push(outcome: InputRejection | null): void {
    this.outcomes.push(outcome);
    if (outcome !== null) this.failures++;
    if (this.outcomes.length > RECENT_REQUESTS && this.outcomes.shift() !== null) this.failures--;
    if (outcome === null) this.streak = 0;
    else {
      this.streak = this.streakReason === outcome ? this.streak + 1 : 1;
      this.streakReason = outcome;
    }
  }
}

export class FailureMonitor {
  private readonly byPurpose = new Map<string, Recent>();
  private stopped: ModelCallError | null = null;

  /** `maxShare`: the share of recent requests that may fail for their input (model.max_failure_share). */
  constructor(private readonly maxShare: number) {}

  /** The error that stopped the run, once it is systematic: every later request fails with it. */
  get systematic(): ModelCallError | null {
    return this.stopped;
  }

  succeeded(purpose: string): void {
    this.recent(purpose).push(null);
  }

  /** Records an input rejection; returns the systematic error instead when the threshold is crossed. */
  rejected(purpose: string, failure: ModelCallError): ModelCallError {
    const reason = failure.inputRejection ?? 'server_rejected';
    const recent = this.recent(purpose);
    recent.push(reason);
    if (this.stopped) return this.stopped;
    const observed = recent.outcomes.length;
    // Every recent request of this kind failed the same way (none in the window succeeded): a
    // dozen long problems in a row after many answered ones is not that.
    const inARow = recent.streak >= SAME_FAILURES_IN_A_ROW && recent.streak >= observed;
    if (inARow || (observed >= MIN_OBSERVED && recent.failures / observed > this.maxShare)) {
      const how = inARow
        ? `the last ${recent.streak} ${purpose} requests all failed this way`
        : `${recent.failures} of the last ${observed} ${purpose} requests failed (model.max_failure_share is ${this.maxShare})`;
      this.stopped = new ModelCallError(
        `${how}, so the cause is the setup, not single problems: ${hint(reason)}. Settings that change results (max_tokens, model.context_tokens) need a new run directory or --allow-config-change. Last error: ${failure.message}`,
        {
          retryable: false,
          fault: failure.fault,
          status: failure.status,
        },
      );
      return this.stopped;
    }
    return failure;
  }

  private recent(purpose: string): Recent {
    let r = this.byPurpose.get(purpose);
    if (!r) {
      r = new Recent();
      this.byPurpose.set(purpose, r);
    }
    return r;
  }
}

function hint(reason: InputRejection): string {
  if (reason === 'context_exceeded')
    return "requests do not fit the model's context: lower generation.max_tokens and solver.max_tokens, set model.context_tokens to the server's context length (or auto) so that sparq fits requests to it, or give the server a larger context (llama.cpp: --ctx-size, divided among --parallel slots; vLLM: --max-model-len)";
  return 'the server refuses the requests themselves: check model.model, the sampling settings (temperature, top_p, max_tokens), model.supports_n and model.json_schema; `sparq doctor` shows what the server supports';
}
