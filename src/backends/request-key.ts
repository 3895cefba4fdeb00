import { createHash } from 'node:crypto';
import type { ChatRequest, JsonSchemaFormat } from './types.js';

const formatJson = new WeakMap<JsonSchemaFormat, string>();

/**
 * A response format serialized once: label requests all carry the same (large) schema object,
 * and serializing it for every key and every body showed up in profiles.
 */
export function serializedFormat(format: JsonSchemaFormat): string {
  let json = formatJson.get(format);
  if (json === undefined) {
    json = JSON.stringify({
      type: 'json_schema',
      json_schema: { name: format.name, schema: format.schema, strict: true },
    });
    formatJson.set(format, json);
  }
  return json;
}

/**
 * The deterministic identity of a model request: model, messages and every sampling parameter,
 * plus the sample index when one logical request is sent as several. The same key always means
 * the same question, so a stored response can stand in for a repeated call. Hashed piecewise
 * (NUL-separated) rather than over one big JSON string.
 */
export function requestKey(model: string, request: ChatRequest, sample: number | null = null): string {
  const h = createHash('sha256');
  h.update(model);
  for (const m of request.messages) h.update(`\u0000${m.role}\u0000`).update(m.content);
  h.update(
    `\u0000${JSON.stringify([request.n, request.temperature, request.topP ?? null, request.maxTokens ?? null, request.seed ?? null, request.stop ?? null, sample])}`,
  );
  if (request.responseFormat) h.update('\u0000').update(serializedFormat(request.responseFormat));
  return h.digest('hex');
}
