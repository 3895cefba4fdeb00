/**
 * The keys a run looks the pool up by when it tells a problem: the near-duplicate screen's band
 * keys (src/engine/near-duplicates.ts, 0 and up) and the exact-duplicate check's text hash
 * (`textKey`, below 0), as sorted runs. Each commit appends its problems' keys as one run, and
 * FAN_IN runs of a tier are merged into one run of the next tier, up to TOP_TIER.
 *
 * Why runs: the keys are random. Kept in a B-tree by key, every insert wrote a page once the
 * tree outgrew the page cache (13 band keys and a hash per problem: tens of KB written per
 * problem at 2M problems, for 230 bytes stored). As runs, every write is an append at the end
 * of the table, and a key is written once per tier it passes through (at most TOP_TIER + 1
 * times); a lookup reads only the runs whose Bloom filter may hold its key.
 *
 * A run holds the problems of a contiguous stretch of the pool, so reading runs newest first and
 * each run's entries for a key newest first gives the most recent problems with that key.
 * Band keys of schema 6 (`near_duplicate_keys`) are read as the oldest run; text hashes of rows
 * from before schema 9 were made a run by the migration (keyOldTextHashes).
 */
import type Database from 'better-sqlite3';
import { sha256Hex } from '../util/hash.js';
import { unpackHex } from './hex-keys.js';
import { KeyFilter } from './key-filter.js';

/** Runs of one tier merged at once: the runs a key is looked up in grow with it, the writes fall. */
const FAN_IN = 8;
/**
 * Runs of this tier (FAN_IN^2 commits, about 65,000 problems at the default commit size) are not
 * merged further: each merge more would write every key once more (measured at 100,000 problems:
 * 3.05× the database written with a third tier), while a lookup skips the runs without its key by
 * their filters (about 300 top-tier runs at 20M problems).
 */
export const TOP_TIER = 2;

/** The exact-duplicate check's key of a text hash: 52 of its bits (of a digest of it, if it is not hex), below 0. */
export function textKey(textHash: string): number {
  const hex = /^[0-9a-f]{13}/.test(textHash) ? textHash : sha256Hex(textHash);
  return -1 - Number.parseInt(hex.slice(0, 13), 16);
}

interface Run {
  run: number;
  tier: number;
  firstProblem: number;
  filter: KeyFilter;
}

export class PoolKeyIndex {
  /** Newest first; read when first needed, so that readers of a run (status) never load the filters. */
  private loaded: Run[] | null = null;
  private readonly stmt: Record<string, Database.Statement>;
  private readonly legacy: boolean;

  constructor(db: Database.Database) {
    this.stmt = {
      insert: db.prepare('INSERT INTO pool_key_runs (run, key, problem_id) VALUES (?, ?, ?)'),
      addRun: db.prepare(
        'INSERT INTO pool_key_run_index (run, tier, first_problem, filter) VALUES (?, ?, ?, ?)',
      ),
      runs: db.prepare('SELECT run, tier, first_problem, filter FROM pool_key_run_index ORDER BY run DESC'),
      inRun: db
        .prepare(
          'SELECT problem_id FROM pool_key_runs WHERE run = ? AND key = ? ORDER BY problem_id DESC LIMIT ?',
        )
        .pluck(),
      inLegacy: db
        .prepare('SELECT problem_id FROM near_duplicate_keys WHERE key = ? ORDER BY problem_id DESC LIMIT ?')
        .pluck(),
      merge: db.prepare(
        `INSERT INTO pool_key_runs (run, key, problem_id)
         SELECT ?, key, problem_id FROM pool_key_runs WHERE run BETWEEN ? AND ? ORDER BY key, problem_id`,
      ),
      keysOf: db.prepare('SELECT key FROM pool_key_runs WHERE run = ?').pluck(),
      dropRuns: db.prepare('DELETE FROM pool_key_runs WHERE run BETWEEN ? AND ?'),
      dropIndex: db.prepare('DELETE FROM pool_key_run_index WHERE run BETWEEN ? AND ?'),
    };
    this.legacy = db.prepare('SELECT 1 FROM near_duplicate_keys LIMIT 1').get() !== undefined;
  }

  /** Forgets the runs read (after a write transaction rolled back): read again when next needed. */
  load(): void {
    this.loaded = null;
  }

