/**
 * The model judge: the last stage of answer checking, asked only about attempts the rules could
 * not decide (`rulesUndecided`). It goes through a gateway like every model call, so its replies
 * are cached by request key with the run's other responses (a resume asks nothing again),
 * counted in the run's spend, and kept for audit with purpose `judge`. Its requests are greedy
 * (temperature 0) with a fixed seed: the same question always has the same key.
 */
import type { ModelSettings } from '../backends/capabilities.js';
import type { JudgeConfig } from '../config/schema.js';
import { type PromptTemplate, renderTemplate } from '../prompts/templates.js';
import type { CallUsage, ModelGateway } from './gateway/gateway.js';

export interface JudgeVerdict {
  /** null: the reply said neither EQUIVALENT nor DIFFERENT, so the rules' verdict stands. */
  equivalent: boolean | null;
  model: string;
  requestKey: string;
  usage: CallUsage;
}

export interface JudgeQuestion {
  problem: string;
  reference: string;
  /** The attempt's full text; the judge is shown its end. */
  response: string;
}

/** The block tags of the judge prompt, taken out of the texts put into it. */
const BLOCK_TAG = /<\/?\s*(?:problem|reference|solution)\s*>/gi;

export class AnswerJudge {
  constructor(
    private readonly gateway: ModelGateway,
    private readonly template: PromptTemplate,
    private readonly settings: { maxTokens: number; responseChars: number },
  ) {}

  get model(): string {
    return this.gateway.model;
  }

  async judge(q: JudgeQuestion, call: { task: number; signal?: AbortSignal }): Promise<JudgeVerdict> {
    // Model text is data: a solution that writes `</solution>` must not end its own block.
    const clean = (s: string) => s.replace(BLOCK_TAG, '');
    const response =
      q.response.length > this.settings.responseChars
        ? q.response.slice(-this.settings.responseChars)
        : q.response;
    const result = await this.gateway.call({
      request: {
        messages: renderTemplate(this.template, {
          problem: clean(q.problem),
          reference: clean(q.reference),
          response: clean(response),
        }),
        n: 1,
        temperature: 0,
        topP: 1,
        maxTokens: this.settings.maxTokens,
        seed: 0,
      },
      purpose: 'judge',
      templateRef: this.template.ref,
      task: call.task,
      priority: call.task,
      signal: call.signal,
    });
    const choice = result.choices[0];
    return {
      equivalent: choice && choice.finishReason !== 'length' ? readJudgeReply(choice.text) : null,
      model: this.gateway.model,
      requestKey: result.keys[0]!,
      usage: result.usage,
    };
  }
}

/**
 * The verdict in a judge's reply: its last EQUIVALENT or DIFFERENT (a model that reasons first
 * concludes last), `NOT EQUIVALENT` being DIFFERENT; null when it says neither.
 */
export function readJudgeReply(text: string): boolean | null {
  // Reasoning models may think aloud first: only what follows the thinking is the reply.
  const reply = text.replace(/<think>[\s\S]*?(?:<\/think>|$)/gi, ' ');
  const words = [...reply.matchAll(/\b(not\s+equivalent|equivalent|different)\b/gi)];
  const last = words.at(-1)?.[1];
  if (!last) return null;
  return /^equivalent$/i.test(last);
}

/**
 * The judge's endpoint: what `verifier.judge` sets, the rest as `model` has it. Judge requests
 * are single, greedy and plain (no response format), so n, JSON schema and context detection
 * are not needed.
 */
export function judgeEndpoint(judge: JudgeConfig, model: ModelSettings): ModelSettings {
  return {
    ...model,
    kind: judge.kind ?? model.kind,
    model: judge.model,
    base_urls: judge.base_urls ?? model.base_urls,
    api_key_env: judge.api_key_env === undefined ? model.api_key_env : judge.api_key_env,
    header_env: judge.header_env ?? model.header_env,
    timeout_ms: judge.timeout_ms ?? model.timeout_ms,
    max_concurrency: judge.max_concurrency,
    supports_n: false,
    json_schema: false,
    context_tokens: null,
  };
}
