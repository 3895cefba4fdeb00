/**
 * The simulated model called in process, without HTTP: for unit tests and quick dry runs
 * (`model.kind: sim`). Runs and benchmarks that should exercise the real network path use
 * `sparq sim-server` with the OpenAI-compatible backend instead.
 */
import { simulateCompletion } from '../sim/model.js';
import type { ChatRequest, ChatResponse, ModelBackend } from './types.js';

export class SimBackend implements ModelBackend {
  readonly description: string;
  readonly supportsN = true;

  constructor(readonly model = 'sim-1') {
    this.description = `simulated model ${model} (in process)`;
  }

  async send(request: ChatRequest): Promise<ChatResponse> {
    // A real model answers later: yielding to the event loop lets timers (progress, commits by
    // time) and signals (Ctrl-C) run between requests, as they would against a server.
    await new Promise((resolve) => setImmediate(resolve));
    return simulateCompletion(request, this.model);
  }

  async close(): Promise<void> {}
}
