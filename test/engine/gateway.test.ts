import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OpenAIHttpBackend } from '../../src/backends/openai-http.js';
import { requestKey } from '../../src/backends/request-key.js';
import {
  type ChatRequest,
  type ChatResponse,
  type ModelBackend,
  ModelCallError,
} from '../../src/backends/types.js';
import { SAME_FAILURES_IN_A_ROW } from '../../src/engine/gateway/failure-monitor.js';
import { createGateway, type Gateway, MemoryCache } from '../../src/engine/gateway/index.js';
import { SpendLedger } from '../../src/engine/gateway/ledger.js';
import { PriorityLimiter } from '../../src/engine/gateway/limiter.js';
import { OnlineDispatcher } from '../../src/engine/gateway/online.js';
import { modelSettings } from '../helpers/config.js';

// --- a fake backend whose every attempt the test decides -----------------------------------------

interface Attempt {
  request: ChatRequest;
  signal: AbortSignal | undefined;
  /** Ends this attempt with a response, or with an error. */
  resolve(response?: ChatResponse): void;
  reject(err: unknown): void;
}

type Behaviour = (attempt: Attempt, index: number) => void;

class FakeBackend implements ModelBackend {
  readonly description = 'fake';
  readonly model = 'fake-1';
  readonly attempts: Attempt[] = [];
  inFlight = 0;
  maxInFlight = 0;
  /** Label (first message) of each attempt, in the order they reached the backend. */
  readonly started: string[] = [];

  constructor(
    private readonly behaviour: Behaviour = (a) => a.resolve(),
    readonly supportsN = true,
  ) {}

  send(request: ChatRequest, signal?: AbortSignal): Promise<ChatResponse> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.started.push(request.messages[0]!.content);
    return new Promise<ChatResponse>((resolve, reject) => {
      let done = false;
      const finish = () => {
        if (done) return false;
        done = true;
        this.inFlight--;
        return true;
      };
      const attempt: Attempt = {
        request,
        signal,
        resolve: (response) => {
          if (finish()) resolve(response ?? reply(request));
        },
        reject: (err) => {
          if (finish()) reject(err);
        },
      };
      signal?.addEventListener('abort', () => attempt.reject(signal.reason), { once: true });
      this.attempts.push(attempt);
      this.behaviour(attempt, this.attempts.length - 1);
    });
  }

  async close(): Promise<void> {}
}

function reply(request: ChatRequest): ChatResponse {
  return {
    choices: Array.from({ length: request.n }, (_, i) => ({
      text: `${request.messages[0]!.content} #${i} seed ${request.seed ?? 'none'}`,
      finishReason: 'stop',
    })),
    usage: { promptTokens: 10, completionTokens: 5 * request.n },
    model: 'fake-1',
  };
}

const retryable = (
  fault: 'http_429' | 'http_5xx' | 'timeout' = 'http_5xx',
  retryAfterMs: number | null = null,
) =>
  new ModelCallError(fault === 'http_429' ? 'HTTP 429 from fake: slow down' : `${fault} from fake`, {
    retryable: true,
    fault,
    retryAfterMs,
    status: fault === 'http_429' ? 429 : fault === 'http_5xx' ? 500 : null,
  });

const request = (label: string, n = 1, seed?: number): ChatRequest => ({
  messages: [{ role: 'user', content: label }],
  n,
  temperature: 0.7,
  ...(seed === undefined ? {} : { seed }),
});

/** Gateway settings: no real waiting between retries (backoff ceilings of 1 ms round down to 0). */
const settings = (overrides: Record<string, unknown> = {}) =>
  modelSettings({ kind: 'sim', retry_base_ms: 1, retry_max_ms: 1, ...overrides });

/** Lets pending promise callbacks and zero-delay timers run. */
const settle = async (rounds = 5) => {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setTimeout(r, 0));
};

const call = (gateway: Gateway['gateway'], req: ChatRequest, priority = 0, signal?: AbortSignal) =>
  gateway.call({ request: req, purpose: 'solve', templateRef: 'solve@1', priority, signal });

// --- a tiny local HTTP server, for the gateway over the real backend ----------------------------

const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

