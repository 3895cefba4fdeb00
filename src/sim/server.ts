/**
 * `sparq sim-server`: the simulated model behind the OpenAI-compatible protocol
 * (/v1/chat/completions with n>1 and JSON-schema outputs, /v1/models, usage counts), with
 * optional latency and fault injection, so that sparq's real HTTP path can be exercised offline.
 * Faults are drawn per HTTP request from the server's own seeded stream, not from the request
 * content: a retried request can succeed, as with a real overloaded server.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ChatMessage, ChatRequest } from '../backends/types.js';
import { Rng } from '../util/hash.js';
import { simulateCompletion } from './model.js';

export interface FaultRates {
  /** HTTP 500. */
  http500: number;
  /** HTTP 429 with a Retry-After header of `retryAfterSeconds`. */
  http429: number;
  retryAfterSeconds: number;
  /** No reply at all: the client's timeout must end it. */
  hang: number;
  /** A body cut short: the connection drops mid-body, or the JSON ends early. */
  truncate: number;
  /** HTTP 200 with content that breaks the expected format (invalid JSON, no final answer). */
  malformed: number;
}

export type Latency = { kind: 'fixed'; ms: number } | { kind: 'lognormal'; medianMs: number; sigma: number };

export interface SimServerOptions {
  host: string;
  port: number;
  model: string;
  latency: Latency;
  faults: FaultRates;
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  apiKey: string | null;
  /** Seed of the fault and latency stream. */
  seed: number;
  /** llama.cpp server and Ollama reject n>1; set false to behave like them. */
  supportsN: boolean;
}

export const NO_FAULTS: FaultRates = {
  http500: 0,
  http429: 0,
  retryAfterSeconds: 1,
  hang: 0,
  truncate: 0,
  malformed: 0,
};

export interface SimServerStats {
  requests: number;
  completed: number;
  inFlight: number;
  maxInFlight: number;
  faults: Record<'http500' | 'http429' | 'hang' | 'truncate' | 'malformed', number>;
  /** Every Authorization header value is checked, never stored; this counts the rejections. */
  unauthorized: number;
}

export interface RunningSimServer {
  url: string;
  port: number;
  stats(): SimServerStats;
  close(): Promise<void>;
}

export function defaultSimServerOptions(overrides: Partial<SimServerOptions> = {}): SimServerOptions {
  return {
    host: '127.0.0.1',
    port: 0,
    model: 'sim-1',
    latency: { kind: 'fixed', ms: 0 },
    faults: NO_FAULTS,
    apiKey: null,
    seed: 0,
    supportsN: true,
    ...overrides,
  };
}

