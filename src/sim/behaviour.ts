/**
 * The real servers the sim-server can pass for. Each behaviour is a profile of the measured
 * differences that change which path a client takes (n>1, JSON-schema outputs, the context window,
 * model names, slots); how each one words its replies is in dialect.ts.
 */

export const BEHAVIOURS = ['default', 'vllm', 'llamacpp', 'ollama', 'openai'] as const;
export type Behaviour = (typeof BEHAVIOURS)[number];

/** How a request for n>1 choices is answered: all n, HTTP 500, or one choice as if n were 1. */
export type MultipleChoices = 'honour' | 'reject' | 'drop';

/** What happens past the context window: an error, or the prompt and the output are cut. */
export type ContextOverflow = 'reject' | 'truncate';

export const CONTEXT_OVERFLOWS: readonly ContextOverflow[] = ['reject', 'truncate'];

/** The server stops listening `startMs` after it started, and listens again `durationMs` later. */
export interface Outage {
  startMs: number;
  durationMs: number;
}

export interface ServerProfile {
  /** Whose words the replies use: error bodies, /v1/models, extra routes. */
  behaviour: Behaviour;
  multipleChoices: MultipleChoices;
  /** Whether response_format json_schema constrains the output, or is accepted and ignored. */
  enforcesJsonSchema: boolean;
  /** Context window in tokens, prompt and output together (per slot); null: unlimited. */
  contextTokens: number | null;
  contextOverflow: ContextOverflow;
  /** Any model name is served, and echoed in the reply; otherwise an unknown name is a 404. */
  acceptsAnyModel: boolean;
  /** Requests processed at once; the rest wait in FIFO order. null: no limit. */
  slots: number | null;
  /** Every request is answered 503 for this long after start, as while weights load. */
  loadingMs: number;
  outage: Outage | null;
}

const DEFAULT: ServerProfile = {
  behaviour: 'default',
  multipleChoices: 'honour',
  enforcesJsonSchema: true,
  contextTokens: null,
  contextOverflow: 'reject',
  acceptsAnyModel: false,
  slots: null,
  loadingMs: 0,
  outage: null,
};

const PROFILES: Record<Behaviour, ServerProfile> = {
  default: DEFAULT,
  // max_model_len
  vllm: { ...DEFAULT, behaviour: 'vllm', contextTokens: 4096 },
  // llama-server -c 16384 -np 4 --no-context-shift: 4096 tokens per slot.
  llamacpp: {
    ...DEFAULT,
    behaviour: 'llamacpp',
    multipleChoices: 'reject',
    enforcesJsonSchema: false,
    contextTokens: 4096,
    acceptsAnyModel: true,
    slots: 4,
  },
  // num_ctx 2048, and the prompt is cut to fit rather than refused.
  ollama: {
    ...DEFAULT,
    behaviour: 'ollama',
    multipleChoices: 'drop',
    contextTokens: 2048,
    contextOverflow: 'truncate',
  },
  openai: { ...DEFAULT, behaviour: 'openai', contextTokens: 128_000 },
};

export function profileOf(behaviour: Behaviour): ServerProfile {
  return { ...PROFILES[behaviour] };
}
