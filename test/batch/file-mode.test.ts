/**
 * Batch file mode in process: rounds of `executeRun` with `batch.files`, the written files run
 * through the simulated model as `vllm run-batch` would (src/sim/batch-runner.ts), until the run
 * ends. Against the deterministic sim the pool must equal an online run's with the same settings,
 * whatever the batches did: failed lines, outputs cut short, errors in a separate file.
 */
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SimBackend } from '../../src/backends/sim-backend.js';
import { batchPaths } from '../../src/batch/files.js';
import { parseCustomId } from '../../src/batch/format.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { type ExecuteResult, executeRun } from '../../src/engine/execute.js';
import { runCost } from '../../src/engine/status.js';
import { type BatchFaults, runBatchLines } from '../../src/sim/batch-runner.js';
import { SqliteRunStore } from '../../src/storage/sqlite-store.js';
import { tempDir } from '../helpers/cli.js';
import { poolContent } from '../helpers/pool.js';

const SETTINGS = {
  model: { model: 'sim-1', supports_n: true, json_schema: true },
  seeds: { sample: 12 },
  generation: { batch_size: 8 },
  solver: { k: 4 },
  budget: { generations: 2 },
  scheduler: { window: 8 },
  log_level: 'warn',
};

function config(extra: Record<string, unknown> = {}) {
  return ConfigSchema.parse({ ...SETTINGS, ...extra });
}

const online = (async () => {
  const dir = tempDir('sparq-batch-online-');
  await executeRun(dir, config({ model: { ...SETTINGS.model, kind: 'sim' } }), {
    quiet: true,
    backend: new SimBackend(),
  });
  return poolContent(dir);
})();

interface Runner {
  faults?: (round: number) => BatchFaults;
  separateErrors?: boolean;
}

/** Runs every waiting file that has no output yet through the sim. */
function runWaiting(dir: string, result: ExecuteResult, round: number, runner: Runner): void {
  for (const f of result.batch!.waiting) {
    const p = batchPaths(dir, f.name);
    if (existsSync(p.output)) continue;
    const out = runBatchLines(readFileSync(p.input, 'utf8').split('\n'), {
      models: ['sim-1'],
      faults: runner.faults?.(round) ?? { errorRate: 0, complete: 1, seed: round },
      separateErrors: runner.separateErrors ?? false,
    });
    if (runner.separateErrors) writeFileSync(p.errors, out.errors.map((l) => `${l}\n`).join(''));
    writeFileSync(p.output, out.output.map((l) => `${l}\n`).join(''));
  }
}

async function runToEnd(dir: string, extra: Record<string, unknown>, runner: Runner = {}) {
  const rounds: ExecuteResult[] = [];
  for (let round = 0; round < 60; round++) {
    const result = await executeRun(dir, config({ batch: { files: true }, ...extra }), { quiet: true });
    rounds.push(result);
    if (!result.waitingForBatches) return rounds;
    runWaiting(dir, result, round, runner);
  }
  throw new Error('the batch run did not end in 60 rounds');
}

/** Files not done and requests still waiting on a file (rejected ones apart), once a run ended. */
function leftOver(dir: string) {
  const db = new Database(join(dir, 'sparq.db'), { readonly: true });
  const files = db.prepare("SELECT count(*) AS n FROM batch_files WHERE state != 'done'").get() as {
    n: number;
  };
  const requests = db.prepare('SELECT count(*) AS n FROM batch_requests WHERE rejection IS NULL').get() as {
    n: number;
  };
  db.close();
  return { files: files.n, requests: requests.n };
}

