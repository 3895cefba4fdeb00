/**
 * A run written by sparq 0.2.0 (schema 7: hex keys, a `requests` table keyed by the request hash,
 * a column per problem field), killed mid-run, opens and resumes with this sparq. The fixture
 * (test/fixtures/schema-7-run/sparq.db) was made by that version with the in-process sim and
 * the config below, killed with kill -9 after its seeds were committed and while 2 seeds and 24
 * mutations had responses stored but not committed.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SimBackend } from '../../src/backends/sim-backend.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { executeRun } from '../../src/engine/execute.js';
import { readRunStatus } from '../../src/engine/status.js';
import { SCHEMA_VERSION } from '../../src/storage/migrations.js';
import { SqliteRunStore } from '../../src/storage/sqlite-store.js';
import { readStoredConfig } from '../../src/storage/stored-config.js';
import { tempDir } from '../helpers/cli.js';
import { poolContent } from '../helpers/pool.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'schema-7-run', 'sparq.db');

const config = ConfigSchema.parse({
  seeds: { sample: 10 },
  solver: { k: 4 },
  generation: { batch_size: 12 },
  budget: { generations: 2 },
  scheduler: { commit_tasks: 8 },
});

function fixtureCopy(): string {
  const dir = join(tempDir(), 'run');
  mkdirSync(dir);
  copyFileSync(FIXTURE, join(dir, 'sparq.db'));
  return dir;
}

describe('a run in the layout of sparq 0.2.0', () => {
  it('is read as it is, before any upgrade', () => {
    const dir = fixtureCopy();
    const store = SqliteRunStore.openReadOnly(dir);
    const seeds = [...store.iterateProblems()];
    expect(seeds).toHaveLength(8);
    for (const p of seeds) {
      expect(p.textHash).toMatch(/^[0-9a-f]{32}$/);
      expect(p.solution.length).toBeGreaterThan(0);
      expect(p.solveKeys.every((k) => /^[0-9a-f]{64}$/.test(k))).toBe(true);
      expect(p.attempts).toHaveLength(4);
      expect(store.hasProblemText(p.textHash, p.seq + 1)).toBe(true);
    }
    expect(readRunStatus(store).problems.total).toBe(8);
    store.close();
    const db = new Database(join(dir, 'sparq.db'), { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(7);
    db.close();
  });

  it('gives a resume its stored configuration from the run as it is, without an upgraded copy', () => {
    const dir = fixtureCopy();
    const stored = readStoredConfig(dir);
    expect(stored.committed).toBe(true);
    expect(JSON.parse(stored.configJson!)).toMatchObject({
      seeds: { sample: 10 },
      generation: { batch_size: 12 },
    });
    expect(JSON.parse(stored.firstDetected!)).toHaveProperty('settings');
    const db = new Database(join(dir, 'sparq.db'), { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(7);
    db.close();
  });

  it('resumes with this sparq to the pool an uninterrupted run of this sparq makes, replaying its stored responses', async () => {
    const dir = fixtureCopy();
    await executeRun(dir, config, { backend: new SimBackend(), quiet: true });
    const fresh = join(tempDir(), 'run');
    await executeRun(fresh, config, { backend: new SimBackend(), quiet: true });
    expect(poolContent(dir)).toEqual(poolContent(fresh));

    const store = SqliteRunStore.openReadOnly(dir);
    // The responses stored before the kill were answered from the old table, not asked again.
    expect(store.counters().cache_hits).toBeGreaterThanOrEqual(2 * 2 + 24);
    // Old rows and new rows side by side, both read whole.
    const all = [...store.iterateProblems()];
    expect(all.length).toBe(readRunStatus(store).problems.total);
    expect(all.filter((p) => p.origin !== 'seed').length).toBeGreaterThan(0);
    for (const p of all) expect(p.attempts.every((a) => p.solveKeys.includes(a.requestKey))).toBe(true);
    store.close();
    const db = new Database(join(dir, 'sparq.db'), { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const legacy = (db.prepare('SELECT COUNT(*) AS n FROM requests').get() as { n: number }).n;
    const compact = (db.prepare('SELECT COUNT(*) AS n FROM responses').get() as { n: number }).n;
    expect(legacy).toBe(20 + 24);
    expect(compact).toBeGreaterThan(0);
    expect((db.prepare('SELECT COUNT(*) AS n FROM request_log').get() as { n: number }).n).toBe(
      legacy + compact,
    );
    db.close();
  });
});
