/**
 * Parquet output with the same nested shape as the JSONL (`messages`: list of {role, content};
 * `metadata`: a struct), so `datasets.load_dataset` gives identical features from either file.
 * Written with hyparquet-writer's row-streaming API into a file writer that flushes every MB:
 * rows are pulled from the source one row group at a time, so memory is bounded by one row
 * group (ROW_GROUP_ROWS examples), not by the dataset.
 */
import { renameSync, rmSync } from 'node:fs';
import { fileWriter, parquetWriteRows, type SchemaElement } from 'hyparquet-writer';
import type { ChatExample } from './chat.js';

/** Rows per row group: ~10k examples of a few KB each keeps a group in the tens of MB. */
export const ROW_GROUP_ROWS = 10_000;

const text = (name: string, required = false): SchemaElement => ({
  name,
  repetition_type: required ? 'REQUIRED' : 'OPTIONAL',
  type: 'BYTE_ARRAY',
  converted_type: 'UTF8',
});
const scalar = (name: string, type: 'INT32' | 'DOUBLE' | 'BOOLEAN', required = false): SchemaElement => ({
  name,
  repetition_type: required ? 'REQUIRED' : 'OPTIONAL',
  type,
});
/** The standard 3-level LIST of strings. */
const stringList = (name: string): SchemaElement[] => [
  { name, repetition_type: 'REQUIRED', converted_type: 'LIST', num_children: 1 },
  { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
  text('element', true),
];

const METADATA_FIELDS: SchemaElement[][] = [
  [text('uid', true)],
  [text('run_id')],
  [scalar('generation', 'INT32', true)],
  [text('operator', true)],
  stringList('parents'),
  [text('seed_id')],
  [text('template_ref')],
  [text('template_hash')],
  [text('model')],
  [text('answer', true)],
  [text('subject')],
  [text('skill')],
  [text('level')],
  [text('cell')],
  [scalar('solve_rate', 'DOUBLE')],
  [scalar('attempts', 'INT32', true)],
  [scalar('correct', 'INT32', true)],
  [scalar('verified', 'BOOLEAN', true)],
  [scalar('disputed', 'BOOLEAN', true)],
  [text('majority_answer')],
  [scalar('majority_share', 'DOUBLE')],
  [
    { name: 'request_keys', repetition_type: 'REQUIRED', num_children: 3 },
    text('mutate'),
    text('label'),
    ...stringList('solve'),
  ],
  [text('selected_by', true)],
  [text('sparq_version', true)],
];

export const PARQUET_SCHEMA: SchemaElement[] = [
  { name: 'root', num_children: 2 },
  { name: 'messages', repetition_type: 'REQUIRED', converted_type: 'LIST', num_children: 1 },
  { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
  { name: 'element', repetition_type: 'REQUIRED', num_children: 2 },
  text('role', true),
  text('content', true),
  { name: 'metadata', repetition_type: 'REQUIRED', num_children: METADATA_FIELDS.length },
  ...METADATA_FIELDS.flat(),
];

/**
 * Writes `rows` (pulled lazily) to `tempFile`, then renames it to `finalFile`. `keyValue` goes
 * into the file's key-value metadata (selection settings and provenance, for tools that only
 * see the Parquet file).
 */
export function writeParquet(
  tempFile: string,
  finalFile: string,
  rows: Iterable<ChatExample>,
  keyValue: Record<string, string>,
  createdBy: string,
): void {
  try {
    parquetWriteRows({
      writer: fileWriter(tempFile),
      rows: rows as Iterable<Record<string, unknown>>,
      columns: [{ name: 'messages' }, { name: 'metadata' }],
      schema: PARQUET_SCHEMA,
      rowGroupSize: ROW_GROUP_ROWS,
      kvMetadata: Object.entries(keyValue).map(([key, value]) => ({ key, value })),
      createdBy,
    });
    renameSync(tempFile, finalFile);
  } catch (err) {
    rmSync(tempFile, { force: true });
    throw err;
  }
}
