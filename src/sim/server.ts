/**
 * `sparq sim-server`: the simulated model behind the OpenAI-compatible protocol
 * (/v1/chat/completions, streamed or not, /v1/models, usage counts), passing for a real server
 * (vLLM, llama.cpp, Ollama, OpenAI: see behaviour.ts) so that sparq's real HTTP path takes the
 * turns it will take in production, with optional latency, fault injection, a loading phase and
 * outages, all offline. Faults are drawn per HTTP request from the server's own seeded stream, not
 * from the request content: a retried request can succeed, as with a real overloaded server.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ChatMessage, ChatRequest } from '../backends/types.js';
import { Rng } from '../util/hash.js';
import { type BatchApiOptions, type BatchApiStats, DEFAULT_BATCH_API, SimBatchApi } from './batch-api.js';
import { profileOf, type ServerProfile } from './behaviour.js';
import { admitToContext, CONTEXT_SHIFT_DISABLED } from './context.js';
import {
  llamacppProps,
  loadingModel,
  modelList,
  modelNotFound,
  ONE_CHOICE_ONLY,
  type Reply,
} from './dialect.js';
import { simulateCompletion } from './model.js';
import { Slots } from './slots.js';
import { completionBody, completionEvents, type WireCompletion } from './wire.js';

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
  /** Model names it answers to, as a server that serves several (a judge beside the model); the first is its own. */
  models: string[];
  latency: Latency;
  faults: FaultRates;
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  apiKey: string | null;
  /** Seed of the fault and latency stream. */
  seed: number;
  /** The real server to pass for (`profileOf(behaviour)`), with any of its fields changed. */
  profile: ServerProfile;
  /** The batch API (/v1/files, /v1/batches): its processing delay and faults. */
  batch: BatchApiOptions;
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
  /** Requests being processed; those waiting for a slot are `queued`. */
  inFlight: number;
  maxInFlight: number;
  queued: number;
  maxQueued: number;
  faults: Record<'http500' | 'http429' | 'hang' | 'truncate' | 'malformed', number>;
  /** Every Authorization header value is checked, never stored; this counts the rejections. */
  unauthorized: number;
  batch: BatchApiStats;
}

export interface RunningSimServer {
  url: string;
  port: number;
  stats(): SimServerStats;
  /**
   * Stops listening and drops every connection now, as a restarting server does, then listens
   * again on the same port after `durationMs`. Resolves when it is back (or closed meanwhile).
   */
  outage(durationMs: number): Promise<void>;
  close(): Promise<void>;
}

export function defaultSimServerOptions(overrides: Partial<SimServerOptions> = {}): SimServerOptions {
  return {
    host: '127.0.0.1',
    port: 0,
    models: ['sim-1'],
    latency: { kind: 'fixed', ms: 0 },
    faults: NO_FAULTS,
    apiKey: null,
    seed: 0,
    profile: profileOf('default'),
    batch: DEFAULT_BATCH_API,
    ...overrides,
  };
}

/** What every request handler shares. */
interface ServerState {
  options: SimServerOptions;
  profile: ServerProfile;
  rng: Rng;
  stats: SimServerStats;
  slots: Slots | null;
  /** Epoch ms until which every request is answered "Loading model"; 0 when there is no loading. */
  loadingUntil: number;
  startedS: number;
  batchApi: SimBatchApi;
}

const CHAT_PATH = '/v1/chat/completions';

