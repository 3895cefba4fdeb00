/**
 * Problem texts are compressed with a dictionary the writing run stores once it has seen enough
 * texts; a reader that opened before that must still read the rows written after, in SQL
 * (problem_text()) and row by row, while its statement is still running.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { BodyCodec } from '../../src/storage/body-codec.js';
import { problemText, registerProblemText } from '../../src/storage/problem-rows.js';
import { tempDir } from '../helpers/cli.js';

const texts = Array.from(
  { length: 500 },
  (_, i) => `Find the number of positive divisors of ${1000 + i * 7} that are multiples of ${(i % 9) + 2}.`,
);

function runFile(): string {
  const file = join(tempDir('sparq-codec-'), 'sparq.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE compression_dictionaries (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, bytes BLOB NOT NULL);
    CREATE TABLE problems (id INTEGER PRIMARY KEY, problem TEXT NOT NULL);`);
  db.close();
  return file;
}

describe('problem texts compressed with a dictionary', () => {
  it('are read by a connection opened before the dictionary was stored', () => {
    const file = runFile();
    const reader = new Database(file, { readonly: true });
    const readerCodec = new BodyCodec(reader);
    registerProblemText(reader, readerCodec);

    const writer = new Database(file);
    const codec = new BodyCodec(writer);
    const insert = writer.prepare('INSERT INTO problems (problem) VALUES (?)');
    writer.transaction(() => {
      for (const t of texts) insert.run(codec.encode('text', t));
    })();
    const dictionaries = writer.prepare('SELECT id, kind FROM compression_dictionaries').all();
    expect(dictionaries).toEqual([{ id: 1, kind: 'text' }]);
    // The 300th text makes it and is the first to name it; the 299 before it name none.
    const named = writer
      .prepare("SELECT COUNT(*) AS n FROM problems WHERE substr(problem, 1, 1) = x'01'")
      .get();
    expect(named).toEqual({ n: texts.length - 299 });
    writer.close();

    const inSql = reader.prepare('SELECT problem_text(problem) AS t FROM problems ORDER BY id').all();
    expect(inSql.map((r) => (r as { t: string }).t)).toEqual(texts);
    const rowByRow: string[] = [];
    for (const r of reader.prepare('SELECT problem FROM problems ORDER BY id').iterate() as Iterable<{
      problem: Buffer;
    }>)
      rowByRow.push(problemText(r.problem, readerCodec));
    expect(rowByRow).toEqual(texts);
    reader.close();
  });

  it('pass plain text of older rows through', () => {
    const file = runFile();
    const db = new Database(file);
    const codec = new BodyCodec(db);
    registerProblemText(db, codec);
    db.prepare('INSERT INTO problems (problem) VALUES (?), (?)').run(
      'plain $x^2$',
      codec.encode('text', 'packed'),
    );
    expect(
      db
        .prepare('SELECT typeof(problem) AS type, problem_text(problem) AS t FROM problems ORDER BY id')
        .all(),
    ).toEqual([
      { type: 'text', t: 'plain $x^2$' },
      { type: 'blob', t: 'packed' },
    ]);
    db.close();
  });
});
