/**
 * Spend survives kill -9: every request a process sends is counted within a second of its
 * answer, not at the next commit, so after a kill `sparq status` agrees with what the server
 * answered, less what was in flight or answered in that last second.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ModelBackend, ModelCallError } from '../../src/backends/types.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { executeRun } from '../../src/engine/execute.js';
import { readRunStatus } from '../../src/engine/status.js';
import { SqliteRunStore } from '../../src/storage/sqlite-store.js';
import { runCli, type SpawnedServer, spawnCli, startSimServerProcess, tempDir } from '../helpers/cli.js';
import { poolContent } from '../helpers/pool.js';

let server: SpawnedServer;
beforeAll(async () => {
  server = await startSimServerProcess(['--latency-ms', '50']);
});
afterAll(() => server.stop());

/** Chat requests of the endpoint checks at each start: first answer, latency, n=2 and schema probes. */
const STARTUP_CHECKS = 4;

const completed = async () =>
  ((await (await fetch(`${server.url}/stats`)).json()) as { completed: number }).completed;

it('after kill -9 between commits, status counts what the server answered, within what was in flight', async () => {
  const dir = join(tempDir(), 'run');
  // Commits far apart: whatever status shows after the kill was written as it happened.
  const run = spawnCli([
    'run',
    dir,
    '--base-url',
    server.url,
    '-q',
    '--concurrency',
    '8',
    '--set',
    'seeds.sample=200',
    '--set',
    'scheduler.commit_seconds=600',
    '--set',
    'scheduler.commit_tasks=100000',
  ]);
  const before = await completed();
  // Past the first flushes (responses and spend are written within a second of their answer).
  while ((await completed()) - before < 500) await new Promise((r) => setTimeout(r, 50));
  run.child.kill('SIGKILL');
  await run.exited;
  const answered = (await completed()) - before;
  const status = JSON.parse(runCli(['status', dir, '--json']).stdout) as { spend: { requestsSent: number } };
  expect(status.spend.requestsSent).toBeGreaterThan(0);
  // In flight (8) and answered in the last second before the kill (8 slots / 50 ms each: 160).
  expect(answered - status.spend.requestsSent).toBeGreaterThanOrEqual(0);
  expect(answered - status.spend.requestsSent).toBeLessThanOrEqual(8 + 160 + 8);
  console.log(`kill -9 between commits: ${answered} answered, ${status.spend.requestsSent} counted`);
}, 60_000);

it('a request budget holds across kill -9: the server gets the budget plus what was in flight at each kill, and the pool is the uninterrupted one', async () => {
  const args = (dir: string) => [
    'run',
    dir,
    '--base-url',
    server.url,
    '-q',
    '--concurrency',
    '8',
    '--set',
    'seeds.sample=60',
    '--set',
    'budget.requests=400',
  ];
  const whole = join(tempDir(), 'whole');
  let before = await completed();
  expect(runCli(args(whole)).status).toBe(0);
  const wholeReceived = (await completed()) - before;

  const killed = join(tempDir(), 'killed');
  before = await completed();
  for (const at of [100, 250]) {
    const run = spawnCli(args(killed));
    while ((await completed()) - before < at) await new Promise((r) => setTimeout(r, 20));
    run.child.kill('SIGKILL');
    await run.exited;
  }
  const last = runCli(args(killed));
  expect(last.status, last.stderr).toBe(0);
  const killedReceived = (await completed()) - before;
  expect(poolContent(killed)).toEqual(poolContent(whole));
  // Each kill loses what was in flight (8) and what was answered in the last second before it,
  // not yet in the cache (8 slots / 50 ms each: 160); those are sent again after the resume, as
  // are the endpoint checks of each start. Nothing else is repeated.
  const status = (dir: string) =>
    JSON.parse(runCli(['status', dir, '--json']).stdout) as {
      spend: { requestsSent: number; cacheHits: number };
    };
  expect(status(whole).spend.requestsSent + status(whole).spend.cacheHits).toBeLessThanOrEqual(400);
  expect(killedReceived - wholeReceived).toBeGreaterThanOrEqual(0);
  expect(killedReceived - wholeReceived).toBeLessThanOrEqual(2 * (8 + 160 + STARTUP_CHECKS));
  console.log(`budget.requests 400: uninterrupted ${wholeReceived} received, killed twice ${killedReceived}`);
}, 120_000);

it('a run that stopped on a failing server shows its faults, retries and failures in status', async () => {
  const failing: ModelBackend = {
    description: 'always 500',
    model: 'sim-1',
    supportsN: true,
    send: async () => {
      throw new ModelCallError('HTTP 500 from test: boom', {
        retryable: true,
        fault: 'http_5xx',
        status: 500,
      });
    },
    close: async () => {},
  };
  const dir = join(tempDir(), 'run');
  const config = ConfigSchema.parse({
    seeds: { sample: 4 },
    model: { max_retries: 2, retry_base_ms: 1, retry_max_ms: 1 },
  });
  await expect(executeRun(dir, config, { backend: failing, quiet: true })).rejects.toThrow(
    /HTTP 500 from test: boom/,
  );
  const store = SqliteRunStore.openReadOnly(dir);
  try {
    const status = readRunStatus(store);
    expect(status.faults.http_5xx).toBeGreaterThanOrEqual(3);
    expect(status.retries).toBeGreaterThanOrEqual(2);
    expect(status.failures).toBeGreaterThanOrEqual(1);
  } finally {
    store.close();
  }
});
