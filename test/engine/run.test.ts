import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli, type SpawnedServer, startSimServerProcess, tempDir } from '../helpers/cli.js';
import { generationMetrics, poolContent } from '../helpers/pool.js';

let server: SpawnedServer;
let slowServer: SpawnedServer;

beforeAll(async () => {
  [server, slowServer] = await Promise.all([
    startSimServerProcess(),
    startSimServerProcess(['--latency-ms', '25', '--model', 'sim-1,judge-1']),
  ]);
});
afterAll(async () => {
  await Promise.all([server.stop(), slowServer.stop()]);
});

function config(url: string, generations = 6, extra = ''): string {
  const file = join(tempDir(), 'sparq.yaml');
  writeFileSync(
    file,
    `seed: 11
model:
  base_urls: [${url}]
  max_concurrency: 16
  timeout_ms: 2000
  retry_base_ms: 20
  retry_max_ms: 200
seeds:
  sample: 60
generation:
  batch_size: 24
solver:
  k: 4
budget:
  generations: ${generations}
${extra}`,
  );
  return file;
}

function spawnRun(
  dir: string,
  file: string,
): { child: ChildProcess; lines: string[]; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, 'run', dir, '--config', file], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  child.stderr!.on('data', (d: Buffer) => lines.push(...d.toString().split('\n')));
  child.stdout!.on('data', () => {});
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, lines, exited };
}

