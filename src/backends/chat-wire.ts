/**
 * The chat-completions wire format as sparq writes and reads it: the request body (the same bytes
 * whether sent over HTTP now or written to a batch file for later) and the validation of a
 * completion body, wherever it came from.
 */
import { serializedFormat } from './request-key.js';
import type { ChatChoice, ChatRequest, ChatResponse } from './types.js';

/** The JSON body of a chat completion request for `model`; the response format only where the server enforces it. */
export function chatCompletionBody(request: ChatRequest, model: string, jsonSchema: boolean): string {
  const body: Record<string, unknown> = {
    model,
    messages: request.messages,
    temperature: request.temperature,
  };
  if (request.n !== 1) body.n = request.n;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.maxTokens !== undefined) body.max_tokens = request.maxTokens;
  if (request.seed !== undefined) body.seed = request.seed;
  if (request.stop && request.stop.length > 0) body.stop = request.stop;
  const json = JSON.stringify(body);
  if (!request.responseFormat || !jsonSchema) return json;
  return `${json.slice(0, -1)},"response_format":${serializedFormat(request.responseFormat)}}`;
}

export class MalformedResponseError extends Error {}

/** Validates a chat completion body; anything unexpected (truncated JSON, no choices) is retryable. */
export function parseCompletion(text: string): ChatResponse {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new MalformedResponseError(
      `response body is not valid JSON (${text.length} bytes, starts ${JSON.stringify(text.slice(0, 40))})`,
    );
  }
  return completionFrom(json);
}

/** Validates a chat completion already parsed from JSON (a batch output line carries it as an object). */
export function completionFrom(json: unknown): ChatResponse {
  const obj = (json ?? {}) as {
    choices?: unknown;
    usage?: { prompt_tokens?: unknown; completion_tokens?: unknown };
    model?: unknown;
  };
  if (!Array.isArray(obj.choices) || obj.choices.length === 0) {
    throw new MalformedResponseError('response has no "choices" array');
  }
  const choices: ChatChoice[] = [];
  for (const raw of obj.choices) {
    const c = raw as { index?: unknown; message?: { content?: unknown }; finish_reason?: unknown };
    const content = c?.message?.content;
    if (content !== null && content !== undefined && typeof content !== 'string') {
      throw new MalformedResponseError('a choice has a non-text "message.content"');
    }
    choices.push({
      text: content ?? '',
      finishReason: typeof c?.finish_reason === 'string' ? c.finish_reason : 'stop',
    });
  }
  return {
    choices,
    model: typeof obj.model === 'string' ? obj.model : '',
    usage: {
      promptTokens: Number(obj.usage?.prompt_tokens) || 0,
      completionTokens: Number(obj.usage?.completion_tokens) || 0,
    },
  };
}