async function localServer(handler: (res: ServerResponse, index: number) => void): Promise<string> {
  let index = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => handler(res, index++));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const completion = (n: number) => ({
  choices: Array.from({ length: n }, (_, i) => ({
    message: { content: `\\boxed{${i}}` },
    finish_reason: 'stop',
  })),
  usage: { prompt_tokens: 7, completion_tokens: 3 },
  model: 'sim-1',
});

describe('gateway: retries and spend', () => {
  it('retries retryable failures until success, counting faults and retries', async () => {
    const backend = new FakeBackend((a, i) =>
      i < 3 ? a.reject(retryable(i === 1 ? 'timeout' : 'http_5xx')) : a.resolve(),
    );
    const retries: { attempt: number; reason: string }[] = [];
    const { gateway, ledger } = createGateway(settings({ max_retries: 5 }), backend, new MemoryCache(), (i) =>
      retries.push(i),
    );
    const result = await call(gateway, request('p', 2));
    expect(result.choices).toHaveLength(2);
    expect(result.fromCache).toBe(false);
    expect(result.usage).toEqual({ requests: 1, promptTokens: 10, completionTokens: 10 });
    expect(backend.attempts).toHaveLength(4);
    expect(retries.map((r) => r.attempt)).toEqual([1, 2, 3]);
    expect(retries[1]!.reason).toBe('timeout from fake');
    expect(ledger.totals()).toEqual({
      requestsSent: 1,
      cacheHits: 0,
      retries: 3,
      failures: 0,
      promptTokens: 10,
      completionTokens: 10,
      batchPromptTokens: 0,
      batchCompletionTokens: 0,
      faults: { http_5xx: 2, timeout: 1 },
    });
  });

  it("waits the server's Retry-After before trying again", async () => {
    const backend = new FakeBackend((a, i) => (i === 0 ? a.reject(retryable('http_429', 30)) : a.resolve()));
    const delays: number[] = [];
    const { gateway } = createGateway(settings(), backend, new MemoryCache(), (i) => delays.push(i.delayMs));
    await call(gateway, request('p'));
    // Retry-After 30 ms plus a jitter of floor(random * min(1000, retry_base_ms = 1)) = 0.
    expect(delays).toEqual([30]);
  });

  it('gives up after max_retries with a message naming the attempts', async () => {
    const backend = new FakeBackend((a) => a.reject(retryable('http_429', 0)));
    const { gateway, ledger } = createGateway(settings({ max_retries: 2 }), backend, new MemoryCache());
    const err = (await call(gateway, request('p')).catch((e: unknown) => e)) as ModelCallError;
    expect(err).toBeInstanceOf(ModelCallError);
    expect(err.message).toBe('request failed after 3 attempts; last error: HTTP 429 from fake: slow down');
    expect(err.retryable).toBe(false);
    expect(err.fault).toBe('http_429');
    expect(err.status).toBe(429);
    expect(backend.attempts).toHaveLength(3);
    expect(ledger.totals()).toMatchObject({
      requestsSent: 0,
      retries: 2,
      failures: 1,
      faults: { http_429: 3 },
    });
  });

  it('max_retries 0 means one attempt', async () => {
    const backend = new FakeBackend((a) => a.reject(retryable()));
    const { gateway, ledger } = createGateway(settings({ max_retries: 0 }), backend, new MemoryCache());
    await expect(call(gateway, request('p'))).rejects.toThrow(/failed after 1 attempts/);
    expect(backend.attempts).toHaveLength(1);
    expect(ledger.totals()).toMatchObject({ retries: 0, failures: 1 });
  });

  it('fatal errors are not retried and keep their message', async () => {
    const fatal = new ModelCallError('HTTP 404 from fake: check model.base_urls', {
      retryable: false,
      fault: 'http_4xx',
      status: 404,
    });
    const backend = new FakeBackend((a) => a.reject(fatal));
    const retries: unknown[] = [];
    const { gateway, ledger } = createGateway(settings({ max_retries: 8 }), backend, new MemoryCache(), (i) =>
      retries.push(i),
    );
    await expect(call(gateway, request('p'))).rejects.toBe(fatal);
    expect(backend.attempts).toHaveLength(1);
    expect(retries).toEqual([]);
    expect(ledger.totals()).toMatchObject({
      requestsSent: 0,
      retries: 0,
      failures: 1,
      faults: { http_4xx: 1 },
    });
  });

  it('an error that is not a ModelCallError is passed through, not retried or counted', async () => {
    const bug = new TypeError('a bug');
    const backend = new FakeBackend((a) => a.reject(bug));
    const { gateway, ledger, inFlight } = createGateway(settings(), backend, new MemoryCache());
    await expect(call(gateway, request('p'))).rejects.toBe(bug);
    expect(backend.attempts).toHaveLength(1);
    expect(ledger.totals()).toMatchObject({ retries: 0, failures: 0, faults: {} });
    expect(inFlight()).toBe(0);
  });

  it('drain() returns what was spent since the last drain; totals() keeps everything', async () => {
    const { gateway, ledger } = createGateway(settings(), new FakeBackend(), new MemoryCache());
    await call(gateway, request('a'));
    expect(ledger.drain()).toMatchObject({ requestsSent: 1, promptTokens: 10 });
    await call(gateway, request('b'));
    await call(gateway, request('b'));
    expect(ledger.drain()).toMatchObject({ requestsSent: 1, cacheHits: 1 });
    expect(ledger.drain()).toMatchObject({ requestsSent: 0, cacheHits: 0 });
    expect(ledger.totals()).toMatchObject({ requestsSent: 2, cacheHits: 1, promptTokens: 20 });
  });

  it('over the HTTP backend: 500s and 429s are retried until success and counted by kind', async () => {
    const url = await localServer((res, i) => {
      if (i === 0) return sendJson(res, 500, { error: { message: 'boom' } });
      if (i === 1) return sendJson(res, 429, { error: 'slow down' }, { 'retry-after': '0' });
      sendJson(res, 200, completion(2));
    });
    const config = settings({ kind: 'openai', base_urls: [url], max_retries: 4 });
    const backend = new OpenAIHttpBackend(config, {});
    closers.push(() => backend.close());
    const { gateway, ledger } = createGateway(config, backend, new MemoryCache());
    const result = await call(gateway, request('p', 2));
    expect(result.choices.map((c) => c.text)).toEqual(['\\boxed{0}', '\\boxed{1}']);
    expect(ledger.totals()).toEqual({
      requestsSent: 1,
      cacheHits: 0,
      retries: 2,
      failures: 0,
      promptTokens: 7,
      completionTokens: 3,
      batchPromptTokens: 0,
      batchCompletionTokens: 0,
      faults: { http_5xx: 1, http_429: 1 },
    });
  });

  it('over the HTTP backend: gives up after max_retries, naming the attempts and the last error', async () => {
    let hits = 0;
    const url = await localServer((res) => {
      hits++;
      sendJson(res, 500, { error: { message: 'overloaded' } }, { 'retry-after': '0' });
    });
    const config = settings({ kind: 'openai', base_urls: [url], max_retries: 1 });
    const backend = new OpenAIHttpBackend(config, {});
    closers.push(() => backend.close());
    const { gateway, ledger } = createGateway(config, backend, new MemoryCache());
    await expect(call(gateway, request('p'))).rejects.toThrow(
      /^request failed after 2 attempts; last error: HTTP 500 from .*: overloaded$/,
    );
    expect(hits).toBe(2);
    expect(ledger.totals()).toMatchObject({ retries: 1, failures: 1, faults: { http_5xx: 2 } });
  });
});

