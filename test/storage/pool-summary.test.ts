/**
 * The pool summary kept at commit agrees with the pool it summarises: with what a full scan of
 * the problems and rejections finds, and with what the migration computes for a run that had no
 * summary yet.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import { SimBackend } from '../../src/backends/sim-backend.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { executeRun } from '../../src/engine/execute.js';
import { backfillPoolSummary, KEY_SEP } from '../../src/storage/pool-summary.js';
import { tempDir } from '../helpers/cli.js';

type Row = { dimension: string; key: string; problems: number; verified_rate_sum: number };

const rowsOf = (db: Database.Database) =>
  (db.prepare('SELECT * FROM pool_summary ORDER BY dimension, key').all() as Row[]).map((r) => ({
    ...r,
    verified_rate_sum: Number(r.verified_rate_sum.toFixed(9)),
  }));

it('agrees with a full scan of the pool, and with the migration that summarises an existing run', async () => {
  const dir = join(tempDir(), 'run');
  const config = ConfigSchema.parse({
    seeds: { sample: 40 },
    // A low near-duplicate threshold, so that there are rejections to count.
    generation: { batch_size: 24, near_duplicate_threshold: 0.6 },
    budget: { generations: 4 },
    // Several commits, so that the summary is the sum of several deltas.
    scheduler: { commit_tasks: 16 },
  });
  await executeRun(dir, config, { backend: new SimBackend(), quiet: true });
  const db = new Database(join(dir, 'sparq.db'), { readonly: true });
  const kept = rowsOf(db);
  const count = (dimension: string) =>
    Object.fromEntries(kept.filter((r) => r.dimension === dimension).map((r) => [r.key, r.problems]));
  const scan = (sql: string) =>
    Object.fromEntries(
      (db.prepare(sql).all() as { k: string | number; n: number }[]).map((r) => [String(r.k), r.n]),
    );
  expect(count('origin')).toEqual(scan('SELECT origin AS k, COUNT(*) AS n FROM problems GROUP BY origin'));
  expect(count('skill')).toEqual(
    scan(
      `SELECT COALESCE(subject, '(none)') || '${KEY_SEP}' || COALESCE(skill, '(none)') AS k, COUNT(*) AS n FROM problems GROUP BY 1`,
    ),
  );
  expect(count('generation')).toEqual(
    scan('SELECT generation AS k, COUNT(*) AS n FROM problems GROUP BY generation'),
  );
  expect(count('rejection_reason')).toEqual(
    scan('SELECT reason AS k, COUNT(*) AS n FROM rejections GROUP BY reason'),
  );
  const verified = db
    .prepare('SELECT COUNT(*) AS n, SUM(solve_rate) AS s FROM problems WHERE verified = 1')
    .get() as {
    n: number;
    s: number;
  };
  const solveRates = kept.filter((r) => r.dimension === 'solve_rate');
  expect(solveRates.reduce((n, r) => n + r.problems, 0)).toBe(verified.n);
  expect(solveRates.reduce((s, r) => s + Number(r.key) * r.problems, 0)).toBeCloseTo(verified.s, 9);
  expect(count('rejection_reason')).not.toEqual({});
  db.close();

  // The migration's view of the same rows, from scratch.
  const copy = join(tempDir(), 'copy.db');
  copyFileSync(join(dir, 'sparq.db'), copy);
  const w = new Database(copy);
  w.exec('DROP TABLE pool_summary');
  backfillPoolSummary(w);
  expect(rowsOf(w)).toEqual(kept);
  w.close();
}, 60_000);
