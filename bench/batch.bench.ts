/**
 * Batch file mode with the simulated model: a run in rounds of `executeRun` with
 * `batch.files`, each round's files run through the sim as `vllm run-batch` would
 * (src/sim/batch-runner.ts). Reports the round trips, the lines and bytes of each file (the
 * figures to size `batch.max_requests`, `batch.file_bytes` and a provider's window with), and the
 * time sparq itself spends per round (reading outputs, running tasks, writing files).
 *
 * k=8 with n>1, 1,000 seeds, `batch.max_requests` 2,000 (a window of 1,000 tasks) and
 * generations of 1,000 tasks; `BENCH_BATCH_MAX_REQUESTS`, `BENCH_BATCH_SEEDS` and
 * `BENCH_BATCH_GENERATIONS` change them.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchPaths } from '../src/batch/files.js';
import { ConfigSchema } from '../src/config/schema.js';
import { executeRun } from '../src/engine/execute.js';
import { runBatchLines } from '../src/sim/batch-runner.js';
import { fmt } from './helpers.js';

export async function run(): Promise<void> {
  const maxRequests = Number(process.env.BENCH_BATCH_MAX_REQUESTS ?? 2000);
  const seeds = Number(process.env.BENCH_BATCH_SEEDS ?? 1000);
  const generations = Number(process.env.BENCH_BATCH_GENERATIONS ?? 3);
  const dir = mkdtempSync(join(tmpdir(), 'sparq-bench-batch-'));
  const config = ConfigSchema.parse({
    model: { model: 'sim-1', supports_n: true, json_schema: true },
    seeds: { sample: seeds },
    generation: { batch_size: Math.floor(maxRequests / 2) },
    solver: { k: 8 },
    budget: { generations },
    batch: { files: true, max_requests: maxRequests },
    log_level: 'warn',
  });
  console.log(
    `k=8, n>1, ${seeds} seeds, batch.max_requests ${maxRequests} (window ${Math.floor(maxRequests / 2)}), ${generations} generations of ${Math.floor(maxRequests / 2)} tasks`,
  );
  console.log('| round | sparq s | files written | lines | MB | bytes/line | stopped by |');
  console.log('|---|---|---|---|---|---|---|');
  let lines = 0;
  let bytes = 0;
  for (let round = 1; ; round++) {
    const started = performance.now();
    const r = await executeRun(dir, config, { quiet: true });
    const seconds = (performance.now() - started) / 1000;
    const written = r.batch?.written ?? [];
    const l = written.reduce((s, f) => s + f.lines, 0);
    const b = written.reduce((s, f) => s + f.bytes, 0);
    lines += l;
    bytes += b;
    console.log(
      `| ${round} | ${seconds.toFixed(1)} | ${written.length} | ${fmt(l)} | ${(b / 1e6).toFixed(2)} | ${l ? fmt(b / l) : '–'} | ${r.stoppedBy} |`,
    );
    if (!r.waitingForBatches) {
      console.log(
        `total: ${round} rounds, ${fmt(lines)} requests, ${(bytes / 1e6).toFixed(1)} MB of input files`,
      );
      break;
    }
    for (const f of r.batch!.waiting) {
      const p = batchPaths(dir, f.name);
      if (existsSync(p.output)) continue;
      const out = runBatchLines(readFileSync(p.input, 'utf8').split('\n'), {
        models: ['sim-1'],
        faults: { errorRate: 0, complete: 1, seed: round },
        separateErrors: false,
      });
      writeFileSync(p.output, out.output.map((line) => `${line}\n`).join(''));
    }
  }
  rmSync(dir, { recursive: true, force: true });
}