export async function startSimServer(options: SimServerOptions): Promise<RunningSimServer> {
  const { profile } = options;
  const stats: SimServerStats = {
    requests: 0,
    completed: 0,
    inFlight: 0,
    maxInFlight: 0,
    queued: 0,
    maxQueued: 0,
    faults: { http500: 0, http429: 0, hang: 0, truncate: 0, malformed: 0 },
    unauthorized: 0,
    batch: { uploads: 0, batchesCreated: 0, polls: 0, downloads: 0 },
  };
  const batchApi = new SimBatchApi(options.batch, options.models);
  stats.batch = batchApi.stats;
  const state: ServerState = {
    options,
    profile,
    rng: new Rng(options.seed),
    stats,
    slots: profile.slots === null ? null : new Slots(profile.slots),
    loadingUntil: 0,
    startedS: Math.floor(Date.now() / 1000),
    batchApi,
  };
  const sockets = new Set<Socket>();

  const server: Server = createServer((req, res) => {
    stats.requests++;
    handle(req, res, state).catch((err) => {
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
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stopListening = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });

  await listen(options.port);
  if (profile.loadingMs > 0) state.loadingUntil = Date.now() + profile.loadingMs;
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closed = false;
  let down: Promise<void> | null = null;
  let endDowntime: (() => void) | null = null;
  const outage = (durationMs: number): Promise<void> => {
    down ??= (async () => {
      await stopListening();
      if (!closed)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, durationMs);
          endDowntime = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      // The port is ours again unless another process took it meanwhile; keep trying as a
      // restarting server would.
      while (!closed) {
        try {
          await listen(address.port);
          break;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      down = null;
      endDowntime = null;
    })();
    return down;
  };
  const scheduled = profile.outage
    ? setTimeout(() => void outage(profile.outage!.durationMs), profile.outage.startMs)
    : null;

  return {
    url: `http://${host}:${address.port}/v1`,
    port: address.port,
    stats: () => ({ ...stats, faults: { ...stats.faults }, batch: { ...stats.batch } }),
    outage,
    close: async () => {
      closed = true;
      if (scheduled) clearTimeout(scheduled);
      endDowntime?.();
      await down;
      await stopListening();
    },
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, s: ServerState): Promise<void> {
  const { options, profile, stats } = s;
  const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
  const chat = req.method === 'POST' && path === CHAT_PATH;
  // A request waiting for a slot is not in flight yet: it starts when it gets one.
  if (!chat || s.slots === null) beginProcessing(res, stats);
  // The stats are the sim's own window, not part of the server it passes for: always open.
  if (s.loadingUntil > 0 && path !== '/v1/stats' && Date.now() < s.loadingUntil)
    return send(res, loadingModel(profile.behaviour));
  if (req.method === 'GET' && (path === '/health' || path === ''))
    return sendJson(res, 200, { status: 'ok' });
  if (options.apiKey !== null && req.headers.authorization !== `Bearer ${options.apiKey}`) {
    stats.unauthorized++;
    return sendJson(res, 401, {
      error: { message: 'Invalid or missing API key.', type: 'invalid_request_error' },
    });
  }
  if (req.method === 'GET' && path === '/v1/models')
    return sendJson(
      res,
      200,
      modelList(profile.behaviour, options.models, profile.contextTokens, s.startedS),
    );
  if (req.method === 'GET' && path === '/props' && profile.behaviour === 'llamacpp')
    return sendJson(res, 200, llamacppProps(options.models[0]!, profile.contextTokens, profile.slots));
  if (req.method === 'GET' && path === '/v1/stats') return sendJson(res, 200, stats);
  if (
    (path.startsWith('/v1/files') || path.startsWith('/v1/batches')) &&
    (await s.batchApi.handle(req, res, path, () => readBytes(req), sendJson))
  )
    return;
  if (!chat) return sendJson(res, 404, { error: { message: `No route for ${req.method} ${req.url}` } });
  return complete(req, res, s);
}

async function complete(req: IncomingMessage, res: ServerResponse, s: ServerState): Promise<void> {
  const { options, profile, rng, stats } = s;
  const raw = await readBody(req);
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return sendJson(res, 400, { error: { message: 'Request body is not valid JSON.' } });
  }
  const served = options.models.includes(String(body.model));
  if (!profile.acceptsAnyModel && !served)
    return send(res, modelNotFound(profile.behaviour, String(body.model), options.models.join(', ')));
  const model = served ? String(body.model) : options.models[0]!;
  const parsed = validate(body);
  if (typeof parsed === 'string')
    return sendJson(res, 400, { error: { message: parsed, type: 'invalid_request_error' } });

  let request = parsed;
  if (request.n > 1 && profile.multipleChoices !== 'honour') {
    if (profile.multipleChoices === 'reject') return send(res, ONE_CHOICE_ONLY);
    request = { ...request, n: 1 };
  }
  if (request.responseFormat && !profile.enforcesJsonSchema)
    request = { ...request, responseFormat: undefined };
  let failsAtWindow = false;
  if (profile.contextTokens !== null) {
    const admission = admitToContext(request, {
      tokens: profile.contextTokens,
      overflow: profile.contextOverflow,
      behaviour: profile.behaviour,
    });
    if (!admission.admitted) return send(res, admission.reply);
    request = admission.request;
    failsAtWindow = admission.failsAtWindow;
  }
  if (s.slots !== null && !(await takeSlot(res, s.slots, stats))) return;

  const fault = drawFault(options.faults, rng);
  if (fault) stats.faults[fault]++;
  await delay(options.latency, rng);
  if (res.closed) return; // the client gave up (or an outage dropped it) during the wait
  if (fault === 'hang') return; // the connection stays open until the client gives up
  if (fault === 'http500')
    return sendJson(res, 500, { error: { message: 'Internal server error (injected)' } });
  if (fault === 'http429') {
    res.setHeader('retry-after', String(options.faults.retryAfterSeconds));
    return sendJson(res, 429, { error: { message: 'Rate limit reached (injected)' } });
  }

  const completion = simulateCompletion(request, model);
  // Without context shift, llama.cpp generates up to the end of the window and only then fails.
  if (failsAtWindow && completion.choices.some((c) => c.finishReason === 'length'))
    return send(res, CONTEXT_SHIFT_DISABLED);
  const wire: WireCompletion = {
    id: `chatcmpl-sim-${stats.requests}`,
    model: profile.acceptsAnyModel && typeof body.model === 'string' ? body.model : model,
    choices:
      fault === 'malformed'
        ? completion.choices.map((c) => ({ text: garble(c.text, rng), finishReason: c.finishReason }))
        : completion.choices,
    usage: completion.usage,
  };
  if (body.stream === true) {
    const streamOptions = body.stream_options as { include_usage?: unknown } | undefined;
    return stream(res, completionEvents(wire, streamOptions?.include_usage === true), fault, stats);
  }
  const payload = completionBody(wire);
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

function beginProcessing(res: ServerResponse, stats: SimServerStats): void {
  stats.inFlight++;
  stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
  res.once('close', () => {
    stats.inFlight--;
  });
}

/** Waits in the queue for a slot; false when the client left first. */
async function takeSlot(res: ServerResponse, slots: Slots, stats: SimServerStats): Promise<boolean> {
  const taken = slots.take(res);
  if (taken === false) return false;
  if (taken !== true) {
    stats.queued++;
    stats.maxQueued = Math.max(stats.maxQueued, stats.queued);
    const granted = await taken;
    stats.queued--;
    if (!granted) return false;
  }
  beginProcessing(res, stats);
  return true;
}

/** A chat completion body as the sim reads it, or what is wrong with it. */
export function validate(body: Record<string, unknown>): ChatRequest | string {
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

/** Server-sent events; a truncate fault drops the connection halfway through them. */
function stream(res: ServerResponse, events: string[], fault: Fault, stats: SimServerStats): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  if (fault === 'truncate') {
    const half = Math.ceil(events.length / 2);
    for (const event of events.slice(0, half - 1)) res.write(event);
    res.write(events[half - 1]!, () => res.destroy());
    return;
  }
  for (const event of events) res.write(event);
  stats.completed++;
  res.end();
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

/**
 * Content that breaks the requested format although the response is whole: cut off early, or
 * rambling with no JSON and no final answer (what a confused model, or a server that lost the
 * schema, sends).
 */
function garble(text: string, rng: Rng): string {
  if (rng.next() < 0.5) {
    // Cut between words, as a stream that stopped early is: a lone "L" would be a one-letter answer.
    const cut = text.slice(0, Math.floor(text.length * rng.next() * 0.5));
    return cut.slice(0, Math.max(0, cut.search(/\s\S*$/)));
  }
  const rambling = text
    .replace(/[^\n]*final answer[^\n]*/gi, '')
    .replace(/[{}]/g, '')
    .replace(/\\boxed/g, '');
  return `I am not sure. ${rambling}`.slice(0, 200);
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

function readBytes(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function readBody(req: IncomingMessage): Promise<string> {
  return (await readBytes(req)).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  sendRaw(res, status, JSON.stringify(value));
}

function sendRaw(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function send(res: ServerResponse, reply: Reply): void {
  sendJson(res, reply.status, reply.body);
}
