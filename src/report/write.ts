import { writeFileSync } from 'node:fs';
import { SqliteRunStore } from '../storage/sqlite-store.js';
import { type CollectOptions, collectReportData } from './data.js';
import { renderReport } from './report.js';

/** Writes the report of run `dir` to `out`; returns its size in bytes. */
export async function writeReport(dir: string, out: string, options: CollectOptions = {}): Promise<number> {
  const store = SqliteRunStore.openReadOnly(dir, (line) => process.stderr.write(`${line}\n`));
  let html: string;
  try {
    html = await renderReport(collectReportData(store, dir, options));
  } finally {
    store.close();
  }
  writeFileSync(out, html);
  return Buffer.byteLength(html);
}
