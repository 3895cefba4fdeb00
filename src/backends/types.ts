/**
 * The whole provider contract: send one chat request once, and on failure throw one
 * `ModelCallError` that says whether retrying can help and after how long. Retry, concurrency
 * limits, caching and spend accounting are written once, above every backend, in the model
 * gateway (src/engine/gateway/). Implemented by the OpenAI-compatible HTTP client and the
 * simulated model.
 */

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface JsonSchemaFormat {
  type: 'json_schema';
  name: string;
  schema: Record<string, unknown>;
}

export interface ChatRequest {
  messages: ChatMessage[];
  /** Number of independent choices wanted; the gateway splits it for backends without n>1. */
  n: number;
  temperature: number;
  topP?: number;
  maxTokens?: number;
  /** Sampling seed; with n separate requests, choice i uses seed + i. */
  seed?: number;
  stop?: string[];
  responseFormat?: JsonSchemaFormat;
}

/** Why a choice ended: `length` means it was cut at max_tokens. */
export type FinishReason = 'stop' | 'length' | 'content_filter' | 'error' | (string & {});

export interface ChatChoice {
  text: string;
  finishReason: FinishReason;
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface ChatResponse {
  choices: ChatChoice[];
  usage: TokenUsage;
  /** The model name the server reported. */
  model: string;
}

export interface ModelBackend {
  /** Human-readable identity for provenance: kind, model, endpoints (never credentials). */
  readonly description: string;
  readonly model: string;
  /** Whether one request may ask for n>1 choices; otherwise the gateway sends n requests with seeds seed+i. */
  readonly supportsN: boolean;
  /** One attempt at one request. Failures are thrown as `ModelCallError`. */
  send(request: ChatRequest, signal?: AbortSignal): Promise<ChatResponse>;
  close(): Promise<void>;
}

/** Kinds of failure, as counted in a run's faults. */
export type FaultKind =
  | 'http_429'
  | 'http_5xx'
  | 'http_4xx'
  | 'timeout'
  | 'network'
  | 'malformed_response'
  | 'internal';

/**
 * Why the server would not answer one request although it answers others: the request's input
 * is the cause (a prompt over the context, a body the server refuses), so the problem the request
 * serves is rejected with this reason and the run goes on.
 */
export type InputRejection = 'context_exceeded' | 'server_rejected';

/**
 * The one error type of every backend. `retryable` says whether the same request may succeed
 * later; `retryAfterMs` is the server's own wait when it gave one; `inputRejection` marks a
 * failure that belongs to this request's input rather than to the endpoint or the configuration.
 * The message says what failed and, for failures the user must fix, what to do.
 */
export class ModelCallError extends Error {
  readonly retryable: boolean;
  readonly retryAfterMs: number | null;
  readonly fault: FaultKind;
  readonly status: number | null;
  readonly inputRejection: InputRejection | null;

  constructor(
    message: string,
    options: {
      retryable: boolean;
      fault: FaultKind;
      retryAfterMs?: number | null;
      status?: number | null;
      inputRejection?: InputRejection | null;
    },
  ) {
    super(message);
    this.name = 'ModelCallError';
    this.retryable = options.retryable;
    this.fault = options.fault;
    this.retryAfterMs = options.retryAfterMs ?? null;
    this.status = options.status ?? null;
    this.inputRejection = options.inputRejection ?? null;
  }
}
