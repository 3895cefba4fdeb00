/**
 * Batch mode through the built CLI: `sparq run --batch-files` exits 75 with its files and how to
 * run them, `sparq sim-batch` runs them as `vllm run-batch` would, and the same command continues;
 * `model.kind: openai-batch` against `sparq sim-server`'s /v1/files and /v1/batches, killed while
 * it polls and resumed without uploading or creating a batch twice. Pools equal the online run's.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { batchPaths } from '../../src/batch/files.js';
import { runCli, type SpawnedServer, spawnCli, startSimServerProcess, tempDir } from '../helpers/cli.js';
import { poolContent } from '../helpers/pool.js';

const SETTINGS = {
  model: { model: 'sim-1', supports_n: true, json_schema: true },
  seeds: { sample: 12 },
  generation: { batch_size: 8 },
  solver: { k: 4 },
  budget: { generations: 1 },
  scheduler: { window: 8 },
};

function configFile(
  dir: string,
  model: Record<string, unknown>,
  batch: Record<string, unknown> = {},
): string {
  const file = join(dir, 'sparq.yaml');
  writeFileSync(file, stringify({ ...SETTINGS, model: { ...SETTINGS.model, ...model }, batch }));
  return file;
}

const onlinePool = (() => {
  const dir = tempDir('sparq-batch-cli-online-');
  const r = runCli(['run', join(dir, 'run'), '-c', configFile(dir, { kind: 'sim' }), '-q']);
  if (r.status !== 0) throw new Error(r.stderr);
  return poolContent(join(dir, 'run'));
})();

const servers: SpawnedServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

describe('sparq run --batch-files', () => {
  it('exits 75 naming the files and how to run them; sim-batch runs them; the same command continues to the online pool', () => {
    const dir = tempDir('sparq-batch-cli-');
    const run = join(dir, 'run');
    const cfg = configFile(dir, { kind: 'openai' });
    const first = runCli(['run', run, '-c', cfg, '--batch-files']);
    expect(first.status).toBe(75);
    expect(first.stderr).toContain('batch: waiting for 1 file(s)');
    expect(first.stderr).toContain(`vllm run-batch -i ${join(run, 'batches', 'batch-00001.jsonl')}`);
    expect(first.stderr).toContain('sparq sim-batch');
    expect(first.stderr).not.toMatch(/\n\s+at /);
    let rounds = 1;
    for (let last = first; last.status === 75; rounds++) {
      expect(rounds).toBeLessThan(20);
      for (const f of readdirSync(join(run, 'batches')).filter((n) => /^batch-\d+\.jsonl$/.test(n))) {
        const p = batchPaths(run, f.slice(0, -'.jsonl'.length));
        if (existsSync(p.output)) continue;
        const sim = runCli([
          'sim-batch',
          p.input,
          p.output,
          '--error-rate',
          '0.05',
          '--seed',
          String(rounds),
        ]);
        expect(sim.status, sim.stderr).toBe(0);
        expect(sim.stderr).toMatch(/sim-batch: \d+ of \d+ lines processed/);
      }
      last = runCli(['run', run, '-c', cfg, '--batch-files', '-q']);
      expect([0, 75]).toContain(last.status);
    }
    expect(poolContent(run)).toEqual(onlinePool);
  });

  it('refuses batch files with the in-process sim, saying what to set', () => {
    const dir = tempDir('sparq-batch-cli-sim-');
    const r = runCli(['run', join(dir, 'run'), '-c', configFile(dir, { kind: 'sim' }), '--batch-files']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('batch.files');
    expect(r.stderr).toContain('model.kind to openai');
  });

  it('sim-batch says what is wrong with its input', () => {
    const r = runCli(['sim-batch', '/nonexistent/in.jsonl', '/tmp/out.jsonl']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('cannot read batch input file /nonexistent/in.jsonl: no such file');
  });
});

describe('model.kind: openai-batch', () => {
  it('uploads, polls, downloads and continues; killed while polling, it resumes without uploading or creating a batch twice', async () => {
    const server = await startSimServerProcess(
      [
        '--batch-delay-s',
        '1.5',
        '--batch-error-rate',
        '0.05',
        '--batch-complete',
        '0.8',
        '--api-key-env',
        'SIM_BATCH_KEY',
      ],
      { SIM_BATCH_KEY: 'sk-batch-test-123456' },
    );
    servers.push(server);
    const dir = tempDir('sparq-batch-api-');
    const run = join(dir, 'run');
    const cfg = configFile(
      dir,
      { kind: 'openai-batch', base_urls: [server.url], api_key_env: 'SIM_BATCH_KEY' },
      { poll_initial_s: 0.3, poll_max_s: 0.6 },
    );
    process.env.SIM_BATCH_KEY = 'sk-batch-test-123456';
    const killed = spawnCli(['run', run, '-c', cfg]);
    while (!/batch\(es\) not ended/.test(killed.stderr())) {
      expect(killed.child.exitCode).toBeNull();
      await new Promise((r) => setTimeout(r, 50));
    }
    killed.child.kill('SIGKILL');
    await killed.exited;
    const resumed = runCli(['run', run, '-c', cfg, '-q'], { timeoutMs: 240_000 });
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(poolContent(run)).toEqual(onlinePool);
    const stats = (await (
      await fetch(`${server.url}/stats`, { headers: { authorization: 'Bearer sk-batch-test-123456' } })
    ).json()) as { batch: Record<string, number> };
    const db = new Database(join(run, 'sparq.db'), { readonly: true });
    const files = db.prepare('SELECT count(*) AS n FROM batch_files').get() as { n: number };
    const open = db.prepare("SELECT count(*) AS n FROM batch_files WHERE state != 'done'").get() as {
      n: number;
    };
    db.close();
    expect(stats.batch.uploads).toBe(files.n);
    expect(stats.batch.batchesCreated).toBe(files.n);
    expect(open.n).toBe(0);
    // The key went in headers only.
    for (const f of readdirSync(join(run, 'logs')))
      expect(readFileSync(join(run, 'logs', f), 'utf8')).not.toContain('sk-batch-test');
    expect(readFileSync(join(run, 'sparq.db')).includes('sk-batch-test')).toBe(false);
  });
});

describe('batch mode killed at any moment', () => {
  it('killed at staggered moments of its rounds (reading outputs, running, writing files), it ends with the online pool', async () => {
    const dir = tempDir('sparq-batch-kill-');
    const run = join(dir, 'run');
    const cfg = configFile(dir, { kind: 'openai' }, { files: true });
    // Spread over a round: start-up and reading, the tasks, the quiet half second, the writing.
    const delays = [300, 600, 900, 1200, 450, 750, 1050];
    let kills = 0;
    let code: number | null = null;
    for (let round = 0; round < 40 && code !== 0; round++) {
      const child = spawnCli(['run', run, '-c', cfg, '-q']);
      const delay = delays[round];
      const timer = delay === undefined ? null : setTimeout(() => child.child.kill('SIGKILL'), delay);
      code = await child.exited;
      if (timer) clearTimeout(timer);
      if (code === null) kills++;
      else if (code !== 0) expect(code, child.stderr()).toBe(75);
      if (!existsSync(join(run, 'batches'))) continue;
      for (const f of readdirSync(join(run, 'batches')).filter((n) => /^batch-\d+\.jsonl$/.test(n))) {
        const p = batchPaths(run, f.slice(0, -'.jsonl'.length));
        if (!existsSync(p.output)) expect(runCli(['sim-batch', p.input, p.output]).status).toBe(0);
      }
    }
    expect(code).toBe(0);
    // Answers a killed process had cached before it could say so are not waited for.
    const db = new Database(join(run, 'sparq.db'), { readonly: true });
    expect(db.prepare("SELECT count(*) AS n FROM batch_files WHERE state != 'done'").get()).toEqual({ n: 0 });
    db.close();
    expect(kills).toBeGreaterThan(2);
    expect(poolContent(run)).toEqual(onlinePool);
  });
});
