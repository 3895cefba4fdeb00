/**
 * What a resume looks at before it opens a run for writing: the configuration it last ran with,
 * the endpoint settings it first decided, and whether it committed anything. Read from the
 * tables every run has had since schema 3, as they are: a run of an older sparq is upgraded by
 * the writer that follows, not copied (whole) to be read.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRunReadOnly } from './run-file.js';

/** config_snapshots.detected_json arrived in schema 3. */
const READS_FROM = 3;

export interface StoredConfig {
  /** The last configuration snapshot's JSON; null when none was written. */
  configJson: string | null;
  /** The oldest recorded endpoint settings (JSON), null when none. */
  firstDetected: string | null;
  committed: boolean;
}

export function readStoredConfig(dir: string): StoredConfig {
  let scratch: string | null = null;
  const db = openRunReadOnly(
    dir,
    () => {
      scratch ??= mkdtempSync(join(tmpdir(), 'sparq-read-'));
      return scratch;
    },
    () => {},
    READS_FROM,
  );
  try {
    const last = db.prepare('SELECT config_json FROM config_snapshots ORDER BY id DESC LIMIT 1').get() as
      | { config_json: string }
      | undefined;
    const first = db
      .prepare(
        'SELECT detected_json FROM config_snapshots WHERE detected_json IS NOT NULL ORDER BY id LIMIT 1',
      )
      .get() as { detected_json: string } | undefined;
    return {
      configJson: last?.config_json ?? null,
      firstDetected: first?.detected_json ?? null,
      committed: db.prepare('SELECT 1 FROM core_state WHERE id = 1').get() !== undefined,
    };
  } finally {
    db.close();
    if (scratch !== null) rmSync(scratch, { recursive: true, force: true });
  }
}
