/**
 * `sparq select` with its default filters (dedup against the run's seed file, decontamination
 * against the bundled sets) on pools of 2M problems (BENCH_SELECT_POOL, a comma-separated list
 * of sizes, overrides it), each command in its own process (wall time / peak RSS, GNU time).
 *
 * The pools are written straight into a run database (bench/export.bench.ts's writer:
 * simulated-model problems of one to three parts, 8 attempts each), so a pool of millions takes
 * minutes instead of the hours a run with the sim takes (bench/scale.bench.ts). They carry no
 * near-duplicate screen verdicts: select verifies every candidate pair, its worst case.
 *
 *   npm run bench -- select-pool
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeExportPool } from './export.bench.js';
import { fmt, timedCli, timedText } from './helpers.js';

export async function run(): Promise<void> {
  const sizes = (process.env.BENCH_SELECT_POOL ?? '2000000').split(',').map(Number);
  const root = mkdtempSync(join(tmpdir(), 'sparq-bench-select-'));
  try {
    for (const size of sizes) {
      const dir = join(root, 'run');
      const started = performance.now();
      writeExportPool(dir, size);
      console.log(
        `\n${fmt(size)} problems (written in ${((performance.now() - started) / 1000).toFixed(0)} s)`,
      );
      const n = String(Math.min(100_000, Math.floor(size / 20)));
      for (const strategy of ['quality', 'diversity']) {
        const out = join(root, `select-${strategy}`);
        const t = timedCli(['select', dir, '--strategy', strategy, '--n', n, '--out', out]);
        console.log(`  select --strategy ${strategy} --n ${n}: ${timedText(t)}`);
        rmSync(out, { recursive: true, force: true });
      }
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
