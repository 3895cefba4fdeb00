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
 *
 * Since schema 11 a run is written as compressed blocks (key-blocks.ts, table pool_key_blocks:
 * about 6 bytes an entry); runs written before stay rows of pool_key_runs (format 0) and are read
 * as they are until a merge rewrites them as blocks.
 */
import type Database from 'better-sqlite3';
import { sha256Hex } from '../util/hash.js';
import { unpackHex } from './hex-keys.js';
import { BlockWriter, decodeBlock, idsWithKey, type KeyEntry } from './key-blocks.js';
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

/** How a run's entries are stored: 0, rows of pool_key_runs (before schema 11); 1, blocks. */
type RunFormat = 0 | 1;

interface Run {
  run: number;
  tier: number;
  firstProblem: number;
  filter: KeyFilter;
  format: RunFormat;
}

/** Blocks (or rows) read at a time while merging: bounded memory, and no statement left open. */
const MERGE_CHUNK_BLOCKS = 64;
const MERGE_CHUNK_ROWS = 8192;

export class PoolKeyIndex {
  /** Newest first; read when first needed, so that readers of a run (status) never load the filters. */
  private loaded: Run[] | null = null;
  /** Prepared when first used: a reader may open a run whose schema predates some of the tables. */
  private readonly prepared = new Map<string, Database.Statement>();
  private readonly legacy: boolean;

  constructor(private readonly db: Database.Database) {
    this.legacy = db.prepare('SELECT 1 FROM near_duplicate_keys LIMIT 1').get() !== undefined;
  }