/** Calls `label` and keeps other requests succeeding until it has failed; its error. */
async function failsWhileOthersSucceed(
  gateway: ReturnType<typeof createGateway>['gateway'],
  label: string,
): Promise<ModelCallError> {
  let settled = false;
  const pending = call(gateway, request(label))
    .catch((e: unknown) => e)
    .finally(() => {
      settled = true;
    });
  for (let i = 0; !settled; i++) {
    await call(gateway, request(`ok${i}`));
    await new Promise((r) => setTimeout(r, 1));
  }
  return (await pending) as ModelCallError;
}

describe('gateway: outages and failures of one request', () => {
  const contextError = () =>
    new ModelCallError('HTTP 400 from fake: the request exceeds the available context size', {
      retryable: false,
      fault: 'http_4xx',
      status: 400,
      inputRejection: 'context_exceeded',
    });
  const unavailable = () =>
    new ModelCallError('HTTP 503 from fake: Loading model', {
      retryable: true,
      fault: 'http_5xx',
      status: 503,
    });

  it('while nothing succeeds, 503s do not use up the retries: the request waits out the outage', async () => {
    // 20 outage failures with max_retries 2, then the server is back.
    const backend = new FakeBackend((a, i) => (i < 20 ? a.reject(unavailable()) : a.resolve()));
    const outages: boolean[] = [];
    const { gateway, ledger } = createGateway(
      settings({ max_retries: 2, outage_tolerance_s: 60 }),
      backend,
      new MemoryCache(),
      (i) => outages.push(i.outage),
    );
    const result = await call(gateway, request('p'));
    expect(result.choices).toHaveLength(1);
    expect(backend.attempts).toHaveLength(21);
    expect(outages.every(Boolean)).toBe(true);
    expect(ledger.totals()).toMatchObject({ requestsSent: 1, retries: 20, failures: 0 });
  });

  it('an outage longer than model.outage_tolerance_s stops with a message naming it', async () => {
    const backend = new FakeBackend((a) => a.reject(unavailable()));
    const { gateway } = createGateway(settings({ outage_tolerance_s: 0.05 }), backend, new MemoryCache());
    const err = (await call(gateway, request('p')).catch((e: unknown) => e)) as ModelCallError;
    expect(err.message).toMatch(
      /no request to the model has succeeded for \d+ s \(model\.outage_tolerance_s is 0\.05\).*Loading model/,
    );
    expect(err.inputRejection).toBeNull();
  });

  it('a request that keeps failing while others succeed is rejected for its input (server_rejected)', async () => {
    const backend = new FakeBackend((a) =>
      // Each failure of the bad request comes late enough for the others to have been answered.
      a.request.messages[0]!.content === 'bad'
        ? setTimeout(() => a.reject(retryable('http_5xx')), 5)
        : a.resolve(),
    );
    const { gateway } = createGateway(settings({ max_retries: 3 }), backend, new MemoryCache());
    const err = await failsWhileOthersSucceed(gateway, 'bad');
    expect(err.inputRejection).toBe('server_rejected');
    expect(err.message).toMatch(/failed after 4 attempts.*other requests succeeded/);
  });

  it('input rejections stop the run only when they are systematic, with the hint for their cause', async () => {
    // One over-long prompt among many that fit: that one is rejected, the others are answered.
    const some = new FakeBackend((a) =>
      a.request.messages[0]!.content.startsWith('long') ? a.reject(contextError()) : a.resolve(),
    );
    const g1 = createGateway(settings(), some, new MemoryCache()).gateway;
    const one = (await call(g1, request('long 1')).catch((e: unknown) => e)) as ModelCallError;
    expect(one.inputRejection).toBe('context_exceeded');
    for (let i = 0; i < 30; i++) await call(g1, request(`fits ${i}`));
    // Every request over the context: systematic after a dozen, naming the settings to change.
    const all = new FakeBackend((a) => a.reject(contextError()));
    const g2 = createGateway(settings(), all, new MemoryCache()).gateway;
    const errors: ModelCallError[] = [];
    for (let i = 0; i < 20; i++)
      errors.push((await call(g2, request(`r${i}`)).catch((e: unknown) => e)) as ModelCallError);
    expect(
      errors.slice(0, SAME_FAILURES_IN_A_ROW - 1).every((e) => e.inputRejection === 'context_exceeded'),
    ).toBe(true);
    const systematic = errors[SAME_FAILURES_IN_A_ROW - 1]!;
    expect(systematic.inputRejection).toBeNull();
    expect(systematic.message).toMatch(
      /last 12 solve requests all failed.*solver\.max_tokens.*model\.context_tokens/,
    );
    // Sticky: later calls fail with it at once, without sending.
    const sent = all.attempts.length;
    expect(errors[19]).toBe(systematic);
    expect(all.attempts.length).toBe(sent);
  });

  it('a request meeting only outage-like failures while others succeed still ends within the tolerance', async () => {
    const backend = new FakeBackend((a) =>
      a.request.messages[0]!.content === 'crashes' ? a.reject(unavailable()) : a.resolve(),
    );
    const { gateway } = createGateway(
      settings({ outage_tolerance_s: 0.2, max_retries: 1000 }),
      backend,
      new MemoryCache(),
    );
    const err = await failsWhileOthersSucceed(gateway, 'crashes');
    expect(err.message).toMatch(/this request has failed for \d+ s .*while others succeeded/);
  });

  it('rate limits that outlast the retries stop the run: a 429 says nothing about the input', async () => {
    const backend = new FakeBackend((a) =>
      a.request.messages[0]!.content === 'limited'
        ? setTimeout(() => a.reject(retryable('http_429', 0)), 3)
        : a.resolve(),
    );
    const { gateway } = createGateway(settings({ max_retries: 2 }), backend, new MemoryCache());
    const err = await failsWhileOthersSucceed(gateway, 'limited');
    expect(err.message).toMatch(/failed after 3 attempts.*HTTP 429/);
    expect(err.inputRejection).toBeNull();
  });

  it('one over-long problem split into k requests is one refusal, and a dozen long ones after many answered are not systematic', async () => {
    const backend = new FakeBackend(
      (a) => (a.request.messages[0]!.content.startsWith('long') ? a.reject(contextError()) : a.resolve()),
      false,
    );
    const { gateway } = createGateway(settings(), backend, new MemoryCache());
    for (let i = 0; i < 40; i++) await call(gateway, request(`fits ${i}`, 8));
    const errors: ModelCallError[] = [];
    for (let i = 0; i < 14; i++)
      errors.push((await call(gateway, request(`long ${i}`, 8)).catch((e: unknown) => e)) as ModelCallError);
    expect(errors.every((e) => e.inputRejection === 'context_exceeded')).toBe(true);
  });

  it('a known context refuses a prompt that cannot fit before sending, and shortens max_tokens to the room left', async () => {
    const backend = new FakeBackend();
    const { gateway } = createGateway(settings({ context_tokens: 400 }), backend, new MemoryCache());
    const long = { ...request('x'.repeat(1200)), maxTokens: 100 };
    const err = (await call(gateway, long).catch((e: unknown) => e)) as ModelCallError;
    expect(err.inputRejection).toBe('context_exceeded');
    expect(err.message).toMatch(/model\.context_tokens.*not sent/);
    expect(backend.attempts).toHaveLength(0);
    await call(gateway, { ...request('y'.repeat(300)), maxTokens: 500 });
    const sentTokens = backend.attempts[0]!.request.maxTokens!;
    // 300 characters are about 108 tokens of the 400: the rest is the room.
    expect(sentTokens).toBe(292);
  });
});

