/**
 * Writes a selection as a fine-tuning dataset folder: train.jsonl, train.parquet, README.md
 * (the dataset card) and selection.json (the same facts, machine-readable). The selected rows
 * are read once, in selection order, straight from SQLite: each example is written to the JSONL,
 * counted for the card and handed to the Parquet writer as it streams past, so memory does not
 * grow with the dataset (the Parquet writer holds one row group at a time).
 */

import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import type { AnalysisConnection } from '../../storage/analysis-connection.js';
import { rowToProblem } from '../../storage/problem-rows.js';
import { UserError } from '../../util/errors.js';
import { type CardFile, type CardInfo, renderCard } from './card.js';
import { type ChatExample, type ExampleContext, toChatExample } from './chat.js';
import { DistributionBuilder, type Distributions } from './distributions.js';
import { JsonlWriter } from './jsonl.js';
import { assertCreatableFolder, assertWritableFolder, describeFsError } from './out-dir.js';
import { writeParquet } from './parquet.js';

export const OUTPUT_FILES = ['train.jsonl', 'train.parquet', 'README.md', 'selection.json'] as const;

/**
 * Checks, before any work, that the output folder can be used: an existing folder must be
 * writable and must not hold an export already (a second selection must not silently replace a
 * dataset someone trained on; `force` allows it); a missing one must be creatable, i.e. its
 * nearest existing ancestor is a writable folder. Returns the absolute path.
 */
export function checkOutDir(dir: string, force: boolean): string {
  const out = resolve(dir);
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw new UserError(`--out ${dir} exists and is not a directory`);
    const present = OUTPUT_FILES.filter((f) => existsSync(join(out, f)));
    if (present.length > 0 && !force)
      throw new UserError(
        `--out ${dir} already holds a dataset (${present.join(', ')}); choose another folder or pass --force to replace it`,
      );
    assertWritableFolder(out, dir);
    return out;
  }
  assertCreatableFolder(out, dir);
  return out;
}

/** Creates the (checked) output folder. */
export function createOutDir(out: string): void {
  try {
    mkdirSync(out, { recursive: true });
  } catch (err) {
    throw new UserError(`cannot create output folder ${out}: ${describeFsError(err)}`);
  }
}

export function sha256File(file: string): string {
  const hash = createHash('sha256');
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      hash.update(buffer.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** The selected problems as chat examples, in selection order, from TEMP table curation_selection. */
export function* selectedExamples(conn: AnalysisConnection, ctx: ExampleContext): Generator<ChatExample> {
  const rows = conn.db
    .prepare(
      `SELECT p.*, s.strategy AS selected_by FROM temp.curation_selection s JOIN main.problems p ON p.uid = s.uid ORDER BY s.pos`,
    )
    .iterate() as Iterable<Record<string, unknown>>;
  for (const row of rows) yield toChatExample(rowToProblem(row, conn.codec), row.selected_by as string, ctx);
}

export interface WrittenDataset {
  dir: string;
  files: CardFile[];
  distributions: Distributions;
}

/**
 * Streams `examples` into the folder and then writes the card, built by `card(files, dists)`.
 * On failure every partial file is removed.
 */
export function writeDataset(
  dir: string,
  examples: Iterable<ChatExample>,
  parquetKeyValue: Record<string, string>,
  createdBy: string,
  card: (files: CardFile[], distributions: Distributions) => CardInfo,
): WrittenDataset {
  const jsonlFile = join(dir, 'train.jsonl');
  const parquetFile = join(dir, 'train.parquet');
  const jsonl = new JsonlWriter(join(dir, '.train.jsonl.partial'), jsonlFile);
  const distributions = new DistributionBuilder();
  let rows = 0;
  function* tee(): Generator<ChatExample> {
    for (const example of examples) {
      jsonl.write(example);
      distributions.add(example);
      rows++;
      yield example;
    }
  }
  try {
    writeParquet(join(dir, '.train.parquet.partial'), parquetFile, tee(), parquetKeyValue, createdBy);
    jsonl.commit();
  } catch (err) {
    jsonl.abort();
    rmSync(parquetFile, { force: true });
    throw err;
  }
  const files: CardFile[] = [jsonlFile, parquetFile].map((file) => ({
    name: file === jsonlFile ? 'train.jsonl' : 'train.parquet',
    rows,
    bytes: statSync(file).size,
    sha256: sha256File(file),
  }));
  const dists = distributions.result();
  const info = card(files, dists);
  writeFileSync(join(dir, 'README.md'), renderCard(info));
  writeFileSync(join(dir, 'selection.json'), `${JSON.stringify(info, null, 2)}\n`);
  return { dir, files, distributions: dists };
}
