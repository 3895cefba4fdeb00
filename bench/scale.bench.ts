/**
 * A pool grown to 2M problems with the in-process sim (k=4, batches of 5,000), and what holding,
 * reading, curating and exporting it costs at 100k, 500k, 1M and 2M problems (BENCH_SCALE, a
 * comma-separated list of pool sizes, overrides them).
 *
 * At each size: the run's RSS, the run directory's bytes per problem, the bytes written to build
 * it (/proc/self/io) per problem and against the final size, problems per second of the
 * stretch just run, and the wall time and peak RSS of `status`, `stats`, `report` and
 * `export --format parquet`, each through the built CLI in its own process (GNU time). At the
 * last size also `select --strategy quality --n 100000` and `--strategy diversity` with the
 * default filters (dedup and decontamination included; n is a twentieth of smaller pools), and
 * the pool's dedup with and without the run's near-duplicate screen verdicts.
 *
 *   npm run bench -- scale
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SimBackend } from '../src/backends/sim-backend.js';
import { ConfigSchema } from '../src/config/schema.js';
import { DEFAULT_DEDUP_SETTINGS, findDuplicates } from '../src/curation/dedup/dedup.js';
import { executeRun } from '../src/engine/execute.js';
import { BodyCodec } from '../src/storage/body-codec.js';
import { registerProblemText } from '../src/storage/problem-rows.js';
import { timedText as fmt, runDirectoryBytes, timedCli as timed, writtenBytes } from './helpers.js';

/**
 * The pool's dedup (select's defaults, no seed file) in this process twice: taking the run's
 * near-duplicate screen for the pairs it verified (what select does), and verifying every
 * candidate pair. The clusters must agree; the seconds are the price of each.
 */
function dedupWithAndWithoutScreen(dir: string): string {
  const db = new Database(join(dir, 'sparq.db'), { readonly: true });
  registerProblemText(db, new BodyCodec(db));
  const rows = db
    .prepare(
      'SELECT uid, problem_text(problem) AS problem, seq, near_screen FROM problems ORDER BY generation, task_index, id',
    )
    .all() as { uid: string; problem: string; seq: number; near_screen: number | null }[];
  db.close();
  const time = (screen: boolean) => {
    const docs = rows.map((r) => ({
      key: r.uid,
      text: r.problem,
      ...(screen ? { told: r.seq, screen: r.near_screen ?? 0 } : {}),
    }));
    const started = performance.now();
    const result = findDuplicates(docs, docs.length, DEFAULT_DEDUP_SETTINGS);
    return { result, seconds: (performance.now() - started) / 1000 };
  };
  const all = time(false);
  const reusing = time(true);
  const same = all.result.root.every((root, i) => root === reusing.result.root[i]);
  if (!same)
    throw new Error("dedup taking the screen's verdicts found other clusters than verifying every pair");
  const c = reusing.result.counters;
  return `dedup of the pool: ${all.seconds.toFixed(1)} s verifying all ${all.result.counters.candidatePairs.toLocaleString('en-US')} candidate pairs, ${reusing.seconds.toFixed(1)} s taking the screen's verdict on ${c.screenedPairs.toLocaleString('en-US')} of them (the same clusters)`;
}

export async function run(): Promise<void> {
  const targets = (process.env.BENCH_SCALE ?? '100000,500000,1000000,2000000').split(',').map(Number);
  const root = mkdtempSync(join(tmpdir(), 'sparq-bench-scale-'));
  try {
    const dir = join(root, 'run');
    const startWritten = writtenBytes();
    let problems = 0;
    for (const [i, target] of targets.entries()) {
      const config = ConfigSchema.parse({
        seeds: { sample: 300 },
        solver: { k: 4 },
        generation: { batch_size: 5000 },
        budget: { generations: null, problems: target },
      });
      const started = performance.now();
      await executeRun(dir, config, { backend: new SimBackend(), quiet: true });
      const seconds = (performance.now() - started) / 1000;
      const db = new Database(join(dir, 'sparq.db'), { readonly: true });
      const now = (db.prepare('SELECT COUNT(*) AS n FROM problems').get() as { n: number }).n;
      const rejected = db.prepare('SELECT reason, COUNT(*) AS n FROM rejections GROUP BY reason').all() as {
        reason: string;
        n: number;
      }[];
      db.close();
      const size = runDirectoryBytes(dir);
      const written = writtenBytes() - startWritten;
      const rss = process.memoryUsage().rss / 2 ** 20;
      const peak = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;
      const tasks = now + rejected.reduce((s, r) => s + r.n, 0);
      const share = (reason: string) =>
        `${((100 * (rejected.find((r) => r.reason === reason)?.n ?? 0)) / tasks).toFixed(1)}%`;
      console.log(`\n${now.toLocaleString('en-US')} problems`);
      console.log(
        `  run: ${((now - problems) / seconds).toFixed(0)} problems/s over the last ${(now - problems).toLocaleString('en-US')}; RSS ${rss.toFixed(0)} MB (peak ${peak.toFixed(0)} MB)`,
      );
      console.log(
        `  disk: ${(size / now).toFixed(0)} bytes per problem (${(size / 1e9).toFixed(2)} GB); written ${(written / now).toFixed(0)} bytes per problem, ${(written / size).toFixed(2)}× the final size`,
      );
      console.log(
        `  rejections among all tasks: exact duplicates ${share('duplicate')}, near duplicates ${share('near_duplicate')}`,
      );
      problems = now;
      console.log(`  status ${fmt(timed(['status', dir]))}`);
      console.log(`  stats  ${fmt(timed(['stats', dir]))}`);
      console.log(`  report ${fmt(timed(['report', dir, '-o', join(root, 'report.html')]))}`);
      const exportDir = join(root, 'export');
      console.log(`  export ${fmt(timed(['export', dir, '--format', 'parquet', '--out', exportDir]))}`);
      rmSync(exportDir, { recursive: true, force: true });
      if (i === targets.length - 1) {
        // 100,000 at 2M problems; a smaller pool has fewer that qualify.
        const n = String(Math.min(100_000, Math.floor(now / 20)));
        for (const strategy of ['quality', 'diversity']) {
          const out = join(root, `select-${strategy}`);
          console.log(
            `  select --strategy ${strategy} --n ${n} ${fmt(timed(['select', dir, '--strategy', strategy, '--n', n, '--out', out]))}`,
          );
          rmSync(out, { recursive: true, force: true });
        }
        console.log(`  ${dedupWithAndWithoutScreen(dir)}`);
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
