import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteRunStore } from '../../src/storage/sqlite-store.js';

/**
 * Everything a run produced that must not depend on interruptions: problems with their data and
 * attempts, rejections, per-generation archive metrics and the final core state. Timestamps,
 * spend and timing are left out (a resumed run answers some requests from its cache).
 */
export function poolContent(dir: string): unknown {
  const db = new Database(join(dir, 'sparq.db'), { readonly: true });
  try {
    // Decoded: compressed bodies depend on when the run's dictionaries were made, not on content.
    const store = SqliteRunStore.openReadOnly(dir);
    const problems = [...store.iterateProblems()]
      .map(({ seq: _seq, ...p }) => p)
      .sort((a, b) => (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
    store.close();
    const rejections = db
      .prepare(
        'SELECT uid, generation, task_index, operator, parent_uids, reason, detail, raw_output, request_key FROM rejections ORDER BY uid',
      )
      .all();
    const generations = (
      db.prepare('SELECT generation, metrics_json FROM generations ORDER BY generation').all() as {
        generation: number;
        metrics_json: string;
      }[]
    ).map((g) => {
      const {
        spend: _spend,
        seconds: _seconds,
        rssMb: _rss,
        peakRssMb: _peak,
        heapUsedMb: _heap,
        ...metrics
      } = JSON.parse(g.metrics_json) as Record<string, unknown>;
      return { generation: g.generation, metrics };
    });
    const core = db.prepare('SELECT generation, state_json FROM core_state').all();
    // Sums of solve-rates added in other batches differ in the last bits.
    const summary = (
      db.prepare('SELECT * FROM pool_summary ORDER BY dimension, key').all() as {
        verified_rate_sum: number;
      }[]
    ).map((r) => ({ ...r, verified_rate_sum: Number(r.verified_rate_sum.toFixed(9)) }));
    return { problems, rejections, generations, core, summary };
  } finally {
    db.close();
  }
}

export function generationMetrics(dir: string): { coverage: number; meanQuality: number; qdScore: number }[] {
  const db = new Database(join(dir, 'sparq.db'), { readonly: true });
  try {
    return (
      db.prepare('SELECT metrics_json FROM generations ORDER BY generation').all() as {
        metrics_json: string;
      }[]
    ).map((r) => JSON.parse(r.metrics_json));
  } finally {
    db.close();
  }
}