export async function startSimServer(options: SimServerOptions): Promise<RunningSimServer> {
  const rng = new Rng(options.seed);
  const stats: SimServerStats = {
    requests: 0,
    completed: 0,
    inFlight: 0,
    maxInFlight: 0,
    faults: { http500: 0, http429: 0, hang: 0, truncate: 0, malformed: 0 },
    unauthorized: 0,
  };
  const sockets = new Set<Socket>();

  const server: Server = createServer((req, res) => {
    stats.requests++;
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      stats.inFlight--;
    };
    res.on('close', finish);
    handle(req, res, options, rng, stats).catch((err) => {
      if (!res.headersSent)
        sendJson(res, 500, { error: { message: `sim-server error: ${(err as Error).message}` } });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 0;
  server.requestTimeout = 0;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/v1`,
    port: address.port,
    stats: () => ({ ...stats, faults: { ...stats.faults } }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  options: SimServerOptions,
  rng: Rng,
  stats: SimServerStats,
): Promise<void> {
  const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
  if (req.method === 'GET' && (path === '/health' || path === ''))
    return sendJson(res, 200, { status: 'ok' });
  if (options.apiKey !== null && req.headers.authorization !== `Bearer ${options.apiKey}`) {
    stats.unauthorized++;
    return sendJson(res, 401, {
      error: { message: 'Invalid or missing API key.', type: 'invalid_request_error' },
    });
  }
  if (req.method === 'GET' && path === '/v1/models') {
    return sendJson(res, 200, {
      object: 'list',
      data: [{ id: options.model, object: 'model', owned_by: 'sparq-sim' }],
    });
  }
  if (req.method === 'GET' && path === '/v1/stats') return sendJson(res, 200, stats);
  if (req.method !== 'POST' || path !== '/v1/chat/completions') {
    return sendJson(res, 404, { error: { message: `No route for ${req.method} ${req.url}` } });
  }

  const raw = await readBody(req);
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return sendJson(res, 400, { error: { message: 'Request body is not valid JSON.' } });
  }
  const parsed = validate(body, options);
  if (typeof parsed === 'string') {
    const status = parsed.startsWith('The model') ? 404 : 400;
    return sendJson(res, status, { error: { message: parsed, type: 'invalid_request_error' } });
  }

  const fault = drawFault(options.faults, rng);
  if (fault) stats.faults[fault]++;
  await delay(options.latency, rng);
  if (fault === 'hang') return; // the connection stays open until the client gives up
  if (fault === 'http500')
    return sendJson(res, 500, { error: { message: 'Internal server error (injected)' } });
  if (fault === 'http429') {
    res.setHeader('retry-after', String(options.faults.retryAfterSeconds));
    return sendJson(res, 429, { error: { message: 'Rate limit reached (injected)' } });
  }

  const completion = simulateCompletion(parsed, options.model);
  const choices = completion.choices.map((c, index) => ({
    index,
    message: { role: 'assistant', content: fault === 'malformed' ? garble(c.text, rng) : c.text },
    finish_reason: c.finishReason,
  }));
  const payload = JSON.stringify({
    id: `chatcmpl-sim-${stats.requests}`,
    object: 'chat.completion',
    created: 0,
    model: options.model,
    choices,
    usage: {
      prompt_tokens: completion.usage.promptTokens,
      completion_tokens: completion.usage.completionTokens,
      total_tokens: completion.usage.promptTokens + completion.usage.completionTokens,
    },
  });
  if (fault === 'truncate') {
    const cut = payload.slice(0, Math.floor(payload.length / 2));
    if (rng.next() < 0.5) {
      // Promise the whole body, deliver half, drop the connection.
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(payload),
      });
      res.write(cut, () => res.destroy());
      return;
    }
    return sendRaw(res, 200, cut);
  }
  stats.completed++;
  return sendRaw(res, 200, payload);
}

function validate(body: Record<string, unknown>, options: SimServerOptions): ChatRequest | string {
  if (body.model !== options.model)
    return `The model \`${String(body.model)}\` does not exist. This server serves \`${options.model}\`.`;
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) return '"messages" must be a non-empty array';
  for (const m of messages as ChatMessage[]) {
    if (!m || typeof m.content !== 'string' || !['system', 'user', 'assistant'].includes(m.role)) {
      return 'each message needs a role (system, user, assistant) and a string content';
    }
  }
  const n = body.n === undefined ? 1 : body.n;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 256)
    return '"n" must be an integer in [1, 256]';
  if (n > 1 && !options.supportsN) return 'Only one completion choice is allowed (n must be 1)';
  const temperature = body.temperature === undefined ? 1 : body.temperature;
  if (typeof temperature !== 'number' || temperature < 0 || temperature > 2)
    return '"temperature" must be a number in [0, 2]';
  const rf = body.response_format as
    | { type?: string; json_schema?: { name?: string; schema?: Record<string, unknown> } }
    | undefined;
  return {
    messages: messages as ChatMessage[],
    n,
    temperature,
    topP: typeof body.top_p === 'number' ? body.top_p : undefined,
    maxTokens: typeof body.max_tokens === 'number' ? body.max_tokens : undefined,
    seed: typeof body.seed === 'number' ? body.seed : undefined,
    responseFormat:
      rf?.type === 'json_schema'
        ? {
            type: 'json_schema',
            name: rf.json_schema?.name ?? 'output',
            schema: rf.json_schema?.schema ?? {},
          }
        : undefined,
  };
}

type Fault = 'http500' | 'http429' | 'hang' | 'truncate' | 'malformed' | null;

function drawFault(f: FaultRates, rng: Rng): Fault {
  let u = rng.next();
  for (const [name, rate] of [
    ['http500', f.http500],
    ['http429', f.http429],
    ['hang', f.hang],
    ['truncate', f.truncate],
    ['malformed', f.malformed],
  ] as const) {
    if (u < rate) return name;
    u -= rate;
  }
  return null;
}

/** Output that breaks the expected format: cut before the final answer, or no longer JSON. */
function garble(text: string, rng: Rng): string {
  if (rng.next() < 0.5) return text.slice(0, Math.floor(text.length * rng.next() * 0.5));
  return `I am not sure. ${text.replace(/[{}]/g, '').replace(/\\boxed/g, '')}`.slice(0, 200);
}

function delay(latency: Latency, rng: Rng): Promise<void> | undefined {
  let ms: number;
  if (latency.kind === 'fixed') ms = latency.ms;
  else {
    // Box-Muller from the server's stream.
    const normal = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
    ms = latency.medianMs * Math.exp(latency.sigma * normal);
  }
  if (ms <= 0) return undefined;
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  sendRaw(res, status, JSON.stringify(value));
}

function sendRaw(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
