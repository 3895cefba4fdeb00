/**
 * HTTP client overhead: a raw undici request loop (the ceiling on this machine) against sparq's
 * OpenAI-compatible backend, same server, same requests, same concurrency, interleaved rounds.
 */
import { Pool } from 'undici';
import { SIM_CAPABILITIES, settingsFor } from '../src/backends/capabilities.js';
import { OpenAIHttpBackend } from '../src/backends/openai-http.js';
import type { ChatRequest } from '../src/backends/types.js';
import { BackendSchema } from '../src/config/schema.js';
import { SpendLedger } from '../src/engine/gateway/ledger.js';
import { OnlineDispatcher } from '../src/engine/gateway/online.js';
import { loadTemplate, renderTemplate } from '../src/prompts/templates.js';
import { fmt, median, spawnSimServer } from './helpers.js';

const CONCURRENCY = 64;
const REQUESTS = 6000;
const ROUNDS = 3;

const solve = loadTemplate('solve');
const requests: ChatRequest[] = Array.from({ length: REQUESTS }, (_, i) => {
  const problem = `Find the greatest common divisor of $${84 + (i % 50)}$ and $126$.`;
  return { messages: renderTemplate(solve, { problem }), n: 8, temperature: 0.7, seed: i };
});

async function loop(
  count: number,
  concurrency: number,
  one: (i: number) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await one(next++);
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

export async function run(): Promise<void> {
  const server = await spawnSimServer();
  const url = new URL(server.url);
  const pool = new Pool(url.origin, { connections: CONCURRENCY });
  const backend = new OpenAIHttpBackend(
    settingsFor(
      BackendSchema.parse({ base_urls: [server.url], max_concurrency: CONCURRENCY }),
      SIM_CAPABILITIES,
    ),
  );
  // The raw loop gets its bodies serialized in advance: the ceiling excludes even that work.
  const bodies = requests.map((r) => {
    return JSON.stringify({
      model: 'sim-1',
      messages: r.messages,
      n: r.n,
      temperature: r.temperature,
      seed: r.seed,
    });
  });
  const raw = (i: number) =>
    pool
      .request({
        method: 'POST',
        path: `${url.pathname}/chat/completions`,
        headers: { 'content-type': 'application/json' },
        body: bodies[i],
      })
      .then((res) => res.body.json());
  // The path every run request takes past the cache: retry policy, priority limiter, spend ledger, backend.
  const dispatcher = new OnlineDispatcher(
    backend,
    { maxRetries: 8, baseMs: 500, maxMs: 60_000, outageToleranceMs: 600_000 },
    CONCURRENCY,
    new SpendLedger(),
  );
  const sparq = (i: number) => dispatcher.dispatch(requests[i]!, i);

  await loop(500, CONCURRENCY, raw); // warm-up both paths
  await loop(500, CONCURRENCY, sparq);
  const rawRates: number[] = [];
  const sparqRates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    rawRates.push(await loop(REQUESTS, CONCURRENCY, raw));
    sparqRates.push(await loop(REQUESTS, CONCURRENCY, sparq));
  }
  const rawRate = median(rawRates);
  const sparqRate = median(sparqRates);
  console.log(
    `zero-latency sim-server, solve requests with n=8, concurrency ${CONCURRENCY}, ${REQUESTS} requests x ${ROUNDS} interleaved rounds (median)`,
  );
  console.log(`raw undici Pool.request loop (ceiling): ${fmt(rawRate)} req/s`);
  console.log(`sparq dispatcher + HTTP backend:        ${fmt(sparqRate)} req/s`);
  console.log(`ratio backend / ceiling:                ${fmt(sparqRate / rawRate, 2)} (goal >= 0.80)`);
  await backend.close();
  await pool.close();
  server.stop();
}
