/**
 * Batch files on disk, in DIR/batches: NAME.jsonl (written by sparq), and beside it the
 * NAME.output.jsonl and NAME.errors.jsonl that whatever ran it returns.
 *
 * A file is written under NAME.jsonl.partial, synced, recorded in the run database with its
 * requests, and only then renamed: a file under its final name is always complete and known, and
 * a process killed in between leaves either a partial file nobody knows (deleted at the next
 * start, its requests written again) or a known one still to rename (renamed at the next start).
 */
import {
  closeSync,
  createReadStream,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chatCompletionBody } from '../backends/chat-wire.js';
import type { BatchFileRow, BatchStore } from '../storage/batch-store.js';
import { UserError } from '../util/errors.js';
import type { DeferredRequest } from './dispatcher.js';
import { customId, inputLine, type LineResult, parseOutputLine } from './format.js';

export const BATCH_DIR = 'batches';
const PARTIAL = '.partial';

export function batchDir(runDir: string): string {
  return join(runDir, BATCH_DIR);
}

export function batchPaths(runDir: string, name: string) {
  const base = join(batchDir(runDir), name);
  return { input: `${base}.jsonl`, output: `${base}.output.jsonl`, errors: `${base}.errors.jsonl` };
}

export function fileName(id: number): string {
  return `batch-${String(id).padStart(5, '0')}`;
}

export interface FileLimits {
  lines: number;
  bytes: number;
}

/** Finishes or undoes what a killed process left half done (see the top of this file). */
export function recoverBatchFiles(runDir: string, store: BatchStore): void {
  const dir = batchDir(runDir);
  if (!existsSync(dir)) return;
  const known = new Set(store.files().map((f) => f.name));
  for (const entry of readdirSync(dir)) {
    // sparq's own input files only: another tool's NAME.output.jsonl.partial is its business.
    const m = /^(batch-\d+)\.jsonl\.partial$/.exec(entry);
    if (!m) continue;
    const name = m[1]!;
    const path = join(dir, entry);
    if (known.has(name) && !existsSync(batchPaths(runDir, name).input))
      renameSync(path, batchPaths(runDir, name).input);
    else rmSync(path, { force: true });
  }
}

/**
 * Writes the deferred requests into as few files as the limits allow, in task order. Returns the
 * files written.
 */
export function writeBatchFiles(
  runDir: string,
  store: BatchStore,
  requests: readonly DeferredRequest[],
  settings: { model: string; jsonSchema: boolean; limits: FileLimits },
): BatchFileRow[] {
  if (requests.length === 0) return [];
  mkdirSync(batchDir(runDir), { recursive: true });
  const written: BatchFileRow[] = [];
  let id = store.nextFileNumber();
  let lines: string[] = [];
  let entries: DeferredRequest[] = [];
  let bytes = 0;
  const flush = () => {
    if (lines.length === 0) return;
    written.push(writeOne(runDir, store, id++, lines, entries, bytes));
    lines = [];
    entries = [];
    bytes = 0;
  };
  for (const r of requests) {
    const body = chatCompletionBody(r.request, settings.model, settings.jsonSchema);
    let line = `${inputLine(customId(r.key, id), body)}\n`;
    let size = Buffer.byteLength(line);
    if (lines.length >= settings.limits.lines || bytes + size > settings.limits.bytes) {
      flush();
      line = `${inputLine(customId(r.key, id), body)}\n`;
      size = Buffer.byteLength(line);
    }
    if (size > settings.limits.bytes)
      throw new UserError(
        `one request takes ${size} bytes, more than batch.file_bytes (${settings.limits.bytes}) allows a whole file: raise batch.file_bytes`,
      );
    lines.push(line);
    entries.push(r);
    bytes += size;
  }
  flush();
  return written;
}

function writeOne(
  runDir: string,
  store: BatchStore,
  id: number,
  lines: readonly string[],
  entries: readonly DeferredRequest[],
  bytes: number,
): BatchFileRow {
  const name = fileName(id);
  const { input } = batchPaths(runDir, name);
  const partial = `${input}${PARTIAL}`;
  const fd = openSync(partial, 'w');
  try {
    // In chunks of about 1 MB: one string of a 190 MB file would be a large allocation for nothing.
    let chunk = '';
    for (const line of lines) {
      chunk += line;
      if (chunk.length >= 1 << 20) {
        writeSync(fd, chunk);
        chunk = '';
      }
    }
    if (chunk) writeSync(fd, chunk);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  store.addFile(
    { id, name, lines: lines.length, bytes },
    entries.map((e) => ({ key: e.key, failures: e.failures, lastError: e.lastError })),
  );
  renameSync(partial, input);
  return store.file(id)!;
}

/** What reading the returned files found, for the progress line and the log. */
export interface ReturnedSummary {
  files: number;
  answers: number;
  errors: number;
  /** Lines that were not JSON or not output lines (a file cut short ends with one). */
  unreadable: number;
  /** Lines for requests this run did not write (another run's), or for an older send of a request. */
  ignored: number;
}

/**
 * Reads the output and error files that have come back, for every file not yet done: the answers
 * of the requests' latest sends. A file whose output has come back is `returned` from then on:
 * its requests without a line are written again.
 */
export async function readReturnedFiles(
  runDir: string,
  store: BatchStore,
): Promise<{ results: LineResult[]; summary: ReturnedSummary }> {
  const summary: ReturnedSummary = { files: 0, answers: 0, errors: 0, unreadable: 0, ignored: 0 };
  const results: LineResult[] = [];
  for (const file of store.files(['waiting', 'returned'])) {
    const paths = batchPaths(runDir, file.name);
    const found: LineResult[] = [];
    const counts = { answers: 0, errors: 0, unreadable: 0, ignored: 0 };
    let lineCount = 0;
    for (const path of [paths.output, paths.errors].filter((p) => existsSync(p)))
      for await (const line of createInterface({
        input: createReadStream(path),
        crlfDelay: Number.POSITIVE_INFINITY,
      })) {
        if (line.trim() === '') continue;
        lineCount++;
        const parsed = parseOutputLine(line);
        if (parsed.kind === 'unreadable') counts.unreadable++;
        else if (parsed.kind === 'foreign') counts.ignored++;
        else if (parsed.kind === 'result') {
          const r = parsed.result;
          const row = store.request(r.key);
          // No row: answered already (a file read again after a kill, before it was retired).
          if (!row) continue;
          if (row.fileId !== file.id || r.file !== file.id) {
            counts.ignored++;
            continue;
          }
          found.push(r);
          if (r.ok) counts.answers++;
          else counts.errors++;
        }
      }
    // The output file says the file came back (it is written last). Without one, an error file
    // counts once it accounts for every line (a batch whose lines all failed has no output).
    if (!existsSync(paths.output) && lineCount < file.lines) continue;
    results.push(...found);
    summary.files++;
    for (const k of ['answers', 'errors', 'unreadable', 'ignored'] as const) summary[k] += counts[k];
    if (file.state === 'waiting') store.setState(file.id, 'returned');
  }
  return { results, summary };
}
