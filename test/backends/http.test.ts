import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OpenAIHttpBackend } from '../../src/backends/openai-http.js';
import type { ChatRequest } from '../../src/backends/types.js';
import { BackendSchema } from '../../src/config/schema.js';
import { CachingClient } from '../../src/storage/request-cache.js';
import { SqliteRunStore } from '../../src/storage/sqlite-store.js';
import { FatalBackendError } from '../../src/util/errors.js';
import { type SpawnedServer, startSimServerProcess, tempDir } from '../helpers/cli.js';

const servers: SpawnedServer[] = [];
const backends: OpenAIHttpBackend[] = [];

async function server(args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const s = await startSimServerProcess(args, env);
  servers.push(s);
  return s.url;
}

function backend(
  overrides: Record<string, unknown>,
  env: NodeJS.ProcessEnv = {},
  random = () => 0.5,
  onRetry?: (i: { delayMs: number; reason: string }) => void,
) {
  const b = new OpenAIHttpBackend(
    BackendSchema.parse({ retry_base_ms: 20, retry_max_ms: 200, ...overrides }),
    env,
    { random, onRetry },
  );
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

async function serverStats(
  url: string,
): Promise<{ maxInFlight: number; completed: number; faults: Record<string, number> }> {
  const res = await fetch(`${url}/stats`);
  return (await res.json()) as { maxInFlight: number; completed: number; faults: Record<string, number> };
}

afterEach(async () => {
  await Promise.all(backends.splice(0).map((b) => b.close()));
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

describe('OpenAI-compatible backend against a real sparq sim-server process', () => {
  it('returns n choices with token usage, and counts them', async () => {
    const url = await server();
    const b = backend({ base_urls: [url] });
    const res = await b.complete(solveRequest());
    expect(res.choices).toHaveLength(4);
    expect(res.choices[0]!.text).toMatch(/\\boxed\{/);
    expect(res.usage.promptTokens).toBeGreaterThan(0);
    const stats = b.stats();
    expect(stats.requests).toBe(1);
    expect(stats.completionTokens).toBe(res.usage.completionTokens);
  });

  it('the same request gets the same answer, also from a restarted server', async () => {
    const url1 = await server();
    const first = await backend({ base_urls: [url1] }).complete(solveRequest(3));
    const url2 = await server();
    const second = await backend({ base_urls: [url2] }).complete(solveRequest(3));
    expect(second.choices).toEqual(first.choices);
  });

  it('retries HTTP 500s until success and counts the faults', async () => {
    const url = await server(['--fault-500', '0.5', '--seed', '1']);
    const b = backend({ base_urls: [url], max_retries: 20 });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => b.complete(solveRequest(i))));
    expect(results.every((r) => r.choices.length === 4)).toBe(true);
    const stats = b.stats();
    expect(stats.retries).toBeGreaterThan(0);
    expect(stats.faults.http_5xx).toBe(stats.retries);
    expect(stats.failures).toBe(0);
    expect((await serverStats(url)).faults.http500).toBe(stats.faults.http_5xx);
  });

  it('honours Retry-After on 429', async () => {
    const url = await server(['--fault-429', '1', '--retry-after', '1']);
    const delays: number[] = [];
    const b = backend(
      { base_urls: [url], max_retries: 1 },
      {},
      () => 0,
      (i) => delays.push(i.delayMs),
    );
    const started = Date.now();
    await expect(b.complete(solveRequest())).rejects.toThrow(/failed after 2 attempts; last error: HTTP 429/);
    expect(delays).toEqual([1000]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(b.stats().faults.http_429).toBe(2);
  });

  it('keeps at most max_concurrency requests in flight', async () => {
    const url = await server(['--latency-ms', '40']);
    const b = backend({ base_urls: [url], max_concurrency: 3 });
    await Promise.all(Array.from({ length: 24 }, (_, i) => b.complete(solveRequest(i))));
    const stats = await serverStats(url);
    expect(stats.maxInFlight).toBe(3);
  });

  it('a hung request ends at the timeout and is retried', async () => {
    const url = await server(['--fault-hang', '1']);
    const b = backend({ base_urls: [url], timeout_ms: 300, max_retries: 1 });
    const started = Date.now();
    await expect(b.complete(solveRequest())).rejects.toThrow(/no response within 300 ms/);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(550);
    expect(elapsed).toBeLessThan(10_000);
    expect(b.stats().faults.timeout).toBe(2);
  });

  it('truncated bodies are retried', async () => {
    const url = await server(['--fault-truncate', '0.5', '--seed', '4']);
    const b = backend({ base_urls: [url], max_retries: 20 });
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => b.complete(solveRequest(i))));
    expect(results.every((r) => r.choices.length === 4)).toBe(true);
    const faults = b.stats().faults;
    expect((faults.malformed_response ?? 0) + (faults.network ?? 0)).toBeGreaterThan(0);
    expect((await serverStats(url)).faults.truncate).toBe(
      (faults.malformed_response ?? 0) + (faults.network ?? 0),
    );
  });

  it('malformed content is delivered (the caller turns it into a rejection), not retried', async () => {
    const url = await server(['--fault-malformed', '1']);
    const b = backend({ base_urls: [url] });
    const res = await b.complete(solveRequest());
    expect(res.choices.some((c) => !/\\boxed\{/.test(c.text))).toBe(true);
    expect(b.stats().retries).toBe(0);
  });

  it('an unknown model fails fast with what to fix', async () => {
    const url = await server();
    const b = backend({ base_urls: [url], model: 'llama-9000' });
    const err = await b.complete(solveRequest()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FatalBackendError);
    expect((err as Error).message).toMatch(/HTTP 404.*serves model "llama-9000"/);
    expect(b.stats().retries).toBe(0);
  });

  it('a wrong base path fails fast with a hint about /v1', async () => {
    const url = await server();
    const b = backend({ base_urls: [url.replace(/\/v1$/, '/api')] });
    await expect(b.complete(solveRequest())).rejects.toThrow(/HTTP 404.*usually ends in \/v1/);
  });

  it('401 without a key says to set api_key_env; with a bad key it names the variable, never the key', async () => {
    const url = await server(['--api-key-env', 'SIM_KEY'], { SIM_KEY: 'sk-right-key' });
    await expect(backend({ base_urls: [url] }).complete(solveRequest())).rejects.toThrow(
      /HTTP 401.*set model\.api_key_env/,
    );
    const err = (await backend({ base_urls: [url], api_key_env: 'MY_KEY' }, { MY_KEY: 'sk-wrong-key-123' })
      .complete(solveRequest())
      .catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/HTTP 401.*rejected the API key from MY_KEY/);
    expect(err.message).not.toContain('sk-wrong-key-123');
    const ok = await backend(
      { base_urls: [url], api_key_env: 'MY_KEY' },
      { MY_KEY: 'sk-right-key' },
    ).complete(solveRequest());
    expect(ok.choices).toHaveLength(4);
  });

  it('a missing key variable is a clear error before any request', () => {
    expect(() => backend({ api_key_env: 'NOT_SET_ANYWHERE' }, {})).toThrow(
      /environment variable NOT_SET_ANYWHERE is not set/,
    );
  });

  it('the API key never reaches logs or storage', async () => {
    const key = 'sk-very-secret-key-4242';
    const url = await server(['--api-key-env', 'SIM_KEY', '--fault-500', '0.3', '--seed', '2'], {
      SIM_KEY: key,
    });
    const logs: string[] = [];
    const b = backend(
      { base_urls: [url], api_key_env: 'SIM_KEY', max_retries: 20 },
      { SIM_KEY: key },
      Math.random,
      (i) => logs.push(JSON.stringify(i)),
    );
    const dir = tempDir();
    const store = SqliteRunStore.open(dir);
    const client = new CachingClient(b, store);
    for (let i = 0; i < 10; i++) await client.call(solveRequest(i), 'solve', 'solve@1');
    store.close();
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.join('\n')).not.toContain(key);
    expect(b.description).not.toContain(key);
    expect(JSON.stringify(b.stats())).not.toContain(key);
    for (const f of readdirSync(dir)) expect(readFileSync(join(dir, f)).includes(key), f).toBe(false);
  });

  it('spreads load across several base URLs', async () => {
    const [a, b2] = await Promise.all([server(['--latency-ms', '20']), server(['--latency-ms', '20'])]);
    const b = backend({ base_urls: [a, b2], max_concurrency: 8 });
    await Promise.all(Array.from({ length: 40 }, (_, i) => b.complete(solveRequest(i))));
    const [sa, sb] = await Promise.all([serverStats(a), serverStats(b2)]);
    expect(sa.completed + sb.completed).toBe(40);
    expect(Math.min(sa.completed, sb.completed)).toBeGreaterThanOrEqual(15);
  });
});
