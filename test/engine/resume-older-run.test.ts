/**
 * A run started by an older sparq resumes with the behaviour it started with: settings that did
 * not exist then take the values that reproduce the old behaviour, not today's defaults.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli, type SpawnedServer, startSimServerProcess, tempDir } from '../helpers/cli.js';

let server: SpawnedServer;
beforeAll(async () => {
  server = await startSimServerProcess([]);
});
afterAll(() => server.stop());

it('settings added since the run started keep the old behaviour on resume', () => {
  const dir = join(tempDir(), 'run');
  const args = (generations: number) => [
    'run',
    dir,
    '--base-url',
    server.url,
    '-q',
    '--set',
    'seeds.sample=10',
    '--set',
    'generation.batch_size=8',
    '--generations',
    String(generations),
  ];
  expect(runCli(args(1)).status).toBe(0);
  // The snapshot as sparq 0.2.0 wrote it: none of the keys added since.
  const db = new Database(join(dir, 'sparq.db'));
  const { id, config_json } = db
    .prepare('SELECT id, config_json FROM config_snapshots ORDER BY id DESC LIMIT 1')
    .get() as {
    id: number;
    config_json: string;
  };
  const old = JSON.parse(config_json);
  delete old.solver.no_answer;
  delete old.labeling.malformed_retries;
  delete old.generation.near_duplicate_threshold;
  db.prepare('UPDATE config_snapshots SET config_json = ? WHERE id = ?').run(JSON.stringify(old), id);
  db.close();

  const resumed = runCli(args(2));
  expect(resumed.status, resumed.stderr).toBe(0);
  const after = new Database(join(dir, 'sparq.db'), { readonly: true });
  const latest = JSON.parse(
    (
      after.prepare('SELECT config_json FROM config_snapshots ORDER BY id DESC LIMIT 1').get() as {
        config_json: string;
      }
    ).config_json,
  );
  after.close();
  expect(latest.solver.no_answer).toBe('wrong');
  expect(latest.labeling.malformed_retries).toBe(0);
  expect(latest.generation.near_duplicate_threshold).toBeNull();
}, 60_000);
