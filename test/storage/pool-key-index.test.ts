import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { BLOCK_BYTES, BlockWriter, decodeBlock, type EncodedBlock } from '../../src/storage/key-blocks.js';
import { KeyFilter } from '../../src/storage/key-filter.js';
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
    // Every entry is kept once, whatever it was merged through, and in blocks, not rows.
    const distinct = new Set(all.map((e) => `${e.key}:${e.problemId}`)).size;
    expect(db.prepare('SELECT SUM(entries) AS n FROM pool_key_run_index').get()).toEqual({ n: distinct });
    expect(db.prepare('SELECT COUNT(*) AS n FROM pool_key_runs').get()).toEqual({ n: 0 });
    // A reopened index reads the same.
    expect(new PoolKeyIndex(db).candidates([5, 17], 256)).toEqual(reference(all, [5, 17], 256));
  });

  it('reads runs written as rows before schema 11, and merges them into blocks', () => {
    // A database at schema 10 with runs as rows, as a run written before holds them; then schema 11.
    const db = new Database(':memory:');
    for (let v = 0; v < SCHEMA_VERSION - 1; v++) applyMigration(db, v);
    const rng = new Rng(3);
    const all: { key: number; problemId: number }[] = [];
    let problem = 0;
    const insert = db.prepare('INSERT INTO pool_key_runs (run, key, problem_id) VALUES (?, ?, ?)');
    const addRun = db.prepare(
      'INSERT INTO pool_key_run_index (run, tier, first_problem, filter) VALUES (?, ?, ?, ?)',
    );
    for (let run = 1; run <= 5; run++) {
      const entries: { key: number; problemId: number }[] = [];
      const first = problem + 1;
      for (let i = 0; i < 20; i++) {
        problem++;
        entries.push(
          { key: rng.int(0, 30), problemId: problem },
          { key: -1 - rng.int(0, 1000), problemId: problem },
        );
      }
      const filter = KeyFilter.sized(entries.length);
      for (const e of entries) {
        insert.run(run, e.key, e.problemId);
        filter.add(e.key);
      }
      addRun.run(run, 0, first, filter.toBytes());
      all.push(...entries);
    }
    applyMigration(db, SCHEMA_VERSION - 1);
    const index = new PoolKeyIndex(db);
    for (const keys of [[3], [7, 12], [-5]])
      expect(index.candidates(keys, 50)).toEqual(reference(all, keys, 50));
    // Three commits more fill tier 0: the old rows and the new blocks merge into one run of blocks.
    for (let commit = 0; commit < 3; commit++) {
      const entries = Array.from({ length: 10 }, () => ({ key: rng.int(0, 30), problemId: ++problem }));
      all.push(...entries.map((e) => ({ ...e })));
      db.transaction(() => index.append(entries))();
    }
    expect(db.prepare('SELECT tier, format FROM pool_key_run_index').all()).toEqual([{ tier: 1, format: 1 }]);
    expect(db.prepare('SELECT COUNT(*) AS n FROM pool_key_runs').get()).toEqual({ n: 0 });
    for (const keys of [[3], [7, 12], [-5], [29, 0]])
      for (const limit of [1, 5, 500])
        expect(index.candidates(keys, limit)).toEqual(reference(all, keys, limit));
  });

  it('a key crowded over many blocks of a run is read newest first across them', () => {
    const db = database();
    const index = new PoolKeyIndex(db);
    const all = Array.from({ length: 6000 }, (_, i) => ({ key: i % 3 === 0 ? 11 : i, problemId: i + 1 }));
    db.transaction(() => index.append(all.map((e) => ({ ...e }))))();
    expect(
      (db.prepare('SELECT COUNT(*) AS n FROM pool_key_blocks').get() as { n: number }).n,
    ).toBeGreaterThan(8);
    for (const limit of [1, 5, 1999, 2000, 2001, 5000])
      expect(index.candidates([11], limit)).toEqual(reference(all, [11], limit));
    expect(index.candidates([12, 4999], 10)).toEqual(reference(all, [12, 4999], 10));
    expect(index.candidates([6001], 10)).toEqual([]);
  });

  it('encodes a block as gaps and offsets, and cuts blocks at their size', () => {
    const blocks: EncodedBlock[] = [];
    const writer = new BlockWriter(1000, (b) => blocks.push(b));
    const entries = Array.from({ length: 2000 }, (_, i) => ({
      key: -(2 ** 52) + i * 977_131,
      problemId: 1000 + ((i * 37) % 5000),
    }));
    for (const e of entries) writer.add(e);
    writer.flush();
    expect(blocks.length).toBeGreaterThan(1);
    for (const b of blocks.slice(0, -1)) expect(b.data.length).toBeGreaterThanOrEqual(BLOCK_BYTES);
    const decoded = blocks.flatMap((b) => decodeBlock(b.firstKey, b.data, 1000));
    expect(decoded).toEqual(entries);
    // Gaps of about 2^20 and offsets below 5,000: five bytes an entry.
    const bytes = blocks.reduce((n, b) => n + b.data.length, 0);
    expect(bytes / entries.length).toBeLessThanOrEqual(5);
    const unsorted = new BlockWriter(0, () => {});
    unsorted.add({ key: 5, problemId: 1 });
    expect(() => unsorted.add({ key: 4, problemId: 2 })).toThrow(/sorted/);
    expect(() => decodeBlock(0, Buffer.from([0x80]), 0)).toThrow(/ends inside a number/);
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
