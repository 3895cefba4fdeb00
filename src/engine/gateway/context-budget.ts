/**
 * Keeping prompt + max_tokens inside a known context length. A server asked for more either
 * refuses (vLLM, OpenAI, llama.cpp without context shift: 400, or 500 after generating to the
 * limit) or silently cuts the prompt (llama.cpp with context shift, Ollama), so a request is
 * fitted before it is sent: max_tokens shortened to the room left, or, when too little room is
 * left to answer in, the request refused here with the reason, costing nothing.
 *
 * Prompt tokens are estimated, not counted (the server's tokenizer is not here): three characters
 * per token is on the safe side for English and LaTeX with the tokenizers of current open models,
 * plus the chat template's few tokens per message.
 */
import type { ChatRequest } from '../../backends/types.js';

const CHARS_PER_TOKEN = 3;
const TOKENS_PER_MESSAGE = 8;
/** Less room than this (or than max_tokens, when smaller) leaves no room for an answer at all. */
export const MIN_ANSWER_TOKENS = 64;

export function estimatePromptTokens(request: ChatRequest): number {
  let chars = 0;
  for (const m of request.messages) chars += m.content.length;
  return Math.ceil(chars / CHARS_PER_TOKEN) + TOKENS_PER_MESSAGE * request.messages.length;
}

export type Fitted =
  | { ok: true; request: ChatRequest }
  | { ok: false; promptTokens: number; contextTokens: number };

export function fitToContext(request: ChatRequest, contextTokens: number | null): Fitted {
  if (contextTokens === null) return { ok: true, request };
  const promptTokens = estimatePromptTokens(request);
  const room = contextTokens - promptTokens;
  // Room for a quarter of the wanted output at least: a solve fitted to a few dozen tokens would
  // only come back cut, and a cut attempt measures nothing.
  const wanted = request.maxTokens ?? MIN_ANSWER_TOKENS;
  if (room < Math.min(wanted, Math.max(MIN_ANSWER_TOKENS, Math.floor(wanted / 4))))
    return { ok: false, promptTokens, contextTokens };
  if (request.maxTokens === undefined || request.maxTokens <= room) return { ok: true, request };
  return { ok: true, request: { ...request, maxTokens: room } };
}
