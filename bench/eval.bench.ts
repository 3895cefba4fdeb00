/**
 * `sparq eval` costs outside the model: grading, statistics and resuming, measured on MATH test
 * (5,000 items) with the in-process simulated model (so the model costs next to nothing):
 * - a cold eval (every request sent), a resumed eval (every request from the cache);
 * - 8 samples per item, and the bootstrap of the headline metrics and breakdowns on them.
 * Run with `npm run bench eval`.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeBreakdowns, computeMetrics } from '../src/eval/metrics.js';
import type { EvalFile } from '../src/eval/types.js';
import { CLI, fmt } from './helpers.js';

function timedEval(out: string, extra: string[] = []): { seconds: number; result: EvalFile } {
  const start = performance.now();
  const r = spawnSync(
    process.execPath,
    [CLI, 'eval', '--benchmark', 'math', '--set', 'model.kind=sim', '--out', out, '-q', ...extra],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`sparq eval failed: ${r.stderr}`);
  return {
    seconds: (performance.now() - start) / 1000,
    result: JSON.parse(readFileSync(out, 'utf8')) as EvalFile,
  };
}

export async function run(): Promise<void> {
  const dir = join(tmpdir(), `sparq-eval-bench-${process.pid}`);
  try {
    const out = join(dir, 'math.json');
    const cold = timedEval(out);
    const warm = timedEval(out);
    const n = cold.result.items.length;
    console.log(`MATH test, greedy, in-process sim (${n} items; includes ~0.4 s CLI start-up):`);
    console.log(
      `  cold eval:    ${fmt(cold.seconds, 2)} s  (${fmt(n / cold.seconds)} items/s, ${cold.result.usage.requestsSent} requests sent)`,
    );
    console.log(
      `  resumed eval: ${fmt(warm.seconds, 2)} s  (${warm.result.usage.cacheHits} cache hits, ${warm.result.usage.requestsSent} sent)`,
    );

    const k8 = timedEval(join(dir, 'math-k8.json'), ['--samples', '8', '--temperature', '0.7']);
    console.log(`  8 samples:    ${fmt(k8.seconds, 2)} s  (${fmt((8 * n) / k8.seconds)} graded samples/s)`);
    const items = k8.result.items;
    const options = { resamples: 2000, seed: 0 };
    let start = performance.now();
    computeMetrics(items, 8, options);
    const headline = performance.now() - start;
    start = performance.now();
    computeBreakdowns(items, 8, options);
    const breakdowns = performance.now() - start;
    console.log(
      `  bootstrap (2,000 resamples, 5 metrics): headline ${fmt(headline)} ms, subject + level breakdowns ${fmt(breakdowns)} ms`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
