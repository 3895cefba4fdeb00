/**
 * The context window: the tokens one sequence may hold, prompt and output together, and what each
 * server does with a request that does not fit. vLLM and OpenAI refuse it before generating;
 * llama.cpp without context shift refuses a prompt that fills the window and fails a generation
 * that runs past it; with truncation (llama.cpp's context shift, Ollama's default) the start of the
 * prompt is dropped and the output is cut at the window.
 */
import type { ChatMessage, ChatRequest } from '../backends/types.js';
import type { Behaviour, ContextOverflow } from './behaviour.js';
import type { Reply } from './dialect.js';
import { promptTokens } from './model.js';

export interface ContextWindow {
  tokens: number;
  overflow: ContextOverflow;
  /** Whose refusal rule and words apply; Ollama and the default refuse as llama.cpp does. */
  behaviour: Behaviour;
}

export type Admission =
  | { admitted: false; reply: Reply }
  | {
      admitted: true;
      /** The request as the model sees it: maybe cut, with max_tokens no more than the window leaves. */
      request: ChatRequest;
      /** An output that reaches the window fails the request (HTTP 500) rather than ending "length". */
      failsAtWindow: boolean;
    };

export function admitToContext(request: ChatRequest, window: ContextWindow): Admission {
  const ctx = window.tokens;
  const prompt = promptTokens(request.messages);
  if (window.overflow === 'truncate') {
    // llama.cpp keeps about half the window for the prompt when it has to cut it, so that there
    // is room left to answer; the end of the conversation is what it keeps.
    const messages = prompt >= ctx ? keepEnd(request.messages, Math.floor(ctx / 2) * 4) : request.messages;
    const cut = { ...request, messages };
    return { admitted: true, request: capped(cut, ctx - promptTokens(messages)), failsAtWindow: false };
  }
  const room = ctx - prompt;
  switch (window.behaviour) {
    case 'vllm': {
      const max = request.maxTokens;
      if (max === undefined && prompt >= ctx)
        return vllmRefusal(
          `This model's maximum context length is ${ctx} tokens. However, you requested ${prompt} tokens in the messages, Please reduce the length of the messages.`,
        );
      if (max !== undefined && prompt + max > ctx)
        return vllmRefusal(
          `This model's maximum context length is ${ctx} tokens. However, you requested ${prompt + max} tokens (${prompt} in the messages, ${max} in the completion). Please reduce the length of the messages or completion.`,
        );
      return { admitted: true, request: capped(request, room), failsAtWindow: false };
    }
    case 'openai':
      if (prompt > ctx)
        return refusal(400, {
          error: {
            message: `This model's maximum context length is ${ctx} tokens. However, your messages resulted in ${prompt} tokens. Please reduce the length of the messages.`,
            type: 'invalid_request_error',
            param: 'messages',
            code: 'context_length_exceeded',
          },
        });
      return { admitted: true, request: capped(request, room), failsAtWindow: false };
    default:
      if (prompt >= ctx)
        return refusal(400, {
          error: {
            code: 400,
            message: 'the request exceeds the available context size, try increasing it',
            type: 'exceed_context_size_error',
            n_prompt_tokens: prompt,
            n_ctx: ctx,
          },
        });
      return {
        admitted: true,
        request: capped(request, room),
        failsAtWindow: request.maxTokens === undefined || request.maxTokens > room,
      };
  }
}

/** llama.cpp's reply when, without context shift, the output runs into the end of the window. */
export const CONTEXT_SHIFT_DISABLED: Reply = {
  status: 500,
  body: { error: { code: 500, message: 'context shift is disabled', type: 'server_error' } },
};

function capped(request: ChatRequest, room: number): ChatRequest {
  const max = Math.max(0, room);
  return request.maxTokens !== undefined && request.maxTokens <= max
    ? request
    : { ...request, maxTokens: max };
}

/** The last messages, the earliest of them cut at its start, within `maxChars` of prompt text. */
function keepEnd(messages: ChatMessage[], maxChars: number): ChatMessage[] {
  const kept: ChatMessage[] = [];
  let used = 0;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    // Each message costs its role, a separator after it, and one between messages.
    const room = maxChars - used - (m.role.length + 1) - (kept.length > 0 ? 1 : 0);
    if (room <= 0) break;
    if (m.content.length > room) {
      kept.unshift({ role: m.role, content: m.content.slice(m.content.length - room) });
      break;
    }
    kept.unshift(m);
    used = maxChars - room + m.content.length;
  }
  return kept;
}

function vllmRefusal(message: string): Admission {
  return refusal(400, { object: 'error', message, type: 'BadRequestError', param: null, code: 400 });
}

function refusal(status: number, body: unknown): Admission {
  return { admitted: false, reply: { status, body } };
}