function cachedRequests(dir: string): number {
  try {
    const db = new Database(join(dir, 'sparq.db'), { readonly: true, fileMustExist: true });
    try {
      return (db.prepare('SELECT COUNT(*) AS n FROM request_log').get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    return 0; // not created yet
  }
}

/** Attempts the judge decided, as `sparq show` would list them. */
function judgedAttempts(dir: string): number {
  const db = new Database(join(dir, 'sparq.db'), { readonly: true });
  try {
    return (
      db
        .prepare("SELECT COUNT(*) AS n FROM request_log WHERE purpose = 'judge' AND model = 'judge-1'")
        .get() as {
        n: number;
      }
    ).n;
  } finally {
    db.close();
  }
}

function committedGenerations(dir: string): number {
  const db = new Database(join(dir, 'sparq.db'), { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM generations').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

async function waitFor(pred: () => boolean, timeoutMs = 60_000): Promise<void> {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('sparq run end to end against a sim-server process', () => {
  it('grows coverage and mean elite quality over generations, with a non-decreasing QD-score', () => {
    const dir = tempDir();
    const r = runCli(['run', dir, '--config', config(server.url), '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/generation:\s+6/);
    const metrics = generationMetrics(dir);
    expect(metrics).toHaveLength(7);
    const first = metrics[0]!;
    const last = metrics[6]!;
    expect(last.coverage).toBeGreaterThan(first.coverage);
    expect(last.meanQuality).toBeGreaterThan(first.meanQuality + 0.05);
    for (let i = 1; i < metrics.length; i++)
      expect(metrics[i]!.qdScore).toBeGreaterThanOrEqual(metrics[i - 1]!.qdScore);
    const status = JSON.parse(runCli(['status', dir, '--json']).stdout);
    expect(status.generation).toBe(6);
    expect(status.problems.byOrigin.seed).toBe(60);
    expect(status.spend.requestsSent).toBeGreaterThan(0);
  });

  it.each([
    ['steady', ''],
    // The judge is asked through the same server: its answers are cached and resumed like the rest.
    ['generations', 'verifier:\n  judge:\n    model: judge-1\n'],
  ])(
    'kill -9 at three moments, then resume (%s): the pool is identical to an uninterrupted run',
    async (scheduler, judge) => {
      // Commits every 0.2 s, so the kills land between commits as well as long after one.
      const file = config(
        slowServer.url,
        6,
        `scheduler:\n  kind: ${scheduler}\n  commit_seconds: 0.2\n${judge}`,
      );
      const reference = tempDir();
      expect(runCli(['run', reference, '--config', file, '--quiet']).status).toBe(0);

      const dir = tempDir();
      // 1: in the middle of generation 0 (the seeds), once some responses are cached but nothing is committed.
      let run = spawnRun(dir, file);
      await waitFor(() => cachedRequests(dir) >= 20);
      run.child.kill('SIGKILL');
      await run.exited;
      expect(committedGenerations(dir)).toBe(0);
      // 2: right after generation 1 was complete; 3: in the middle of generation 4.
      for (const afterGeneration of [1, 3]) {
        run = spawnRun(dir, file);
        await waitFor(() => run.lines.some((l) => l.includes(`generation ${afterGeneration}:`)));
        if (afterGeneration === 3) {
          const before = cachedRequests(dir);
          await waitFor(() => cachedRequests(dir) >= before + 10);
        }
        run.child.kill('SIGKILL');
        await run.exited;
      }
      expect(committedGenerations(dir)).toBeLessThan(6);
      const final = runCli(['run', dir, '--config', file, '--quiet']);
      expect(final.status, final.stderr).toBe(0);
      expect(poolContent(dir)).toEqual(poolContent(reference));
      // The resume used the cache instead of asking again for what had completed.
      const status = JSON.parse(runCli(['status', dir, '--json']).stdout);
      expect(status.spend.cacheHits).toBeGreaterThan(0);
      if (judge) expect(judgedAttempts(dir)).toBeGreaterThan(0);
    },
  );

  it('runs through a fault mix (500s, 429s with Retry-After, hangs, malformed outputs) and counts every fault', async () => {
    const faulty = await startSimServerProcess([
      '--fault-500',
      '0.1',
      '--fault-429',
      '0.05',
      '--retry-after',
      '1',
      '--fault-hang',
      '0.05',
      '--fault-malformed',
      '0.05',
      '--seed',
      '3',
    ]);
    try {
      const dir = tempDir();
      const r = runCli([
        'run',
        dir,
        '--config',
        config(faulty.url, 3),
        '--quiet',
        '--set',
        'model.timeout_ms=500',
        '--set',
        'model.max_retries=30',
      ]);
      expect(r.status, r.stderr).toBe(0);
      const status = JSON.parse(runCli(['status', dir, '--json']).stdout);
      expect(status.generation).toBe(3);
      expect(status.faults.http_5xx).toBeGreaterThan(0);
      expect(status.faults.http_429).toBeGreaterThan(0);
      expect(status.faults.timeout).toBeGreaterThan(0);
      expect(status.failures).toBe(0);
      expect(status.retries).toBe(
        status.faults.http_5xx +
          status.faults.http_429 +
          status.faults.timeout +
          (status.faults.network ?? 0) +
          (status.faults.malformed_response ?? 0),
      );
      // Malformed outputs became rejections with reasons (or unusable attempts), never a crash.
      expect(status.rejections.total).toBeGreaterThan(0);
      expect(
        Object.keys(status.rejections.byReason).every((r: string) =>
          [
            'unparseable',
            'no_final_answer',
            'several_questions',
            'too_long',
            'identical_to_parent',
            'near_duplicate',
            'duplicate',
          ].includes(r),
        ),
      ).toBe(true);
      const stats = (await (await fetch(`${faulty.url}/stats`)).json()) as { faults: Record<string, number> };
      // The server's own counts: a reply that arrives after the client's timeout counts there as a
      // 500 or 429 and here as a timeout, so the two agree up to those few.
      expect(status.faults.http_5xx).toBeLessThanOrEqual(stats.faults.http500!);
      expect(status.faults.http_5xx + status.faults.timeout).toBeGreaterThanOrEqual(stats.faults.http500!);
      expect(status.faults.http_429).toBeLessThanOrEqual(stats.faults.http429!);
    } finally {
      await faulty.stop();
    }
  });

  it('refuses a second run on a directory in use', async () => {
    const dir = tempDir();
    const file = config(slowServer.url, 50);
    const first = spawnRun(dir, file);
    await waitFor(() => first.lines.some((l) => l.includes('generation 0:')));
    const second = runCli(['run', dir, '--config', file, '--quiet']);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(second.status).toBe(3);
    expect(second.stderr).toMatch(/is in use by process \d+/);
  });

  it('refuses to resume with settings that change results, naming them', () => {
    const dir = tempDir();
    const file = config(server.url, 1);
    expect(runCli(['run', dir, '--config', file, '--quiet']).status).toBe(0);
    const r = runCli(['run', dir, '--config', file, '--quiet', '--set', 'solver.k=6', '--generations', '2']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/solver\.k: 4 -> 6/);
    // A bigger budget is fine.
    expect(runCli(['run', dir, '--quiet', '--generations', '2']).status).toBe(0);
  });

  it('an unreachable endpoint stops the run before it starts, with exit code 1 and what to do', () => {
    const dir = tempDir();
    const r = runCli([
      'run',
      dir,
      '--config',
      config('http://127.0.0.1:9/v1'),
      '--quiet',
      '--set',
      'model.outage_tolerance_s=1',
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /did not answer a test request within \d+ s \(model\.outage_tolerance_s is 1\): ECONNREFUSED/,
    );
    expect(r.stderr).toMatch(
      /Is the server running at that address\? Start it .* run the same command again/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a malformed seed file stops the run with file and line; --skip-invalid runs and says how many were skipped', () => {
    const dir = tempDir();
    const seeds = join(tempDir(), 'seeds.jsonl');
    const good = (id: string) =>
      JSON.stringify({
        id,
        problem: `Find the greatest common divisor of $${id}$ and $18$.`,
        solution: '$\\boxed{6}$',
        subject: 'Number Theory',
      });
    writeFileSync(seeds, [good('12'), '{"id": "x", "problem": ', good('24'), good('30')].join('\n'));
    const bad = runCli([
      'run',
      dir,
      '--seeds',
      seeds,
      '--set',
      'model.kind=sim',
      '--generations',
      '1',
      '--quiet',
    ]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(`${seeds}:2: not valid JSON`);
    const ok = runCli([
      'run',
      dir,
      '--seeds',
      seeds,
      '--skip-invalid',
      '--set',
      'model.kind=sim',
      '--generations',
      '1',
    ]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/skipped 1 invalid line/);
  });
});
