/**
 * The one small interface every model backend implements (OpenAI-compatible HTTP, the simulated
 * model, later embedded llama.cpp). Everything else in sparq is written against it.
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
  /** Number of independent choices wanted. Backends without native n>1 issue n requests. */
  n: number;
  temperature: number;
  topP?: number;
  maxTokens?: number;
  /** Sampling seed; with n separate requests, choice i uses seed + i. */
  seed?: number;
  stop?: string[];
  responseFormat?: JsonSchemaFormat;
}

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

export interface BackendStats {
  requests: number;
  /** Attempts that were retried (429, 5xx, network errors, timeouts). */
  retries: number;
  /** Requests that failed for good. */
  failures: number;
  promptTokens: number;
  completionTokens: number;
  /** Counts by fault kind: http_429, http_5xx, timeout, network, malformed_response. */
  faults: Record<string, number>;
}

export interface ModelBackend {
  /** Human-readable identity for provenance: kind, model, endpoints (never credentials). */
  readonly description: string;
  readonly model: string;
  /** Whether one request may ask for n>1 choices; otherwise callers send n requests with seeds seed+i. */
  readonly supportsN: boolean;
  complete(request: ChatRequest, signal?: AbortSignal): Promise<ChatResponse>;
  stats(): BackendStats;
  close(): Promise<void>;
}

export function emptyStats(): BackendStats {
  return { requests: 0, retries: 0, failures: 0, promptTokens: 0, completionTokens: 0, faults: {} };
}
