/**
 * OpenAI-compatible chat completions over HTTP (vLLM, SGLang, llama.cpp server, Ollama, hosted
 * APIs), written on undici's Pool because the official SDK measured ~8x slower here.
 *
 * One attempt per `send`: the gateway above retries, limits concurrency and counts spend. This
 * file only turns what the server did into a response or a `ModelCallError`: 429/5xx, network
 * errors, timeouts and garbled bodies are retryable (with the server's Retry-After); 400/401/403/
 * 404 are not, and their message says what to fix. Requests spread over several base URLs by
 * least outstanding requests.
 */
import { Pool } from 'undici';
import { UserError } from '../util/errors.js';
import type { ModelSettings } from './capabilities.js';
import { chatCompletionBody, MalformedResponseError, parseCompletion } from './chat-wire.js';
import { classifyStatus, isRetryableNetworkError, parseRetryAfter } from './retry.js';
import {
  type ChatChoice,
  type ChatRequest,
  type ChatResponse,
  type ModelBackend,
  ModelCallError,
} from './types.js';

interface Endpoint {
  url: string;
  pool: Pool;
  /** Path prefix of the base URL, e.g. `/v1`. */
  prefix: string;
  outstanding: number;
}

export class OpenAIHttpBackend implements ModelBackend {
  readonly model: string;
  readonly description: string;
  readonly supportsN: boolean;
  private readonly endpoints: Endpoint[];
  private readonly headers: Record<string, string>;
  private readonly secrets: string[];
  private roundRobin = 0;
  private closed = false;

  constructor(
    private readonly config: ModelSettings,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.model = config.model;
    this.supportsN = config.supports_n;
    this.headers = { 'content-type': 'application/json', ...requestHeaders(config, env) };
    // The values taken from the environment, the API key and header_env's, are never repeated.
    this.secrets = [
      ...(config.api_key_env ? [env[config.api_key_env]!] : []),
      ...Object.values(config.header_env).map((v) => env[v]!),
    ].filter((v) => v.length >= 8);
    this.endpoints = config.base_urls.map((raw) => {
      const url = new URL(raw);
      return {
        url: raw,
        prefix: url.pathname.replace(/\/+$/, ''),
        outstanding: 0,
        pool: new Pool(url.origin, {
          connections: config.max_concurrency,
          pipelining: 1,
          keepAliveTimeout: 30_000,
          headersTimeout: config.timeout_ms,
          bodyTimeout: config.timeout_ms,
        }),
      };
    });
    this.description = `openai-compatible ${config.model} @ ${config.base_urls.join(', ')}`;
  }

  async send(request: ChatRequest, signal?: AbortSignal): Promise<ChatResponse> {
    if (this.closed) throw new ModelCallError('backend closed', { retryable: false, fault: 'internal' });
    const body = chatCompletionBody(request, this.config.model, this.config.json_schema);
    const endpoint = this.pickEndpoint();
    endpoint.outstanding++;
    try {
      // The pool's headersTimeout and bodyTimeout end hung requests; no per-request timer is needed.
      const res = await endpoint.pool.request({
        method: 'POST',
        path: `${endpoint.prefix}/chat/completions`,
        headers: this.headers,
        body,
        signal,
      });
      const text = await res.body.text();
      if (res.statusCode !== 200)
        throw this.httpFailure(endpoint, request, res.statusCode, res.headers['retry-after'], text);
      let response: ChatResponse;
      try {
        response = parseCompletion(text);
      } catch (err) {
        if (err instanceof MalformedResponseError)
          throw new ModelCallError(`${err.message} (from ${endpoint.url})`, {
            retryable: true,
            fault: 'malformed_response',
          });
        throw err;
      }
      // Fewer choices than asked is the server ignoring n, not a transient fault: every retry
      // would regenerate and come back one short again.
      if (response.choices.length < request.n)
        throw new ModelCallError(
          `${endpoint.url} returned ${response.choices.length} choice(s) for n=${request.n}: the server ignores n; set model.supports_n to false (or auto) so that sparq sends one request per attempt`,
          { retryable: false, fault: 'malformed_response' },
        );
      return response;
    } catch (err) {
      throw this.classify(err, endpoint, request, signal);
    } finally {
      endpoint.outstanding--;
    }
  }

  private pickEndpoint(): Endpoint {
    if (this.endpoints.length === 1) return this.endpoints[0]!;
    let best: Endpoint | undefined;
    const start = this.roundRobin++ % this.endpoints.length;
    for (let i = 0; i < this.endpoints.length; i++) {
      const e = this.endpoints[(start + i) % this.endpoints.length]!;
      if (!best || e.outstanding < best.outstanding) best = e;
    }
    return best!;
  }

