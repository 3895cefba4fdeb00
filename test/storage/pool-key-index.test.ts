import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { applyMigration, SCHEMA_VERSION } from '../../src/storage/migrations.js';
import { PoolKeyIndex, TOP_TIER, textKey } from '../../src/storage/pool-key-index.js';
import { Rng } from '../../src/util/hash.js';

function database(): Database.Database {
  const db = new Database(':memory:');
  for (let v = 0; v < SCHEMA_VERSION; v++) applyMigration(db, v);
  return db;
}

/** The most recent `limit` problems of each key, then the most recent `limit` of their union. */
function reference(all: { key: number; problemId: number }[], keys: number[], limit: number): number[] {
  const ids = new Set<number>();
  for (const key of keys)
    for (const id of all
      .filter((e) => e.key === key)
      .map((e) => e.problemId)
      .sort((a, b) => b - a)
      .slice(0, limit))
      ids.add(id);
  return [...ids].sort((a, b) => b - a).slice(0, limit);
}

describe('the pool key index', () => {
  it('finds the most recent problems of each key, as one table by key would, through merges of every tier', () => {
    const db = database();
    const index = new PoolKeyIndex(db);
    const rng = new Rng(7);
    const all: { key: number; problemId: number }[] = [];
    let problem = 0;
    // 8^3 + 40 commits: tiers 0, 1 and 2 merge, and a run of the top tier is made.
    for (let commit = 0; commit < 8 ** TOP_TIER + 40; commit++) {
      const entries: { key: number; problemId: number }[] = [];
      for (let i = 0; i < 3; i++) {
        problem++;
        // Few distinct keys, so that keys are shared across runs and crowded.
        for (const key of [rng.int(0, 40), rng.int(0, 400)]) entries.push({ key, problemId: problem });
      }
      all.push(...entries.map((e) => ({ ...e })));
      db.transaction(() => index.append(entries))();
      if (commit % 97 === 0 || commit === 8 ** TOP_TIER + 39)
        for (const keys of [[3], [5, 17, 300], [41], [399, 0]])
          for (const limit of [1, 7, 256])
            expect(index.candidates(keys, limit), `commit ${commit} keys ${keys} limit ${limit}`).toEqual(
              reference(all, keys, limit),
            );
    }
    const runs = db
      .prepare('SELECT tier, COUNT(*) AS n FROM pool_key_run_index GROUP BY tier ORDER BY tier')
      .all();
    // 40 = 5 × 8 commits after the top-tier run: five runs of tier 1, none left of tier 0.
    expect(runs).toEqual([
      { tier: 1, n: 5 },
      { tier: TOP_TIER, n: 1 },
    ]);
    // Every entry is kept once, whatever it was merged through.
    const distinct = new Set(all.map((e) => `${e.key}:${e.problemId}`)).size;
    expect(db.prepare('SELECT COUNT(*) AS n FROM pool_key_runs').get()).toEqual({ n: distinct });
    // A reopened index reads the same.
    expect(new PoolKeyIndex(db).candidates([5, 17], 256)).toEqual(reference(all, [5, 17], 256));
  });

  it('forgets the runs of a write that rolled back', () => {
    const db = database();
    const index = new PoolKeyIndex(db);
    db.transaction(() => index.append([{ key: 1, problemId: 1 }]))();
    expect(() =>
      db.transaction(() => {
        index.append([{ key: 1, problemId: 2 }]);
        throw new Error('disk full');
      })(),
    ).toThrow('disk full');
    index.load();
    db.transaction(() => index.append([{ key: 1, problemId: 3 }]))();
    expect(index.candidates([1], 10)).toEqual([3, 1]);
  });

  it('keys text hashes below the band keys, from 52 bits of the hash', () => {
    expect(textKey('0000000000000ffff')).toBe(-1);
    expect(textKey('fffffffffffff')).toBe(-(2 ** 52));
    expect(textKey('not hex')).toBeLessThan(0);
    expect(textKey('not hex')).toBe(textKey('not hex'));
  });
});
