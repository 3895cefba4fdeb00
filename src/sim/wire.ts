/**
 * A completion in the OpenAI chat-completions wire format: one JSON body, or, for `stream: true`,
 * the server-sent events real servers send (content deltas, one finishing chunk per choice, an
 * optional usage chunk, then `[DONE]`).
 */
import type { ChatChoice, TokenUsage } from '../backends/types.js';

export interface WireCompletion {
  id: string;
  model: string;
  choices: ChatChoice[];
  usage: TokenUsage;
}

export function completionBody(c: WireCompletion): string {
  return JSON.stringify({
    id: c.id,
    object: 'chat.completion',
    created: 0,
    model: c.model,
    choices: c.choices.map((choice, index) => ({
      index,
      message: { role: 'assistant', content: choice.text },
      finish_reason: choice.finishReason,
    })),
    usage: usageOf(c.usage),
  });
}

/** The events of a streamed completion, each a complete `data: ...` line pair. */
export function completionEvents(c: WireCompletion, includeUsage: boolean): string[] {
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ id: c.id, object: 'chat.completion.chunk', created: 0, model: c.model, choices, ...extra })}\n\n`;
  const events: string[] = [];
  c.choices.forEach((choice, index) => {
    pieces(choice.text).forEach((content, i) => {
      const delta = i === 0 ? { role: 'assistant', content } : { content };
      events.push(chunk([{ index, delta, finish_reason: null }]));
    });
  });
  c.choices.forEach((choice, index) => {
    events.push(chunk([{ index, delta: {}, finish_reason: choice.finishReason }]));
  });
  if (includeUsage) events.push(chunk([], { usage: usageOf(c.usage) }));
  events.push('data: [DONE]\n\n');
  return events;
}

/** The text in up to three deltas, as tokens arrive in several. */
function pieces(text: string): string[] {
  if (text.length < 3) return [text];
  const third = Math.ceil(text.length / 3);
  return [text.slice(0, third), text.slice(third, 2 * third), text.slice(2 * third)];
}

function usageOf(u: TokenUsage) {
  return {
    prompt_tokens: u.promptTokens,
    completion_tokens: u.completionTokens,
    total_tokens: u.promptTokens + u.completionTokens,
  };
}