  /** Appends one commit's keys as a run and merges what is due (the caller holds the transaction). */
  append(entries: { key: number; problemId: number }[]): void {
    if (entries.length === 0) return;
    const runs = this.runs();
    entries.sort((a, b) => a.key - b.key || a.problemId - b.problemId);
    const run = (runs[0]?.run ?? 0) + 1;
    const filter = KeyFilter.sized(entries.length);
    let firstProblem = entries[0]!.problemId;
    entries.forEach((e, i) => {
      const before = entries[i - 1];
      if (before && before.key === e.key && before.problemId === e.problemId) return;
      this.stmt.insert!.run(run, e.key, e.problemId);
      filter.add(e.key);
      if (e.problemId < firstProblem) firstProblem = e.problemId;
    });
    this.addRun({ run, tier: 0, firstProblem, filter });
    for (let tier = 0; tier < TOP_TIER; tier++) {
      const due = this.runs().filter((r) => r.tier === tier);
      if (due.length < FAN_IN) break;
      // The runs of a tier are the newest runs when it fills: no other run lies between them.
      const from = due.at(-1)!.run;
      const to = due[0]!.run;
      const merged = this.runs()[0]!.run + 1;
      this.stmt.merge!.run(merged, from, to);
      this.stmt.dropRuns!.run(from, to);
      this.stmt.dropIndex!.run(from, to);
      const keys = this.stmt.keysOf!.all(merged) as number[];
      const mergedFilter = KeyFilter.sized(keys.length);
      for (const key of keys) mergedFilter.add(key);
      this.loaded = this.runs().filter((r) => r.run < from || r.run > to);
      this.addRun({
        run: merged,
        tier: tier + 1,
        firstProblem: due.at(-1)!.firstProblem,
        filter: mergedFilter,
      });
    }
  }

  /**
   * Problems with any of `keys`: for each key its most recent `limit`, then the most recent
   * `limit` of their union (ids descending).
   */
  candidates(keys: readonly number[], limit: number): number[] {
    const ids = new Set<number>();
    const runs = this.runs();
    for (const key of keys) {
      let found = 0;
      for (const r of runs) {
        if (found >= limit) break;
        if (!r.filter.has(key)) continue;
        for (const id of this.stmt.inRun!.all(r.run, key, limit - found) as number[]) {
          ids.add(id);
          found++;
        }
      }
      if (found < limit && this.legacy && key >= 0)
        for (const id of this.stmt.inLegacy!.all(key, limit - found) as number[]) ids.add(id);
    }
    return [...ids].sort((a, b) => b - a).slice(0, limit);
  }

  private addRun(r: Run): void {
    this.stmt.addRun!.run(r.run, r.tier, r.firstProblem, r.filter.toBytes());
    // Newest first: a new run, merged or appended, is the newest.
    this.loaded = [r, ...this.runs()];
  }

  private runs(): Run[] {
    this.loaded ??= (
      this.stmt.runs!.all() as { run: number; tier: number; first_problem: number; filter: Buffer }[]
    ).map((r) => ({
      run: r.run,
      tier: r.tier,
      firstProblem: r.first_problem,
      filter: KeyFilter.fromBytes(r.filter),
    }));
    return this.loaded;
  }
}

/** Problems keyed per run by the migration: its memory stays bounded whatever the pool. */
const MIGRATION_RUN = 1_000_000;

/**
 * The migration to schema 9: the text hashes of the problems a run already has become runs of
 * the top tier, and the text-hash index they were looked up by (random inserts) is dropped.
 */
export function keyOldTextHashes(db: Database.Database): void {
  db.exec(`
    CREATE TABLE pool_key_runs (
      run INTEGER NOT NULL,
      key INTEGER NOT NULL,
      problem_id INTEGER NOT NULL,
      PRIMARY KEY (run, key, problem_id)
    ) WITHOUT ROWID;
    CREATE TABLE pool_key_run_index (
      run INTEGER PRIMARY KEY,
      tier INTEGER NOT NULL,
      first_problem INTEGER NOT NULL,
      filter BLOB NOT NULL
    );
  `);
  const page = db.prepare('SELECT id, text_hash FROM problems WHERE id > ? ORDER BY id LIMIT ?');
  const insert = db.prepare('INSERT INTO pool_key_runs (run, key, problem_id) VALUES (?, ?, ?)');
  const addRun = db.prepare(
    'INSERT INTO pool_key_run_index (run, tier, first_problem, filter) VALUES (?, ?, ?, ?)',
  );
  for (let after = 0, run = 1; ; run++) {
    const rows = page.all(after, MIGRATION_RUN) as { id: number; text_hash: unknown }[];
    if (rows.length === 0) break;
    const entries = rows.map((r) => ({ key: textKey(unpackHex(r.text_hash)), id: r.id }));
    entries.sort((a, b) => a.key - b.key || a.id - b.id);
    const filter = KeyFilter.sized(entries.length);
    for (const e of entries) {
      insert.run(run, e.key, e.id);
      filter.add(e.key);
    }
    addRun.run(run, TOP_TIER, rows[0]!.id, filter.toBytes());
    after = rows.at(-1)!.id;
  }
  db.exec('DROP INDEX IF EXISTS problems_text_hash_seq');
}
