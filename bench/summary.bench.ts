/**
 * `sparq status` at pool sizes a long run reaches: the counts it shows, read from the pool summary
 * kept at commit, against the same counts by scanning the problems and rejections (what status did
 * before the summary). The pool is a real sim run's problems replicated to BENCH_ROWS rows
 * (default 1,000,000) by SQL, then summarised by the same migration step existing runs get.
 *
 *   npm run bench -- summary
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SimBackend } from '../src/backends/sim-backend.js';
import { ConfigSchema } from '../src/config/schema.js';
import { executeRun } from '../src/engine/execute.js';
import { readRunStatus } from '../src/engine/status.js';
import { backfillPoolSummary } from '../src/storage/pool-summary.js';
import { SqliteRunStore } from '../src/storage/sqlite-store.js';

const SCANS = [
  "SELECT COUNT(*), SUM(origin = 'seed'), SUM(verified), SUM(disputed) FROM problems",
  'SELECT origin, COUNT(*) FROM problems GROUP BY origin',
  'SELECT reason, COUNT(*) FROM rejections GROUP BY reason',
  'SELECT COUNT(*) FROM rejections',
];

function ms(f: () => unknown): number {
  const t = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

export async function run(): Promise<void> {
  const target = Number(process.env.BENCH_ROWS ?? 1_000_000);
  const root = mkdtempSync(join(tmpdir(), 'sparq-bench-summary-'));
  try {
    const dir = join(root, 'run');
    const config = ConfigSchema.parse({
      seeds: { sample: 300 },
      solver: { k: 4 },
      generation: { batch_size: 1000 },
      budget: { generations: 1 },
    });
    await executeRun(dir, config, { backend: new SimBackend(), quiet: true });
    const db = new Database(join(dir, 'sparq.db'));
    const base = (db.prepare('SELECT COUNT(*) AS n FROM problems').get() as { n: number }).n;
    const columns = (db.prepare('PRAGMA table_info(problems)').all() as { name: string }[])
      .map((c) => c.name)
      .filter((c) => c !== 'id' && c !== 'uid');
    const copy = db.prepare(
      `INSERT INTO problems (uid, ${columns.join(', ')}) SELECT uid || '-' || ?, ${columns.join(', ')} FROM problems WHERE id <= ?`,
    );
    for (let n = 1; (n + 1) * base <= target; n++) db.transaction(() => copy.run(n, base))();
    db.exec('DROP TABLE pool_summary');
    const backfillMs = ms(() => backfillPoolSummary(db));
    const rows = (db.prepare('SELECT COUNT(*) AS n FROM problems').get() as { n: number }).n;
    db.close();

    const store = SqliteRunStore.openReadOnly(dir);
    ms(() => readRunStatus(store));
    const statusMs = ms(() => readRunStatus(store));
    store.close();
    const reader = new Database(join(dir, 'sparq.db'), { readonly: true });
    const scanMs = ms(() => {
      for (const q of SCANS) reader.prepare(q).all();
    });
    reader.close();
    console.log(`pool of ${rows.toLocaleString('en-US')} problems`);
    console.log(`  status (pool summary)              ${statusMs.toFixed(0).padStart(7)} ms`);
    console.log(`  the same counts by scan (before)   ${scanMs.toFixed(0).padStart(7)} ms`);
    console.log(`  summarising the pool once (migration) ${(backfillMs / 1000).toFixed(1)} s`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