  private httpFailure(
    endpoint: Endpoint,
    request: ChatRequest,
    status: number,
    retryAfter: string | string[] | undefined,
    body: string,
  ): ModelCallError {
    // Servers quote a rejected key back (OpenAI masks most of it): never pass it on.
    let detail = serverMessage(body);
    for (const secret of this.secrets) detail = detail.split(secret).join('[redacted]');
    const where = `HTTP ${status} from ${endpoint.url}${detail ? `: ${detail}` : ''}`;
    // Read before the status: llama.cpp answers both of these with 500, which is not a fault to retry.
    if (request.n > 1 && N_REFUSED.test(detail))
      return new ModelCallError(
        `${where}; the server does not support n>1: set model.supports_n to false (or auto) so that sparq sends one request per attempt`,
        { retryable: false, fault: 'http_4xx', status },
      );
    if (
      (status === 400 || status === 413 || status === 422 || status === 500) &&
      CONTEXT_EXCEEDED.test(detail)
    )
      return new ModelCallError(`${where} (prompt + max_tokens do not fit the model's context)`, {
        retryable: false,
        fault: status >= 500 ? 'http_5xx' : 'http_4xx',
        status,
        inputRejection: 'context_exceeded',
      });
    if (classifyStatus(status) === 'retry') {
      return new ModelCallError(`HTTP ${status} from ${endpoint.url}${detail ? `: ${detail}` : ''}`, {
        retryable: true,
        fault: status === 429 ? 'http_429' : status >= 500 ? 'http_5xx' : 'http_4xx',
        retryAfterMs: parseRetryAfter(retryAfter, Date.now()),
        status,
      });
    }
    const hint =
      status === 401 || status === 403
        ? this.config.api_key_env
          ? `the server rejected the API key from ${this.config.api_key_env}: check that it is valid for ${endpoint.url}`
          : 'the server requires an API key: set model.api_key_env (--api-key-env) to the name of the environment variable that holds it'
        : status === 404
          ? `check model.base_urls (an OpenAI-compatible base URL usually ends in /v1, e.g. http://127.0.0.1:8000/v1) and that the server serves model "${this.config.model}" (see GET /v1/models)`
          : null;
    if (hint === null)
      // 400, 413, 422 and the like: the server refused this body. If it refuses every body, the
      // gateway's failure monitor stops the run and names the settings to check.
      return new ModelCallError(`${where} (the server refused this request)`, {
        retryable: false,
        fault: 'http_4xx',
        status,
        inputRejection: 'server_rejected',
      });
    return new ModelCallError(`${where}: ${hint}`, { retryable: false, fault: 'http_4xx', status });
  }

  private classify(err: unknown, endpoint: Endpoint, request: ChatRequest, signal?: AbortSignal): unknown {
    if (err instanceof ModelCallError) return err;
    // An abort is the caller's decision, not the server's failure: passed through untouched.
    if (signal?.aborted) return err;
    if (isRetryableNetworkError(err)) {
      const code = (err as { code?: string }).code ?? '';
      const tokens = request.maxTokens === undefined ? '' : ` of up to ${request.maxTokens} tokens`;
      if (code === 'UND_ERR_HEADERS_TIMEOUT')
        return new ModelCallError(
          `no response from ${endpoint.url} within ${this.config.timeout_ms} ms (model.timeout_ms) for a reply${tokens}; the time includes waiting for a free server slot: raise model.timeout_ms, lower model.max_concurrency to the server's parallel slots, or lower max_tokens`,
          { retryable: true, fault: 'timeout' },
        );
      if (code === 'UND_ERR_BODY_TIMEOUT')
        return new ModelCallError(
          `response body from ${endpoint.url} stalled for ${this.config.timeout_ms} ms (model.timeout_ms)`,
          { retryable: true, fault: 'timeout' },
        );
      // A connection that never opens is the server not being there, like a refused one.
      return new ModelCallError(`${code} from ${endpoint.url}: ${(err as Error).message}`, {
        retryable: true,
        fault:
          code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT' || !code.includes('TIMEOUT')
            ? 'network'
            : 'timeout',
      });
    }
    return new ModelCallError(
      `request to ${endpoint.url} failed: ${err instanceof Error ? err.message : String(err)}`,
      { retryable: false, fault: 'internal' },
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.endpoints.map((e) => e.pool.close().catch(() => undefined)));
  }
}

/** The headers every request to the endpoint carries, the API key read from the environment. */
export function requestHeaders(
  config: Pick<ModelSettings, 'headers' | 'api_key_env' | 'header_env'>,
  env: NodeJS.ProcessEnv,
): Record<string, string> {
  const headers = { ...config.headers };
  for (const [name, variable] of Object.entries(config.header_env)) {
    const value = env[variable];
    if (value === undefined || value === '')
      throw new UserError(
        `environment variable ${variable} is not set (model.header_env names it for the ${name} header): export it, or remove the header from model.header_env`,
      );
    headers[name] = value;
  }
  if (config.api_key_env) {
    const key = env[config.api_key_env];
    if (key === undefined || key === '') {
      throw new UserError(
        `environment variable ${config.api_key_env} is not set (model.api_key_env names it): export it with your API key, or set model.api_key_env to null for servers without authentication`,
      );
    }
    headers.authorization = `Bearer ${key}`;
  }
  return headers;
}

/**
 * How servers say a prompt does not fit: vLLM and OpenAI ("maximum context length"), llama.cpp
 * ("exceeds the available context size", "context shift is disabled", "input is too large"),
 * SGLang and TGI ("longer than the model's context length", "too many tokens").
 */
export const CONTEXT_EXCEEDED =
  /context length|context size|context window|context_length_exceeded|exceed_context|context shift is disabled|input is too large|too many (input )?tokens|prompt is too long|maximum model length|maximum allowed length|max_new_tokens must be/i;

/** How servers refuse n>1: llama.cpp ("Only one completion choice is allowed") and others. */
const N_REFUSED = /only one (completion )?choice|n\s*(must|should|can only) be 1|n > 1|multiple choices/i;

function serverMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as {
      error?: { message?: string } | string;
      message?: string;
      detail?: string;
    };
    const msg =
      typeof parsed.error === 'string'
        ? parsed.error
        : (parsed.error?.message ?? parsed.message ?? parsed.detail);
    if (typeof msg === 'string') return msg.slice(0, 300);
  } catch {
    // not JSON: fall through to the raw text
  }
  return body.trim().slice(0, 200);
}
