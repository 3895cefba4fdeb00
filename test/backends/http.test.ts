import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OpenAIHttpBackend } from '../../src/backends/openai-http.js';
import { type ChatRequest, ModelCallError } from '../../src/backends/types.js';
import { createGateway } from '../../src/engine/gateway/index.js';
import { SqliteRunStore } from '../../src/storage/sqlite-store.js';
import { UserError } from '../../src/util/errors.js';
import { tempDir } from '../helpers/cli.js';
import { modelSettings } from '../helpers/config.js';

// --- a tiny OpenAI-compatible server on 127.0.0.1, one handler per test -------------------------

interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

type Handler = (req: Received, res: ServerResponse) => void;

interface LocalServer {
  /** Base URL, ending in /v1. */
  url: string;
  received: Received[];
  close(): Promise<void>;
}

const servers: LocalServer[] = [];
const backends: OpenAIHttpBackend[] = [];

async function localServer(handler: Handler): Promise<LocalServer> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      raw += d;
    });
    req.on('end', () => {
      const r: Received = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: raw ? (JSON.parse(raw) as Record<string, unknown>) : {},
      };
      received.push(r);
      handler(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const s: LocalServer = {
    url: `http://127.0.0.1:${port}/v1`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(s);
  return s;
}

function completion(n: number, text = 'The gcd is $6$, so the answer is \\boxed{6}.') {
  return {
    id: 'cmpl-1',
    object: 'chat.completion',
    model: 'served-model',
    choices: Array.from({ length: n }, (_, index) => ({
      index,
      message: { role: 'assistant', content: `${text} (${index})` },
      finish_reason: 'stop',
    })),
    usage: { prompt_tokens: 21, completion_tokens: 9 * n },
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Answers like a well-behaved server: 404 for another model or path, n choices otherwise. */
const ok =
  (model = 'sim-1'): Handler =>
  (req, res) => {
    if (req.path !== '/v1/chat/completions') return sendJson(res, 404, { error: { message: 'Not Found' } });
    if (req.body.model !== model)
      return sendJson(res, 404, {
        error: { message: `The model \`${String(req.body.model)}\` does not exist.` },
      });
    sendJson(res, 200, completion(Number(req.body.n ?? 1)));
  };

function backend(overrides: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) {
  const b = new OpenAIHttpBackend(modelSettings(overrides), env);
  backends.push(b);
  return b;
}

const solveRequest = (i = 0): ChatRequest => ({
  messages: [
    {
      role: 'user',
      content: `Solve the following math problem.\n\nProblem:\nFind the greatest common divisor of $${12 + i}$ and $18$.`,
    },
  ],
  n: 4,
  temperature: 0.7,
  seed: i,
});

/** The ModelCallError a promise rejects with. */
async function failure(p: Promise<unknown>): Promise<ModelCallError> {
  const err = await p.then(
    () => {
      throw new Error('expected the request to fail');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelCallError);
  return err as ModelCallError;
}

afterEach(async () => {
  await Promise.all(backends.splice(0).map((b) => b.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('OpenAI-compatible backend: one attempt against a local server', () => {
  it('returns n choices with token usage and the served model', async () => {
    const s = await localServer(ok());
    const b = backend({ base_urls: [s.url] });
    const res = await b.send(solveRequest());
    expect(res.choices).toHaveLength(4);
    expect(res.choices[0]).toEqual({
      text: 'The gcd is $6$, so the answer is \\boxed{6}. (0)',
      finishReason: 'stop',
    });
    expect(res.usage).toEqual({ promptTokens: 21, completionTokens: 36 });
    expect(res.model).toBe('served-model');
    expect(s.received).toHaveLength(1);
    const sent = s.received[0]!;
    expect(sent.method).toBe('POST');
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.body).toEqual({
      model: 'sim-1',
      messages: solveRequest().messages,
      temperature: 0.7,
      n: 4,
      seed: 0,
    });
    expect(sent.headers.authorization).toBeUndefined();
  });

  it('sends the same body for the same request, and every sampling setting it is given', async () => {
    const s = await localServer(ok());
    const b = backend({ base_urls: [s.url], headers: { 'x-team': 'math' } });
    await b.send(solveRequest(3));
    await b.send(solveRequest(3));
    expect(s.received[1]!.body).toEqual(s.received[0]!.body);
    await b.send({ ...solveRequest(3), n: 1, topP: 0.9, maxTokens: 128, stop: ['</s>'] });
    const body = s.received[2]!.body;
    expect(body).not.toHaveProperty('n');
    expect(body).toMatchObject({ top_p: 0.9, max_tokens: 128, stop: ['</s>'], seed: 3 });
    expect(s.received[2]!.headers['x-team']).toBe('math');
  });

  it('sends response_format only when the server accepts JSON-schema outputs', async () => {
    const s = await localServer(ok());
    const responseFormat = {
      type: 'json_schema' as const,
      name: 'label',
      schema: { type: 'object', properties: { subject: { type: 'string' } } },
    };
    await backend({ base_urls: [s.url] }).send({ ...solveRequest(), n: 1, responseFormat });
    await backend({ base_urls: [s.url], json_schema: false }).send({
      ...solveRequest(),
      n: 1,
      responseFormat,
    });
    expect(s.received[0]!.body.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'label', schema: responseFormat.schema, strict: true },
    });
    expect(s.received[1]!.body).not.toHaveProperty('response_format');
  });

  it('classifies statuses: 429, 5xx and 408 are retryable, and the backend itself never retries', async () => {
    const statuses = [429, 500, 502, 503, 408];
    let i = 0;
    const s = await localServer((_req, res) =>
      sendJson(res, statuses[i++]!, { error: { message: 'server is overloaded' } }),
    );
    const b = backend({ base_urls: [s.url], max_retries: 8 });
    const errs: ModelCallError[] = [];
    for (let k = 0; k < statuses.length; k++) errs.push(await failure(b.send(solveRequest())));
    expect(s.received).toHaveLength(statuses.length);
    expect(errs.map((e) => [e.status, e.retryable, e.fault])).toEqual([
      [429, true, 'http_429'],
      [500, true, 'http_5xx'],
      [502, true, 'http_5xx'],
      [503, true, 'http_5xx'],
      [408, true, 'http_4xx'],
    ]);
    expect(errs[1]!.message).toBe(`HTTP 500 from ${s.url}: server is overloaded`);
  });

  it('reads Retry-After, as seconds or as an HTTP date, into retryAfterMs', async () => {
    const future = new Date(Date.now() + 30_000).toUTCString();
    const headers: (Record<string, string> | undefined)[] = [
      { 'retry-after': '2' },
      { 'retry-after': '0.5' },
      { 'retry-after': 'Thu, 01 Jan 2015 00:00:00 GMT' },
      { 'retry-after': future },
      { 'retry-after': 'soon' },
      undefined,
      { 'retry-after': '999999' },
    ];
    let i = 0;
    const s = await localServer((_req, res) => sendJson(res, 429, { error: 'slow down' }, headers[i++]));
    const b = backend({ base_urls: [s.url] });
    const waits: (number | null)[] = [];
    for (let k = 0; k < headers.length; k++) waits.push((await failure(b.send(solveRequest()))).retryAfterMs);
    expect(waits[0]).toBe(2000);
    expect(waits[1]).toBe(500);
    expect(waits[2]).toBe(0);
    // An HTTP date has whole seconds: between 28 and 30 seconds from the send.
    expect(waits[3]).toBeGreaterThan(28_000);
    expect(waits[3]).toBeLessThanOrEqual(30_000);
    expect(waits[4]).toBeNull();
    expect(waits[5]).toBeNull();
    expect(waits[6]).toBe(10 * 60_000);
  });

  it('a hung request ends at the timeout with fault timeout, retryable', async () => {
    const s = await localServer(() => {
      // never answers
    });
    const b = backend({ base_urls: [s.url], timeout_ms: 200 });
    const err = await failure(b.send(solveRequest()));
    expect(err.fault).toBe('timeout');
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/within 200 ms \(model\.timeout_ms\).*free server slot.*max_tokens/);
    expect(s.received).toHaveLength(1);
  });

  it('a body that stalls ends at the timeout with fault timeout, retryable', async () => {
    const s = await localServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '5000' });
      res.write('{"choices":[');
    });
    const err = await failure(backend({ base_urls: [s.url], timeout_ms: 200 }).send(solveRequest()));
    expect(err.fault).toBe('timeout');
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/response body from .* stalled for 200 ms/);
  });

  it('malformed bodies are retryable malformed_response faults', async () => {
    const bodies = [
      '{"choices": [{"message": {"content": "cut', // JSON that ends early
      '<html>Bad gateway</html>',
      JSON.stringify({ choices: [] }),
      JSON.stringify({ object: 'chat.completion' }),
      JSON.stringify({ choices: [{ message: { content: 42 } }] }),
    ];
    let i = 0;
    const s = await localServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(bodies[i++]);
    });
    const b = backend({ base_urls: [s.url] });
    const errs: ModelCallError[] = [];
    for (let k = 0; k < bodies.length; k++) errs.push(await failure(b.send(solveRequest())));
    for (const e of errs) {
      expect(e.fault).toBe('malformed_response');
      expect(e.retryable).toBe(true);
      expect(e.message).toContain(s.url);
    }
    expect(errs[0]!.message).toMatch(/not valid JSON/);
    expect(errs[2]!.message).toMatch(/no "choices" array/);
  });

  it('a connection dropped mid-body, or refused, is a retryable network fault', async () => {
    const s = await localServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '5000' });
      res.write('{"choices":[', () => res.socket?.destroy());
    });
    const dropped = await failure(backend({ base_urls: [s.url] }).send(solveRequest()));
    expect(dropped.retryable).toBe(true);
    expect(['network', 'malformed_response']).toContain(dropped.fault);

    const gone = await localServer(ok());
    await gone.close();
    servers.splice(servers.indexOf(gone), 1);
    const refused = await failure(backend({ base_urls: [gone.url] }).send(solveRequest()));
    expect(refused.fault).toBe('network');
    expect(refused.retryable).toBe(true);
    expect(refused.message).toContain('ECONNREFUSED');
  });

  it('malformed content is delivered (the caller turns it into a rejection)', async () => {
    const s = await localServer((req, res) =>
      sendJson(res, 200, {
        choices: [
          { message: { content: 'no final answer here' }, finish_reason: 'length' },
          { message: { content: null } },
          { message: { content: '\\boxed{6}' }, finish_reason: 'stop' },
          { message: {} },
        ],
        usage: { prompt_tokens: 'many' },
        model: req.body.model,
      }),
    );
    const res = await backend({ base_urls: [s.url] }).send(solveRequest());
    expect(res.choices).toEqual([
      { text: 'no final answer here', finishReason: 'length' },
      { text: '', finishReason: 'stop' },
      { text: '\\boxed{6}', finishReason: 'stop' },
      { text: '', finishReason: 'stop' },
    ]);
    expect(res.usage).toEqual({ promptTokens: 0, completionTokens: 0 });
    expect(s.received).toHaveLength(1);
  });

  it('an unknown model fails fatally with what to fix', async () => {
    const s = await localServer(ok());
    const err = await failure(backend({ base_urls: [s.url], model: 'llama-9000' }).send(solveRequest()));
    expect(err.retryable).toBe(false);
    expect(err.status).toBe(404);
    expect(err.fault).toBe('http_4xx');
    expect(err.message).toMatch(/HTTP 404.*does not exist.*serves model "llama-9000"/);
    expect(s.received).toHaveLength(1);
  });

  it('a wrong base path fails fatally with a hint about /v1', async () => {
    const s = await localServer(ok());
    const err = await failure(backend({ base_urls: [s.url.replace(/\/v1$/, '/api')] }).send(solveRequest()));
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/HTTP 404.*usually ends in \/v1/);
    expect(s.received[0]!.path).toBe('/api/chat/completions');
  });

  it('a server that drops n (one choice for n=4) is a setting to change, not a fault to retry', async () => {
    const s = await localServer((_req, res) => sendJson(res, 200, completion(1)));
    const err = await failure(backend({ base_urls: [s.url] }).send({ ...solveRequest(), n: 4 }));
    expect(err.retryable).toBe(false);
    expect(err.inputRejection).toBeNull();
    expect(err.message).toMatch(/returned 1 choice\(s\) for n=4.*model\.supports_n to false/);
  });

  it("llama.cpp's 500 for n>1 is not retried and names model.supports_n", async () => {
    const s = await localServer((_req, res) =>
      sendJson(res, 500, {
        error: { code: 500, message: 'Only one completion choice is allowed', type: 'server_error' },
      }),
    );
    const err = await failure(backend({ base_urls: [s.url] }).send({ ...solveRequest(), n: 2 }));
    expect(err.retryable).toBe(false);
    expect(err.inputRejection).toBeNull();
    expect(err.message).toMatch(/HTTP 500.*Only one completion choice.*model\.supports_n/);
  });

  it('a context-size refusal (400 or 500) belongs to the request: not retried, context_exceeded', async () => {
    const bodies: [number, unknown][] = [
      [
        400,
        {
          error: {
            code: 400,
            message: 'the request exceeds the available context size, try increasing it',
            type: 'exceed_context_size_error',
          },
        },
      ],
      [500, { error: { code: 500, message: 'context shift is disabled', type: 'server_error' } }],
      [
        400,
        {
          object: 'error',
          message:
            "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens (1000 in the messages, 4000 in the completion).",
          type: 'BadRequestError',
          code: 400,
        },
      ],
    ];
    let i = 0;
    const s = await localServer((_req, res) => {
      const [status, body] = bodies[i++]!;
      sendJson(res, status, body);
    });
    const b = backend({ base_urls: [s.url] });
    for (let k = 0; k < bodies.length; k++) {
      const err = await failure(b.send(solveRequest()));
      expect(err.retryable).toBe(false);
      expect(err.inputRejection).toBe('context_exceeded');
    }
  });

  it('other 400s are refusals of this request (the failure monitor decides whether they are systematic)', async () => {
    const s = await localServer((_req, res) => sendJson(res, 400, { error: { message: 'bad temperature' } }));
    const err = await failure(backend({ base_urls: [s.url] }).send(solveRequest()));
    expect(err.retryable).toBe(false);
    expect(err.status).toBe(400);
    expect(err.inputRejection).toBe('server_rejected');
    expect(err.message).toMatch(/HTTP 400.*bad temperature/);
  });

  it('401 without a key says to set api_key_env; with a bad key it names the variable, never the key', async () => {
    const s = await localServer((req, res) => {
      if (req.headers.authorization !== 'Bearer sk-right-key')
        return sendJson(res, 401, { error: { message: 'invalid api key' } });
      ok()(req, res);
    });
    const none = await failure(backend({ base_urls: [s.url] }).send(solveRequest()));
    expect(none.retryable).toBe(false);
    expect(none.status).toBe(401);
    expect(none.message).toMatch(/HTTP 401.*set model\.api_key_env/);
    const bad = await failure(
      backend({ base_urls: [s.url], api_key_env: 'MY_KEY' }, { MY_KEY: 'sk-wrong-key-123' }).send(
        solveRequest(),
      ),
    );
    expect(bad.retryable).toBe(false);
    expect(bad.message).toMatch(/HTTP 401.*rejected the API key from MY_KEY/);
    expect(bad.message).not.toContain('sk-wrong-key-123');
    expect(JSON.stringify(bad)).not.toContain('sk-wrong-key-123');
    const good = await backend(
      { base_urls: [s.url], api_key_env: 'MY_KEY' },
      { MY_KEY: 'sk-right-key' },
    ).send(solveRequest());
    expect(good.choices).toHaveLength(4);
    expect(s.received.map((r) => r.headers.authorization)).toEqual([
      undefined,
      'Bearer sk-wrong-key-123',
      'Bearer sk-right-key',
    ]);
  });

  it('a missing key variable is a clear error before any request', () => {
    for (const env of [{}, { NOT_SET_ANYWHERE: '' }]) {
      let err: unknown;
      try {
        backend({ api_key_env: 'NOT_SET_ANYWHERE' }, env);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toMatch(/environment variable NOT_SET_ANYWHERE is not set/);
    }
  });

  it('an abort is passed through as it is, not turned into a fault', async () => {
    const s = await localServer(() => {
      // never answers
    });
    const b = backend({ base_urls: [s.url] });
    const controller = new AbortController();
    const pending = b.send(solveRequest(), controller.signal).catch((e: unknown) => e);
    while (s.received.length === 0) await new Promise((r) => setTimeout(r, 5));
    controller.abort(new Error('run stopped'));
    const err = await pending;
    expect(err).not.toBeInstanceOf(ModelCallError);
  });

  it('a closed backend refuses to send', async () => {
    const s = await localServer(ok());
    const b = backend({ base_urls: [s.url] });
    await b.close();
    const err = await failure(b.send(solveRequest()));
    expect(err.retryable).toBe(false);
    expect(err.fault).toBe('internal');
    expect(s.received).toHaveLength(0);
  });

  it('spreads load across several base URLs', async () => {
    const [a, c] = await Promise.all([localServer(ok()), localServer(ok())]);
    const b = backend({ base_urls: [a.url, c.url], max_concurrency: 8 });
    await Promise.all(Array.from({ length: 40 }, (_, i) => b.send(solveRequest(i))));
    expect(a.received.length + c.received.length).toBe(40);
    expect(Math.min(a.received.length, c.received.length)).toBeGreaterThanOrEqual(15);
    // One after another, the requests still alternate.
    for (let i = 0; i < 10; i++) await b.send(solveRequest(i));
    expect(a.received.length + c.received.length).toBe(50);
    expect(Math.min(a.received.length, c.received.length)).toBeGreaterThanOrEqual(20);
  });

  it('sends to the endpoint with the fewest outstanding requests', async () => {
    const held: ServerResponse[] = [];
    const slow = await localServer((_req, res) => {
      held.push(res);
    });
    const fast = await localServer(ok());
    const b = backend({ base_urls: [slow.url, fast.url] });
    const first = b.send(solveRequest(0));
    while (slow.received.length === 0) await new Promise((r) => setTimeout(r, 5));
    for (let i = 1; i <= 5; i++) await b.send(solveRequest(i));
    expect(slow.received).toHaveLength(1);
    expect(fast.received).toHaveLength(5);
    sendJson(held[0]!, 200, completion(4));
    expect((await first).choices).toHaveLength(4);
  });

  it('the API key never reaches errors, logs or storage', async () => {
    const key = 'sk-very-secret-key-4242';
    let n = 0;
    const s = await localServer((req, res) => {
      if (req.headers.authorization !== `Bearer ${key}`) return sendJson(res, 401, { error: 'no' });
      // Every other request fails: the gateway retries, and its retry log must not carry the key.
      if (n++ % 2 === 0) return sendJson(res, 500, { error: { message: 'try again' } });
      ok()(req, res);
    });
    const config = modelSettings({
      base_urls: [s.url],
      api_key_env: 'SIM_KEY',
      max_retries: 3,
      retry_base_ms: 1,
      retry_max_ms: 1,
    });
    const b = new OpenAIHttpBackend(config, { SIM_KEY: key });
    backends.push(b);
    const errors: string[] = [];
    const raw = await failure(b.send(solveRequest(99)));
    errors.push(raw.message, JSON.stringify(raw), String(raw.stack));
    const logs: string[] = [];
    const dir = tempDir();
    const store = SqliteRunStore.open(dir);
    const { gateway, ledger } = createGateway(config, b, store, (i) => logs.push(JSON.stringify(i)));
    for (let i = 0; i < 5; i++)
      await gateway.call({ request: solveRequest(i), purpose: 'solve', templateRef: 'solve@1' });
    store.close();
    expect(logs.length).toBeGreaterThan(0);
    expect(ledger.totals().retries).toBe(logs.length);
    expect(errors.join('\n')).toContain('HTTP 500');
    for (const text of [errors.join('\n'), logs.join('\n'), b.description, JSON.stringify(ledger.totals())])
      expect(text).not.toContain(key);
    expect(JSON.stringify(config)).not.toContain(key);
    for (const f of readdirSync(dir)) expect(readFileSync(join(dir, f)).includes(key), f).toBe(false);
  });
});