  private st(sql: string): Database.Statement {
    let stmt = this.prepared.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.prepared.set(sql, stmt);
    }
    return stmt;
  }

  /** Forgets the runs read (after a write transaction rolled back): read again when next needed. */
  load(): void {
    this.loaded = null;
  }

  /** Appends one commit's keys as a run and merges what is due (the caller holds the transaction). */
  append(entries: KeyEntry[]): void {
    if (entries.length === 0) return;
    const runs = this.runs();
    entries.sort((a, b) => a.key - b.key || a.problemId - b.problemId);
    const run = (runs[0]?.run ?? 0) + 1;
    let firstProblem = entries[0]!.problemId;
    for (const e of entries) if (e.problemId < firstProblem) firstProblem = e.problemId;
    const filter = KeyFilter.sized(entries.length);
    const writer = this.blockWriter(run, firstProblem);
    let count = 0;
    entries.forEach((e, i) => {
      const before = entries[i - 1];
      if (before && before.key === e.key && before.problemId === e.problemId) return;
      writer.add(e);
      filter.add(e.key);
      count++;
    });
    writer.flush();
    this.addRun({ run, tier: 0, firstProblem, filter, format: 1 }, count);
    for (let tier = 0; tier < TOP_TIER; tier++) {
      const due = this.runs().filter((r) => r.tier === tier);
      if (due.length < FAN_IN) break;
      this.merge(due, tier + 1);
    }
  }

  /** Merges `due` (the newest runs, newest first: no other run lies between them) into one run of `tier`. */
  private merge(due: Run[], tier: number): void {
    const from = due.at(-1)!.run;
    const to = due[0]!.run;
    const merged = this.runs()[0]!.run + 1;
    const firstProblem = Math.min(...due.map((r) => r.firstProblem));
    const sources = due.map((r) => this.entriesOf(r));
    const heads = sources.map((s) => s.next());
    const total = due.reduce((n, r) => n + this.countOf(r), 0);
    const filter = KeyFilter.sized(total);
    const writer = this.blockWriter(merged, firstProblem);
    let count = 0;
    for (;;) {
      let best = -1;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i]!;
        if (h.done) continue;
        const b = best < 0 ? null : (heads[best]!.value as KeyEntry);
        if (b === null || h.value.key < b.key || (h.value.key === b.key && h.value.problemId < b.problemId))
          best = i;
      }
      if (best < 0) break;
      const e = heads[best]!.value as KeyEntry;
      writer.add(e);
      filter.add(e.key);
      count++;
      heads[best] = sources[best]!.next();
    }
    writer.flush();
    this.st('DELETE FROM pool_key_runs WHERE run BETWEEN ? AND ?').run(from, to);
    this.st('DELETE FROM pool_key_blocks WHERE run BETWEEN ? AND ?').run(from, to);
    this.st('DELETE FROM pool_key_run_index WHERE run BETWEEN ? AND ?').run(from, to);
    this.loaded = this.runs().filter((r) => r.run < from || r.run > to);
    this.addRun({ run: merged, tier, firstProblem, filter, format: 1 }, count);
  }

  private blockWriter(run: number, firstProblem: number): BlockWriter {
    const insert = this.st('INSERT INTO pool_key_blocks (run, first_key, data) VALUES (?, ?, ?)');
    return new BlockWriter(firstProblem, (b) => insert.run(run, b.firstKey, b.data));
  }

  /** A run's entries in (key, problem id) order, read a chunk at a time. */
  private *entriesOf(r: Run): Generator<KeyEntry> {
    if (r.format === 1) {
      const page = this.st(
        'SELECT id, first_key, data FROM pool_key_blocks WHERE run = ? AND id > ? ORDER BY id LIMIT ?',
      );
      for (let after = -1; ; ) {
        const rows = page.all(r.run, after, MERGE_CHUNK_BLOCKS) as {
          id: number;
          first_key: number;
          data: Buffer;
        }[];
        if (rows.length === 0) return;
        for (const row of rows) yield* decodeBlock(row.first_key, row.data, r.firstProblem);
        after = rows.at(-1)!.id;
      }
    }
    const page = this.st(
      `SELECT key, problem_id FROM pool_key_runs WHERE run = ? AND (key, problem_id) > (?, ?)
       ORDER BY key, problem_id LIMIT ?`,
    );
    for (let key = Number.MIN_SAFE_INTEGER, id = -1; ; ) {
      const rows = page.all(r.run, key, id, MERGE_CHUNK_ROWS) as { key: number; problem_id: number }[];
      if (rows.length === 0) return;
      for (const row of rows) yield { key: row.key, problemId: row.problem_id };
      key = rows.at(-1)!.key;
      id = rows.at(-1)!.problem_id;
    }
  }

  private countOf(r: Run): number {
    const stored = this.st('SELECT entries FROM pool_key_run_index WHERE run = ?').pluck().get(r.run) as
      | number
      | null
      | undefined;
    if (typeof stored === 'number') return stored;
    return this.st('SELECT COUNT(*) FROM pool_key_runs WHERE run = ?').pluck().get(r.run) as number;
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
        for (const id of this.inRun(r, key, limit - found)) {
          ids.add(id);
          found++;
        }
      }
      if (found < limit && this.legacy && key >= 0)
        for (const id of this.st(
          'SELECT problem_id FROM near_duplicate_keys WHERE key = ? ORDER BY problem_id DESC LIMIT ?',
        )
          .pluck()
          .all(key, limit - found) as number[])
          ids.add(id);
    }
    return [...ids].sort((a, b) => b - a).slice(0, limit);
  }

  /** The most recent `limit` problems of run `r` with `key`, ids descending. */
  private inRun(r: Run, key: number, limit: number): number[] {
    if (r.format === 0)
      return this.st(
        'SELECT problem_id FROM pool_key_runs WHERE run = ? AND key = ? ORDER BY problem_id DESC LIMIT ?',
      )
        .pluck()
        .all(r.run, key, limit) as number[];
    // The key's entries end in the last block starting at or before it, and may reach back
    // through earlier blocks that start with it: read those newest first until one starts below.
    // One block a query: nearly every key lies in one block, and each blob read is copied.
    const page = this.st(
      `SELECT id, first_key, data FROM pool_key_blocks
       WHERE run = ? AND (first_key, id) < (?, ?) ORDER BY first_key DESC, id DESC LIMIT 1`,
    );
    const out: number[] = [];
    for (let id = Number.MAX_SAFE_INTEGER; ; ) {
      const rows = page.all(r.run, key, id) as { id: number; first_key: number; data: Buffer }[];
      for (const row of rows) {
        const matching: number[] = [];
        idsWithKey(row.first_key, row.data, r.firstProblem, key, matching);
        for (let i = matching.length - 1; i >= 0; i--) out.push(matching[i]!);
        if (row.first_key < key || out.length >= limit) return out.slice(0, limit);
      }
      if (rows.length === 0) return out.slice(0, limit);
      id = rows.at(-1)!.id;
    }
  }

  private addRun(r: Run, entries: number): void {
    this.st(
      'INSERT INTO pool_key_run_index (run, tier, first_problem, filter, format, entries) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(r.run, r.tier, r.firstProblem, r.filter.toBytes(), r.format, entries);
    // Newest first: a new run, merged or appended, is the newest.
    this.loaded = [r, ...this.runs()];
  }

  private runs(): Run[] {
    this.loaded ??= (
      this.st(
        'SELECT run, tier, first_problem, filter, format FROM pool_key_run_index ORDER BY run DESC',
      ).all() as {
        run: number;
        tier: number;
        first_problem: number;
        filter: Buffer;
        format: RunFormat;
      }[]
    ).map((r) => ({
      run: r.run,
      tier: r.tier,
      firstProblem: r.first_problem,
      filter: KeyFilter.fromBytes(r.filter),
      format: r.format,
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
