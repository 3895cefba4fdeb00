/**
 * Tells a failure of one problem from a failure of the run. A request the server refuses for its
 * input (a prompt over the context, a body it rejects) costs one problem and the run goes on; but
 * when most recent requests fail, or the last many all fail the same way, the cause is the setup
 * (max_tokens against the context, the model name, a setting the server lacks) and going on would
 * reject every problem: the run stops with a message naming the setting to change.
 */
import { type InputRejection, ModelCallError } from '../../backends/types.js';

/** Requests the share is measured over. */
export const RECENT_REQUESTS = 50;
/** This many failures in a row, the same way, is systematic whatever the share. */
export const SAME_FAILURES_IN_A_ROW = 12;
/** Fewer outcomes than this say nothing about a share. */
const MIN_OBSERVED = 20;

export class FailureMonitor {
  private readonly recent: (InputRejection | null)[] = [];
  private failures = 0;
  private streak = 0;
  private streakReason: InputRejection | null = null;
  private stopped: ModelCallError | null = null;

  /** `maxShare`: the share of recent requests that may fail for their input (model.max_failure_share). */
  constructor(private readonly maxShare: number) {}

  /** The error that stopped the run, once it is systematic: every later request fails with it. */
  get systematic(): ModelCallError | null {
    return this.stopped;
  }

  succeeded(): void {
    this.push(null);
    this.streak = 0;
  }

  /** Records an input rejection; returns the systematic error instead when the threshold is crossed. */
  rejected(failure: ModelCallError): ModelCallError {
    const reason = failure.inputRejection ?? 'server_rejected';
    this.push(reason);
    this.streak = this.streakReason === reason ? this.streak + 1 : 1;
    this.streakReason = reason;
    if (this.stopped) return this.stopped;
    const observed = this.recent.length;
    const share = this.failures / observed;
    const inARow = this.streak >= SAME_FAILURES_IN_A_ROW;
    if (inARow || (observed >= MIN_OBSERVED && share > this.maxShare)) {
      const how = inARow
        ? `the last ${this.streak} requests all failed this way`
        : `${this.failures} of the last ${observed} requests failed (model.max_failure_share is ${this.maxShare})`;
      this.stopped = new ModelCallError(
        `${how}, so the cause is the setup, not single problems: ${hint(reason)}. Last error: ${failure.message}`,
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

  private push(outcome: InputRejection | null): void {
    this.recent.push(outcome);
    if (outcome !== null) this.failures++;
    if (this.recent.length > RECENT_REQUESTS && this.recent.shift() !== null) this.failures--;
  }
}

function hint(reason: InputRejection): string {
  if (reason === 'context_exceeded')
    return "requests do not fit the model's context: lower generation.max_tokens and solver.max_tokens, set model.context_tokens to the server's context length (or auto) so that sparq fits requests to it, or give the server a larger context (llama.cpp: --ctx-size, divided among --parallel slots; vLLM: --max-model-len)";
  return 'the server refuses the requests themselves: check model.model, the sampling settings (temperature, top_p, max_tokens), model.supports_n and model.json_schema; `sparq doctor` shows what the server supports';
}
