/**
 * How response bodies and problem bodies are compressed (since schema 8): raw deflate with a
 * dictionary of the run's own text, one per kind of body (`label`, `mutate`, `solve`, `problem`,
 * and since schema 12 `text`, the problem texts).
 * Bodies are a few hundred bytes, too short for deflate to find much to repeat within one; a
 * dictionary made of earlier bodies of the same kind gives it the templates' phrasing, the
 * taxonomy and the JSON around every label (measured on the sim: labels 99 → 13 bytes, mutations
 * 290 → 105, problem bodies 425 → 259).
 *
 * The first SAMPLES bodies of a kind are stored without one; from them the dictionary is made,
 * stored in `compression_dictionaries`, and used from then on. A stored body is one byte naming
 * its dictionary (0: none) and the deflated bytes. Which bodies trained a dictionary depends on
 * timing, so the bytes may differ between runs; what they decode to does not.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import Database from 'better-sqlite3';

/** Bodies of a kind stored without a dictionary, from which its dictionary is made. */
const SAMPLES = 300;
/** zlib uses at most 32 KB of dictionary; 16 KB gave nearly all of the gain at half the time. */
const DICTIONARY_BYTES = 16 * 1024;
/** A dictionary's id is one byte of each body. */
const MAX_DICTIONARIES = 255;

export class BodyCodec {
  private readonly dictionaries = new Map<number, Buffer>();
  private readonly inUse = new Map<string, number>();
  private readonly samples = new Map<string, Buffer[]>();

  /** The database file of `schema`; '' for one in memory. */
  private readonly file: string;

  /** `schema`: where the run's tables are on this connection (`main` unless attached otherwise). */
  constructor(
    private readonly db: Database.Database,
    private readonly schema = 'main',
  ) {
    const listed = db.prepare('SELECT file FROM pragma_database_list WHERE name = ?').get(schema) as
      | { file: string }
      | undefined;
    this.file = listed?.file ?? '';
    this.load();
  }

  /** Reads the dictionaries again: after a write transaction rolled back (one it stored is gone). */
  load(): void {
    this.dictionaries.clear();
    this.inUse.clear();
    this.samples.clear();
    this.readFrom(this.db, this.schema);
  }

  /**
   * A body names a dictionary another connection stored after this one read them. decode may be
   * running inside a statement of this connection (problem_text() in SQL, a row of an iterate()),
   * where it cannot run another: they are read through a connection of their own. Dictionaries
   * are never removed, so the file's latest hold every one a row this connection sees names.
   */
  private loadMissing(): void {
    if (this.file === '') {
      this.readFrom(this.db, this.schema);
      return;
    }
    const other = new Database(this.file, { readonly: true, fileMustExist: true });
    try {
      this.readFrom(other, 'main');
    } finally {
      other.close();
    }
  }

  /** Adds the dictionaries stored in `schema` of `db` that are not known yet. */
  private readFrom(db: Database.Database, schema: string): void {
    const exists = db
      .prepare(`SELECT 1 FROM ${schema}.sqlite_master WHERE name = 'compression_dictionaries'`)
      .get();
    if (!exists) return;
    for (const row of db
      .prepare(`SELECT id, kind, bytes FROM ${schema}.compression_dictionaries ORDER BY id`)
      .all() as { id: number; kind: string; bytes: Buffer }[]) {
      if (this.dictionaries.has(row.id)) continue;
      this.dictionaries.set(row.id, row.bytes);
      this.inUse.set(row.kind, row.id);
      this.samples.delete(row.kind);
    }
  }

  /** The stored form of `text`; may store a new dictionary (inside the caller's transaction). */
  encode(kind: string, text: string): Buffer {
    const plain = Buffer.from(text, 'utf8');
    let id = this.inUse.get(kind);
    if (id === undefined) {
      id = this.train(kind, plain);
      if (id === 0) return Buffer.concat([Buffer.from([0]), deflateRawSync(plain)]);
    }
    return Buffer.concat([
      Buffer.from([id]),
      deflateRawSync(plain, { dictionary: this.dictionaries.get(id)! }),
    ]);
  }

  decode(stored: Buffer): string {
    const id = stored[0]!;
    const data = stored.subarray(1);
    if (id === 0) return inflateRawSync(data).toString('utf8');
    if (!this.dictionaries.has(id)) this.loadMissing();
    const dictionary = this.dictionaries.get(id);
    if (!dictionary)
      throw new Error(`a stored body names compression dictionary ${id}, which the run does not have`);
    return inflateRawSync(data, { dictionary }).toString('utf8');
  }

  /** Keeps `sample`; once there are enough, makes and stores the kind's dictionary. 0: none yet. */
  private train(kind: string, sample: Buffer): number {
    if (this.dictionaries.size >= MAX_DICTIONARIES) return 0;
    const samples = this.samples.get(kind) ?? [];
    this.samples.set(kind, samples);
    samples.push(sample.subarray(0, DICTIONARY_BYTES / 4));
    if (samples.length < SAMPLES) return 0;
    // deflate looks back from the end of a dictionary: the latest samples last.
    const all = Buffer.concat(samples);
    const bytes = Buffer.from(all.subarray(Math.max(0, all.length - DICTIONARY_BYTES)));
    const id = Number(
      this.db
        .prepare(`INSERT INTO ${this.schema}.compression_dictionaries (kind, bytes) VALUES (?, ?)`)
        .run(kind, bytes).lastInsertRowid,
    );
    // Its id is one byte of every body: a larger one would be read as another dictionary.
    if (id > MAX_DICTIONARIES)
      throw new Error(`compression dictionary ${id} is past the ${MAX_DICTIONARIES} a run can have`);
    this.dictionaries.set(id, bytes);
    this.inUse.set(kind, id);
    this.samples.delete(kind);
    return id;
  }
}