/** Every input file, checked as the OpenAI Batch API checks an upload. */
function checkInputFiles(dir: string, limits: { lines: number; bytes: number }) {
  const ids = new Set<string>();
  const files = readdirSync(join(dir, 'batches')).filter((f) => /^batch-\d+\.jsonl$/.test(f));
  for (const file of files) {
    const text = readFileSync(join(dir, 'batches', file), 'utf8');
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(limits.bytes);
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n');
    expect(lines.length).toBeLessThanOrEqual(limits.lines);
    for (const line of lines) {
      const o = JSON.parse(line) as Record<string, unknown>;
      expect(Object.keys(o).sort()).toEqual(['body', 'custom_id', 'method', 'url']);
      expect(o.method).toBe('POST');
      expect(o.url).toBe('/v1/chat/completions');
      expect(typeof o.custom_id).toBe('string');
      expect(parseCustomId(o.custom_id)).not.toBeNull();
      const body = o.body as Record<string, unknown>;
      expect(body.model).toBe('sim-1');
      expect(Array.isArray(body.messages)).toBe(true);
      expect(ids.has(o.custom_id as string)).toBe(false);
      ids.add(o.custom_id as string);
    }
  }
  return { files: files.length, requests: ids.size };
}

describe('batch file mode', () => {
  it('ends with the online run’s pool, in a few round trips per epoch', async () => {
    const dir = tempDir('sparq-batch-files-');
    const rounds = await runToEnd(dir, {});
    expect(poolContent(dir)).toEqual(await online);
    // Seeds (12, window 8): two label+solve rounds; then per epoch of 8 tasks: mutate, label+solve.
    expect(rounds.length).toBeLessThanOrEqual(2 + 2 * 2 + 1);
    for (const r of rounds.slice(0, -1)) expect(r.batch!.waiting.length).toBeGreaterThan(0);
    const last = rounds.at(-1)!;
    expect(last.stoppedBy).toBe('budget.generations (2)');
    expect(last.batch!.waiting).toEqual([]);
    checkInputFiles(dir, { lines: 50_000, bytes: 190_000_000 });
    expect(leftOver(dir)).toEqual({ files: 0, requests: 0 });
  });

  it('takes an error file alone once it has a line for every request (a batch whose lines all failed)', async () => {
    const dir = tempDir('sparq-batch-errors-only-');
    const first = await executeRun(dir, config({ batch: { files: true } }), { quiet: true });
    const file = first.batch!.written[0]!;
    const p = batchPaths(dir, file.name);
    const all = runBatchLines(readFileSync(p.input, 'utf8').split('\n'), {
      models: ['sim-1'],
      faults: { errorRate: 1, complete: 1, seed: 0 },
      separateErrors: true,
    });
    // Half the error file is not yet the batch's result: the run goes on waiting for it.
    writeFileSync(
      p.errors,
      all.errors
        .slice(0, 3)
        .map((l) => `${l}\n`)
        .join(''),
    );
    const waiting = await executeRun(dir, config({ batch: { files: true } }), { quiet: true });
    expect(waiting.batch!.written).toEqual([]);
    writeFileSync(p.errors, all.errors.map((l) => `${l}\n`).join(''));
    const again = await executeRun(dir, config({ batch: { files: true } }), { quiet: true });
    expect(again.batch!.returned).toMatchObject({ files: 1, answers: 0, errors: file.lines });
    expect(again.batch!.written.reduce((s, f) => s + f.lines, 0)).toBe(file.lines);
  });

  it('sends failed lines and lines missing from a partial output again, and still ends with the same pool', async () => {
    const dir = tempDir('sparq-batch-faults-');
    await runToEnd(
      dir,
      {},
      {
        // 5% of lines fail; every other round the batch expires after 60% of its lines.
        faults: (round) => ({ errorRate: 0.05, complete: round % 2 === 1 ? 0.6 : 1, seed: round }),
        separateErrors: true,
      },
    );
    expect(poolContent(dir)).toEqual(await online);
    const store = SqliteRunStore.openReadOnly(dir);
    const counters = store.counters();
    store.close();
    expect(counters.retries ?? 0).toBeGreaterThan(0);
    // Every token went through batch files, so all of it is at the discount.
    expect(counters.batch_prompt_tokens).toBe(counters.prompt_tokens);
    expect(counters.batch_completion_tokens).toBe(counters.completion_tokens);
    const pricing = {
      prompt_per_million: 1,
      completion_per_million: 1,
      batch_discount: 0.5,
      currency: 'USD',
    };
    const cost = runCost(JSON.stringify({ pricing }), counters)!;
    expect(cost.amount).toBeCloseTo(
      ((counters.prompt_tokens! + counters.completion_tokens!) / 1e6) * 0.5,
      10,
    );
    expect(cost.batchAmount).toBeCloseTo(cost.amount, 10);
    expect(leftOver(dir)).toEqual({ files: 0, requests: 0 });
  });

  it('splits a round into files within the line and byte limits, custom_ids unique across them', async () => {
    const dir = tempDir('sparq-batch-limits-');
    const extra = { batch: { files: true, file_lines: 5, file_bytes: 8192 } };
    const first = await executeRun(dir, config(extra), { quiet: true });
    expect(first.batch!.written.length).toBeGreaterThan(2);
    await runToEnd(dir, extra, { faults: (round) => ({ errorRate: 0.1, complete: 1, seed: round }) });
    const { requests } = checkInputFiles(dir, { lines: 5, bytes: 8192 });
    expect(requests).toBeGreaterThan(0);
    expect(poolContent(dir)).toEqual(await online);
  });

  it('waits for a file whose output has not come back instead of writing its requests again', async () => {
    const dir = tempDir('sparq-batch-wait-');
    const first = await executeRun(dir, config({ batch: { files: true } }), { quiet: true });
    const again = await executeRun(dir, config({ batch: { files: true } }), { quiet: true });
    expect(again.waitingForBatches).toBe(true);
    expect(again.batch!.written).toEqual([]);
    expect(again.batch!.waiting.map((f) => f.name)).toEqual(first.batch!.waiting.map((f) => f.name));
  });

  it('recovers what a kill while writing a file leaves: a known file still partial, an unknown one', async () => {
    const dir = tempDir('sparq-batch-kill-write-');
    const first = await executeRun(dir, config({ batch: { files: true } }), { quiet: true });
    const p = batchPaths(dir, first.batch!.written[0]!.name);
    // Killed after the database recorded the file, before the rename.
    renameSync(p.input, `${p.input}.partial`);
    // Killed before the database knew of a file: its requests are not in any file yet.
    writeFileSync(join(dir, 'batches', 'batch-00099.jsonl.partial'), '{"custom_id":"x"');
    const again = await executeRun(dir, config({ batch: { files: true } }), { quiet: true });
    expect(existsSync(p.input)).toBe(true);
    expect(existsSync(join(dir, 'batches', 'batch-00099.jsonl.partial'))).toBe(false);
    expect(again.batch!.written).toEqual([]);
    await runToEnd(dir, {});
    expect(poolContent(dir)).toEqual(await online);
  });

  it('takes an output written by another run, or lines it did not write, without using them', async () => {
    const dir = tempDir('sparq-batch-foreign-');
    const first = await executeRun(dir, config({ batch: { files: true } }), { quiet: true });
    const p = batchPaths(dir, first.batch!.written[0]!.name);
    const foreign = JSON.stringify({
      id: 'x',
      custom_id: 'request-1',
      response: { status_code: 200, body: {} },
      error: null,
    });
    writeFileSync(p.output, `${foreign}\nnot json\n`);
    // Everything in the file is missing from its output: all of it goes out again, once.
    const again = await executeRun(dir, config({ batch: { files: true } }), { quiet: true });
    expect(again.batch!.returned).toMatchObject({ files: 1, answers: 0, unreadable: 1, ignored: 1 });
    expect(again.batch!.written.reduce((s, f) => s + f.lines, 0)).toBe(first.batch!.written[0]!.lines);
  });
});
