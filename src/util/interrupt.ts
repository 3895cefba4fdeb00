/**
 * Ctrl-C and `kill`: a command that can be interrupted aborts its work cleanly and exits with
 * the shell's convention, 128 + the signal number (130 for SIGINT, 143 for SIGTERM), so that a
 * scheduler can tell an interrupted job from a failed one.
 */

export type StopSignal = 'SIGINT' | 'SIGTERM';

export class Interrupted extends Error {
  constructor(readonly signal: StopSignal) {
    super(`interrupted (${signal})`);
    this.name = 'Interrupted';
  }

  get exitCode(): number {
    return this.signal === 'SIGINT' ? 130 : 143;
  }
}

/** The exit code for work aborted with `reason`: the signal's, or 130 for any other abort. */
export function interruptExitCode(reason: unknown): number {
  return reason instanceof Interrupted ? reason.exitCode : 130;
}

/** Aborts `controller` with `Interrupted` on SIGINT or SIGTERM until the returned function is called. */
export function abortOnSignals(controller: AbortController): () => void {
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((signal) => {
    const handler = () => controller.abort(new Interrupted(signal));
    process.once(signal, handler);
    return () => process.off(signal, handler);
  });
  return () => {
    for (const off of handlers) off();
  };
}
