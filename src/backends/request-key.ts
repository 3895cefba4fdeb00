import { sha256Hex } from '../util/hash.js';
import type { ChatRequest } from './types.js';

/**
 * The deterministic identity of a model request: model, messages and every sampling parameter,
 * plus the sample index when one logical request is sent as several. The same key always means
 * the same question, so a stored response can stand in for a repeated call.
 */
export function requestKey(model: string, request: ChatRequest, sample: number | null = null): string {
  return sha256Hex(
    JSON.stringify([
      model,
      request.messages,
      request.n,
      request.temperature,
      request.topP ?? null,
      request.maxTokens ?? null,
      request.seed ?? null,
      request.stop ?? null,
      request.responseFormat ?? null,
      sample,
    ]),
  );
}
