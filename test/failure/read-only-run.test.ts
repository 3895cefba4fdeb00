import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  canRunAsNobody,
  runCli,
  runCliAsNobody,
  type SpawnedServer,
  startSimServerProcess,
  tempDir,
} from '../helpers/cli.js';

/** Every file of the run directory with its content hash and mode. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out[p] = `${createHash('sha256').update(readFileSync(p)).digest('hex')} ${st.mode.toString(8)}`;
    }
  };
  walk(dir);
  return out;
}

describe.skipIf(!canRunAsNobody())('a run directory the user cannot write', () => {
  let server: SpawnedServer;
  let run: string;
  let out: string;
  beforeAll(async () => {
    server = await startSimServerProcess([]);
    const root = tempDir();
    run = join(root, 'run');
    const r = runCli([
      'run',
      run,
      '--base-url',
      server.url,
      '-q',
      '--set',
      'seeds.sample=30',
      '--set',
      'budget.generations=2',
    ]);
    expect(r.status, r.stderr).toBe(0);
    // root owns the run; nobody may read and enter it, not write it.
    for (const d of [root, run, join(run, 'logs')]) chmodSync(d, 0o755);
    out = join(tempDir('sparq-out-'), 'out');
    mkdirSync(out);
    chmodSync(out, 0o777);
    chmodSync(join(out, '..'), 0o777);
  }, 120_000);
  afterAll(() => server.stop());

  /** Every reader, as nobody; `copyNote` when SQLite cannot open the WAL database in place. */
  function readEverything(copyNote: boolean) {
    const before = snapshot(run);
    const status = runCliAsNobody(['status', run, '--json']);
    expect(status.status, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).problems.total).toBeGreaterThan(0);
    if (copyNote) expect(status.stderr).toMatch(/not writable .*reading a copy/);
    else expect(status.stderr).toBe('');

    const check = runCliAsNobody(['status', run, '--check']);
    expect(check.status, check.stderr).toBe(0);
    expect(check.stdout).toMatch(/intact/);
    if (copyNote) expect(check.stdout).toMatch(/a copy of the database was checked/);

    for (const args of [
      ['stats', run],
      ['select', run, '--strategy', 'quantity', '--n', '5', '--out', join(out, `sel-${copyNote}`)],
      ['decontaminate', run, '--bundled-eval-sets', 'math500'],
      ['report', run, '-o', join(out, `report-${copyNote}.html`)],
    ]) {
      const r = runCliAsNobody(args);
      expect(r.status, `${args[0]}: ${r.stderr}`).toBe(0);
      expect(r.stderr, args[0]).not.toMatch(/\n\s+at /);
    }
    expect(statSync(join(out, `report-${copyNote}.html`)).size).toBeGreaterThan(0);
    expect(readdirSync(join(out, `sel-${copyNote}`))).toContain('train.jsonl');
    expect(snapshot(run)).toEqual(before);
  }

  it('every reader works as nobody and leaves the run as it was', () => {
    // As a finished run leaves it: the -wal and -shm files of its last reader are there.
    expect(readdirSync(run)).toContain('sparq.db-shm');
    readEverything(false);
  }, 240_000);

  it('without the -wal and -shm files (an archive copied without them), readers read a copy', () => {
    const db = new Database(join(run, 'sparq.db'));
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    expect(readdirSync(run)).not.toContain('sparq.db-shm');
    readEverything(true);
  }, 240_000);

  it('run says the directory cannot be written, with exit code 1 and no stack trace', () => {
    const before = snapshot(run);
    const r = runCliAsNobody(['run', run, '--base-url', server.url, '-q']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/not writable|permission|cannot write/i);
    expect(r.stderr).toContain(run);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(snapshot(run)).toEqual(before);
  }, 60_000);
});
