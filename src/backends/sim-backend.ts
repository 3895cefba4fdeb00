/**
 * The simulated model called in process, without HTTP: for unit tests and quick dry runs
 * (`model.kind: sim`). Runs and benchmarks that should exercise the real network path use
 * `sparq sim-server` with the OpenAI-compatible backend instead.
 */
import { simulateCompletion } from '../sim/model.js';
import {
  type BackendStats,
  type ChatRequest,
  type ChatResponse,
  emptyStats,
  type ModelBackend,
} from './types.js';

export class SimBackend implements ModelBackend {
  readonly description: string;
  readonly supportsN = true;
  private readonly counters: BackendStats = emptyStats();

  constructor(readonly model = 'sim-1') {
    this.description = `simulated model ${model} (in process)`;
  }

  async complete(request: ChatRequest): Promise<ChatResponse> {
    this.counters.requests++;
    const response = simulateCompletion(request, this.model);
    this.counters.promptTokens += response.usage.promptTokens;
    this.counters.completionTokens += response.usage.completionTokens;
    return response;
  }

  stats(): BackendStats {
    return { ...this.counters, faults: { ...this.counters.faults } };
  }

  async close(): Promise<void> {}
}