describe('gateway: concurrency limit', () => {
  it('never has more than max_concurrency requests in flight', async () => {
    const backend = new FakeBackend(() => {
      // held until the test resolves it
    });
    const { gateway, inFlight } = createGateway(settings({ max_concurrency: 3 }), backend, new MemoryCache());
    const calls = Array.from({ length: 10 }, (_, i) => call(gateway, request(`r${i}`)));
    await settle();
    expect(backend.inFlight).toBe(3);
    expect(inFlight()).toBe(3);
    for (let i = 0; i < 10; i++) {
      expect(backend.attempts).toHaveLength(Math.min(10, i + 3));
      backend.attempts[i]!.resolve();
      await settle();
      expect(backend.inFlight).toBe(Math.min(3, 9 - i));
      expect(inFlight()).toBe(Math.min(3, 9 - i));
    }
    await Promise.all(calls);
    expect(backend.maxInFlight).toBe(3);
    expect(backend.attempts).toHaveLength(10);
    expect(inFlight()).toBe(0);
  });

  it('serves lower priority first when saturated, arrival order among equals', async () => {
    const backend = new FakeBackend(() => {
      // held
    });
    const { gateway } = createGateway(settings({ max_concurrency: 1 }), backend, new MemoryCache());
    const first = call(gateway, request('busy'), 100);
    const queued = [
      ['p5', 5],
      ['p3a', 3],
      ['p9', 9],
      ['p1', 1],
      ['p3b', 3],
      ['p0', 0],
    ] as const;
    const calls = queued.map(([label, priority]) => call(gateway, request(label), priority));
    await settle();
    expect(backend.started).toEqual(['busy']);
    for (let i = 0; i < 7; i++) {
      expect(backend.attempts).toHaveLength(i + 1);
      backend.attempts[i]!.resolve();
      await settle();
    }
    await Promise.all([first, ...calls]);
    expect(backend.started).toEqual(['busy', 'p0', 'p1', 'p3a', 'p3b', 'p5', 'p9']);
    expect(backend.maxInFlight).toBe(1);
  });

  it('a retry gives its slot back while it sleeps: a waiting request runs in between', async () => {
    const events: string[] = [];
    const backend = new FakeBackend((a, i) => {
      const label = a.request.messages[0]!.content;
      events.push(`${label} start`);
      if (label === 'A' && i === 0) {
        events.push('A fails');
        a.reject(retryable('http_5xx', 20));
      } else a.resolve();
    });
    const seen: number[] = [];
    const g: Gateway = createGateway(settings({ max_concurrency: 1 }), backend, new MemoryCache(), () =>
      seen.push(g.inFlight()),
    );
    const a = call(g.gateway, request('A'), 0).then(() => events.push('A done'));
    const b = call(g.gateway, request('B'), 1).then(() => events.push('B done'));
    await Promise.all([a, b]);
    // B got the slot A gave up, and finished, before A's retry came back.
    expect(events).toEqual(['A start', 'A fails', 'B start', 'B done', 'A start', 'A done']);
    // At the retry A held no slot; only B, handed the slot on release, counts.
    expect(seen).toEqual([1]);
    expect(backend.maxInFlight).toBe(1);
  });

  it('a sleeping retry alone holds no slot', async () => {
    const backend = new FakeBackend((a, i) => (i === 0 ? a.reject(retryable('http_5xx', 5)) : a.resolve()));
    const seen: number[] = [];
    const g: Gateway = createGateway(settings({ max_concurrency: 1 }), backend, new MemoryCache(), () =>
      seen.push(g.inFlight()),
    );
    await call(g.gateway, request('A'));
    expect(seen).toEqual([0]);
    expect(g.inFlight()).toBe(0);
  });

  it('abort while queued rejects when its turn comes, never reaches the backend, and keeps the limit', async () => {
    const backend = new FakeBackend(() => {
      // held
    });
    const { gateway, inFlight, ledger } = createGateway(
      settings({ max_concurrency: 1 }),
      backend,
      new MemoryCache(),
    );
    const busy = call(gateway, request('busy'));
    await settle();
    const controller = new AbortController();
    const aborted = call(gateway, request('aborted'), 0, controller.signal).catch((e: unknown) => e);
    const later = call(gateway, request('later'), 5);
    await settle();
    controller.abort(new Error('stop'));
    // The busy request still holds the only slot; when it frees, the aborted waiter gives the
    // slot straight back (a run that aborts aborts its requests in flight too, so this is prompt).
    expect(inFlight()).toBe(1);
    expect(backend.started).toEqual(['busy']);
    backend.attempts[0]!.resolve();
    expect(((await aborted) as Error).message).toBe('stop');
    await settle();
    expect(backend.started).toEqual(['busy', 'later']);
    expect(inFlight()).toBe(1);
    backend.attempts[1]!.resolve();
    await Promise.all([busy, later]);
    expect(inFlight()).toBe(0);
    // The limit is intact: two new requests still run one at a time.
    const more = [call(gateway, request('m1')), call(gateway, request('m2'))];
    await settle();
    expect(backend.inFlight).toBe(1);
    expect(inFlight()).toBe(1);
    backend.attempts[2]!.resolve();
    await settle();
    backend.attempts[3]!.resolve();
    await Promise.all(more);
    expect(backend.maxInFlight).toBe(1);
    expect(ledger.totals()).toMatchObject({ requestsSent: 4, failures: 0, faults: {} });
  });

  it('an already aborted call never reaches the backend', async () => {
    const backend = new FakeBackend();
    const { gateway, inFlight } = createGateway(settings(), backend, new MemoryCache());
    const controller = new AbortController();
    controller.abort(new Error('early'));
    await expect(call(gateway, request('p'), 0, controller.signal)).rejects.toThrow('early');
    expect(backend.attempts).toHaveLength(0);
    expect(inFlight()).toBe(0);
  });

  it('abort in flight gives the slot back and is not a fault', async () => {
    const backend = new FakeBackend(() => {
      // held until aborted
    });
    const { gateway, inFlight, ledger } = createGateway(settings(), backend, new MemoryCache());
    const controller = new AbortController();
    const pending = call(gateway, request('p'), 0, controller.signal).catch((e: unknown) => e);
    await settle();
    expect(inFlight()).toBe(1);
    controller.abort(new Error('stop'));
    expect(((await pending) as Error).message).toBe('stop');
    expect(inFlight()).toBe(0);
    expect(ledger.totals()).toMatchObject({ retries: 0, failures: 0, faults: {} });
  });

  it('abort during a retry wait ends the wait, with no further attempt', async () => {
    const backend = new FakeBackend((a) => a.reject(retryable('http_5xx', 60_000)));
    const controller = new AbortController();
    const { gateway, inFlight } = createGateway(settings(), backend, new MemoryCache(), () => {
      setTimeout(() => controller.abort(new Error('stop')), 0);
    });
    await expect(call(gateway, request('p'), 0, controller.signal)).rejects.toThrow('stop');
    expect(backend.attempts).toHaveLength(1);
    expect(inFlight()).toBe(0);
  });

  it('the limiter on its own: capacity, priority order, and a release hands the slot on', async () => {
    const limiter = new PriorityLimiter(2);
    expect(() => new PriorityLimiter(0)).toThrow(RangeError);
    expect(limiter.acquire(0)).toBeUndefined();
    expect(limiter.acquire(0)).toBeUndefined();
    expect(limiter.inFlight).toBe(2);
    const order: number[] = [];
    const waits = [7, 2, 4].map((p) => limiter.acquire(p)!.then(() => order.push(p)));
    expect(limiter.waiting).toBe(3);
    limiter.release();
    limiter.release();
    await settle(1);
    expect(order).toEqual([2, 4]);
    expect(limiter.inFlight).toBe(2);
    limiter.release();
    await Promise.all(waits);
    expect(order).toEqual([2, 4, 7]);
    limiter.release();
    limiter.release();
    expect(limiter.inFlight).toBe(0);
    expect(limiter.waiting).toBe(0);
  });

  it('the dispatcher can be built directly with injected randomness', async () => {
    const backend = new FakeBackend((a, i) => (i < 2 ? a.reject(retryable()) : a.resolve()));
    const delays: number[] = [];
    const ledger = new SpendLedger();
    const dispatcher = new OnlineDispatcher(
      backend,
      {
        maxRetries: 3,
        baseMs: 4,
        maxMs: 100,
        outageToleranceMs: 60_000,
        random: () => 0.5,
        onRetry: (i) => delays.push(i.delayMs),
      },
      2,
      ledger,
    );
    await dispatcher.dispatch(request('p'), 0);
    // Full jitter: floor(0.5 * min(100, 4 * 2^attempt)).
    expect(delays).toEqual([2, 4]);
    expect(dispatcher.model).toBe('fake-1');
    expect(dispatcher.supportsN).toBe(true);
  });
});

