/**
 * The model judge: the last stage of answer checking, asked only about attempts the rules could
 * not decide (`rulesUndecided`). It goes through a gateway like every model call, so its replies
 * are cached by request key with the run's other responses (a resume asks nothing again),
 * counted in the run's spend, and kept for audit with purpose `judge`. Its requests are greedy
 * (temperature 0) with a fixed seed: the same question always has the same key.
 */
import type { ModelSettings } from '../backends/capabilities.js';
import { type ChatMessage, ModelCallError } from '../backends/types.js';
import type { JudgeConfig } from '../config/schema.js';
import { type PromptTemplate, renderTemplate } from '../prompts/templates.js';
import type { CallUsage, ModelCall, ModelGateway } from './gateway/gateway.js';

export interface JudgeVerdict {
  /** null: the reply said neither EQUIVALENT nor DIFFERENT, or the request was refused for its input: the rules' verdict stands. */
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
  /** Questions being asked now, by prompt: the same attempt text twice in a round is asked once. */
  private readonly asking = new Map<string, Promise<JudgeVerdict>>();

  constructor(
    private readonly gateway: ModelGateway,
    private readonly template: PromptTemplate,
    private readonly settings: { maxTokens: number; responseChars: number },
  ) {}

  /**
   * The judge's verdict on one attempt. A request refused for its input (too long for the
   * judge's context, rejected by its server) is no verdict; any other failure is the run's.
   */
  judge(q: JudgeQuestion, call: { task: number; signal?: AbortSignal }): Promise<JudgeVerdict> {
    // Model text is data: a solution that writes `</solution>` must not end its own block.
    const clean = (s: string) => s.replace(BLOCK_TAG, '');
    const response =
      q.response.length > this.settings.responseChars
        ? q.response.slice(-this.settings.responseChars)
        : q.response;
    const messages = renderTemplate(this.template, {
      problem: clean(q.problem),
      reference: clean(q.reference),
      response: clean(response),
    });
    const id = `${call.task}\u0000${JSON.stringify(messages)}`;
    const pending = this.asking.get(id);
    // Its cost is counted once, with the first asker.
    if (pending) return pending.then((v) => ({ ...v, usage: NO_USAGE }));
    const asked = this.ask(messages, call).finally(() => this.asking.delete(id));
    this.asking.set(id, asked);
    return asked;
  }

  private async ask(
    messages: ChatMessage[],
    call: { task: number; signal?: AbortSignal },
  ): Promise<JudgeVerdict> {
    let result: ModelCall;
    try {
      result = await this.gateway.call({
        request: { messages, n: 1, temperature: 0, topP: 1, maxTokens: this.settings.maxTokens, seed: 0 },
        purpose: 'judge',
        templateRef: this.template.ref,
        task: call.task,
        priority: call.task,
        signal: call.signal,
      });
    } catch (err) {
      if (err instanceof ModelCallError && err.inputRejection)
        return { equivalent: null, model: this.gateway.model, requestKey: '', usage: NO_USAGE };
      throw err;
    }
    const choice = result.choices[0];
    return {
      equivalent: choice && choice.finishReason !== 'length' ? readJudgeReply(choice.text) : null,
      model: this.gateway.model,
      requestKey: result.keys[0]!,
      usage: result.usage,
    };
  }
}

const NO_USAGE: CallUsage = { requests: 0, promptTokens: 0, completionTokens: 0 };

/**
 * The verdict in a judge's reply: its last EQUIVALENT or DIFFERENT (a model that reasons first
 * concludes last), negated (`not equivalent`, `non-equivalent`, `inequivalent`, `not
 * different`) the other way; null when it says neither.
 */
export function readJudgeReply(text: string): boolean | null {
  // Reasoning models may think aloud first: only what follows the thinking is the reply.
  const reply = text.replace(/<think>[\s\S]*?(?:<\/think>|$)/gi, ' ');
  const last = [...reply.matchAll(/\b(?:(not|non|in)[\s-]*)?(equivalent|different)\b/gi)].at(-1);
  if (!last) return null;
  const negated = last[1] !== undefined;
  return (last[2]!.toLowerCase() === 'equivalent') !== negated;
}

/**
 * The judge's endpoint: what `verifier.judge` sets, the rest as `model` has it. Credentials and
 * headers are taken from `model` only with its URLs: the main model's key is never sent to a
 * judge on another host. Judge requests are single, greedy and plain (no response format), so
 * n, JSON schema and context detection are not needed.
 */
export function judgeEndpoint(judge: JudgeConfig, model: ModelSettings): ModelSettings {
  const ownHost = judge.base_urls !== undefined;
  return {
    ...model,
    kind: judge.kind ?? model.kind,
    model: judge.model,
    base_urls: judge.base_urls ?? model.base_urls,
    api_key_env: judge.api_key_env !== undefined ? judge.api_key_env : ownHost ? null : model.api_key_env,
    header_env: judge.header_env ?? (ownHost ? {} : model.header_env),
    headers: ownHost ? {} : model.headers,
    timeout_ms: judge.timeout_ms ?? model.timeout_ms,
    max_concurrency: judge.max_concurrency,
    supports_n: false,
    json_schema: false,
    context_tokens: null,
  };
}