describe('gateway: cache and n-splitting', () => {
  it('answers a repeated request from the cache, with the stored usage, and counts the hit', async () => {
    const backend = new FakeBackend();
    const cache = new MemoryCache();
    const { gateway, ledger } = createGateway(settings(), backend, cache);
    const req = request('p', 3, 7);
    const first = await call(gateway, req);
    expect(first.fromCache).toBe(false);
    expect(first.keys).toEqual([requestKey('fake-1', req)]);
    expect(first.usage).toEqual({ requests: 1, promptTokens: 10, completionTokens: 15 });
    const stored = cache.getResponse(first.keys[0]!, null)!;
    expect(stored).toMatchObject({
      key: first.keys[0],
      purpose: 'solve',
      model: 'fake-1',
      templateRef: 'solve@1',
      params: { n: 3, temperature: 0.7, seed: 7, sample: null },
      choices: first.choices,
      promptTokens: 10,
      completionTokens: 15,
    });
    const again = await call(gateway, { ...req, messages: [...req.messages] });
    expect(again.fromCache).toBe(true);
    expect(again.choices).toEqual(first.choices);
    expect(again.keys).toEqual(first.keys);
    expect(again.usage).toEqual(first.usage);
    expect(again.origin(2)).toEqual({ key: first.keys[0], choice: 2 });
    expect(backend.attempts).toHaveLength(1);
    expect(ledger.totals()).toMatchObject({
      requestsSent: 1,
      cacheHits: 1,
      promptTokens: 10,
      completionTokens: 15,
    });
    // Another seed is another request.
    expect((await call(gateway, request('p', 3, 8))).fromCache).toBe(false);
    expect(backend.attempts).toHaveLength(2);
  });

  it('usage of a cache hit is what was stored, not what a new call would cost', async () => {
    const cache = new MemoryCache();
    const req = request('p');
    const key = requestKey('fake-1', req);
    cache.putResponse({
      key,
      task: null,
      purpose: 'solve',
      model: 'fake-1',
      templateRef: null,
      params: { n: 1, temperature: 0.7, sample: null },
      choices: [{ text: 'stored', finishReason: 'stop' }],
      promptTokens: 123,
      completionTokens: 45,
      latencyMs: 9,
    });
    const backend = new FakeBackend();
    const { gateway, ledger } = createGateway(settings(), backend, cache);
    const result = await call(gateway, req);
    expect(result).toMatchObject({
      fromCache: true,
      keys: [key],
      choices: [{ text: 'stored', finishReason: 'stop' }],
      usage: { requests: 1, promptTokens: 123, completionTokens: 45 },
    });
    expect(backend.attempts).toHaveLength(0);
    // A hit is not spend: no request, no tokens in the ledger.
    expect(ledger.totals()).toMatchObject({
      requestsSent: 0,
      cacheHits: 1,
      promptTokens: 0,
      completionTokens: 0,
    });
  });

  it('without n>1 support, n choices become n requests with seeds seed+i and distinct keys', async () => {
    const backend = new FakeBackend(undefined, false);
    const cache = new MemoryCache();
    const { gateway, ledger } = createGateway(settings(), backend, cache);
    const result = await call(gateway, request('p', 4, 10));
    expect(backend.attempts.map((a) => [a.request.n, a.request.seed])).toEqual([
      [1, 10],
      [1, 11],
      [1, 12],
      [1, 13],
    ]);
    expect(result.keys).toHaveLength(4);
    expect(new Set(result.keys).size).toBe(4);
    expect(result.keys).toEqual(
      [0, 1, 2, 3].map((i) => requestKey('fake-1', { ...request('p', 1, 10 + i) }, i)),
    );
    expect(result.choices.map((c) => c.text)).toEqual([0, 1, 2, 3].map((i) => `p #0 seed ${10 + i}`));
    for (let i = 0; i < 4; i++) expect(result.origin(i)).toEqual({ key: result.keys[i], choice: 0 });
    expect(result.usage).toEqual({ requests: 4, promptTokens: 40, completionTokens: 20 });
    expect(result.fromCache).toBe(false);
    expect(cache.getResponse(result.keys[2]!, null)!.params).toMatchObject({ n: 1, seed: 12, sample: 2 });
    // All four are cached now.
    const again = await call(gateway, request('p', 4, 10));
    expect(again.fromCache).toBe(true);
    expect(again.choices).toEqual(result.choices);
    expect(again.usage).toEqual(result.usage);
    expect(backend.attempts).toHaveLength(4);
    expect(ledger.totals()).toMatchObject({ requestsSent: 4, cacheHits: 4 });
  });

  it('split requests without a seed use seeds 0..n-1; n=1 and n>1-capable backends are not split', async () => {
    const split = new FakeBackend(undefined, false);
    await call(createGateway(settings(), split, new MemoryCache()).gateway, request('p', 3));
    expect(split.attempts.map((a) => a.request.seed)).toEqual([0, 1, 2]);
    await call(createGateway(settings(), split, new MemoryCache()).gateway, request('q', 1, 5));
    expect(split.attempts.slice(3).map((a) => [a.request.n, a.request.seed])).toEqual([[1, 5]]);
    const whole = new FakeBackend(undefined, true);
    const result = await call(
      createGateway(settings(), whole, new MemoryCache()).gateway,
      request('p', 3, 10),
    );
    expect(whole.attempts.map((a) => [a.request.n, a.request.seed])).toEqual([[3, 10]]);
    expect(result.keys).toHaveLength(1);
    expect(result.choices).toHaveLength(3);
  });

  it('a partly cached split call sends only the missing samples', async () => {
    const backend = new FakeBackend(undefined, false);
    const cache = new MemoryCache();
    const { gateway, ledger } = createGateway(settings(), backend, cache);
    await call(gateway, request('p', 2, 10));
    const result = await call(gateway, request('p', 4, 10));
    // Samples 0 and 1 of n=4 have the same keys as those of n=2 (seed+i, sample i, n=1 each).
    expect(backend.attempts.map((a) => a.request.seed)).toEqual([10, 11, 12, 13]);
    expect(result.fromCache).toBe(false);
    expect(ledger.totals()).toMatchObject({ requestsSent: 4, cacheHits: 2 });
  });
});
