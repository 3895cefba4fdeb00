/**
 * API mode in process against the sim server's batch API: what a process killed between an
 * upload (or a batch creation) and its record leaves is found again, not done twice; a batch the
 * API cancelled is sent again; one that failed validation stops the run with its reason; a
 * refused key says what to fix.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimBackend } from '../../src/backends/sim-backend.js';
import { BatchApiClient } from '../../src/batch/api-client.js';
import { batchPaths } from '../../src/batch/files.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { executeRun } from '../../src/engine/execute.js';
import { defaultSimServerOptions, type RunningSimServer, startSimServer } from '../../src/sim/server.js';
import { tempDir } from '../helpers/cli.js';
import { poolContent } from '../helpers/pool.js';

const SETTINGS = {
  model: { model: 'sim-1', supports_n: true, json_schema: true },
  seeds: { sample: 10 },
  generation: { batch_size: 6 },
  solver: { k: 3 },
  budget: { generations: 2 },
  scheduler: { window: 6 },
  log_level: 'warn',
};

let server: RunningSimServer;
beforeAll(async () => {
  server = await startSimServer(defaultSimServerOptions({ apiKey: 'sk-sim-api-0001' }));
});
afterAll(() => server.close());

const env = { ...process.env, SIM_KEY: 'sk-sim-api-0001' };

function config(model: Record<string, unknown>, batch: Record<string, unknown> = {}) {
  return ConfigSchema.parse({
    ...SETTINGS,
    model: { ...SETTINGS.model, base_urls: [server.url], api_key_env: 'SIM_KEY', ...model },
    batch: { poll_initial_s: 0.05, poll_max_s: 0.1, ...batch },
  });
}

const online = (async () => {
  const dir = tempDir('sparq-api-online-');
  await executeRun(dir, ConfigSchema.parse({ ...SETTINGS, model: { ...SETTINGS.model, kind: 'sim' } }), {
    quiet: true,
    backend: new SimBackend(),
  });
  return poolContent(dir);
})();

function batchFiles(dir: string): number {
  const db = new Database(join(dir, 'sparq.db'), { readonly: true });
  const n = (db.prepare('SELECT count(*) AS n FROM batch_files').get() as { n: number }).n;
  db.close();
  return n;
}

describe('model.kind: openai-batch', () => {
  it('finds the upload and the batch a killed process made before it recorded them, and makes neither again', async () => {
    const dir = tempDir('sparq-api-recover-');
    // The first round writes its file as file mode does, and is "killed" after uploading it and
    // creating its batch, before either id reached the database.
    const first = await executeRun(dir, config({ kind: 'openai' }, { files: true }), { quiet: true, env });
    const file = first.batch!.written[0]!;
    const db = new Database(join(dir, 'sparq.db'), { readonly: true });
    const runId = (db.prepare("SELECT value FROM meta WHERE key = 'run_id'").get() as { value: string })
      .value;
    db.close();
    const client = new BatchApiClient(server.url, { authorization: 'Bearer sk-sim-api-0001' }, 10_000);
    const uploaded = await client.uploadFile(
      batchPaths(dir, file.name).input,
      `sparq-${runId}-${file.name}.jsonl`,
    );
    await client.createBatch(uploaded.id, '24h', {});
    const before = server.stats().batch;

    const result = await executeRun(dir, config({ kind: 'openai-batch' }), { quiet: true, env });
    expect(result.waitingForBatches).toBe(false);
    expect(poolContent(dir)).toEqual(await online);
    const after = server.stats().batch;
    // Every file but the first was uploaded and batched once; the first not again.
    expect(after.uploads - before.uploads).toBe(batchFiles(dir) - 1);
    expect(after.batchesCreated - before.batchesCreated).toBe(batchFiles(dir) - 1);
  });

  it('stops with the reason when a batch fails validation, keeping the run resumable', async () => {
    const dir = tempDir('sparq-api-failed-');
    const first = await executeRun(dir, config({ kind: 'openai' }, { files: true }), { quiet: true, env });
    // A file the provider refuses: its lines are not batch requests.
    const { writeFileSync } = await import('node:fs');
    writeFileSync(batchPaths(dir, first.batch!.written[0]!.name).input, '{"not":"a request"}\n');
    await expect(executeRun(dir, config({ kind: 'openai-batch' }), { quiet: true, env })).rejects.toThrow(
      /failed validation at line 1.*sending it again would fail the same way/,
    );
  });

  it('says what to fix when the key is refused, never showing it', async () => {
    const dir = tempDir('sparq-api-key-');
    const wrong = { ...process.env, SIM_KEY: 'sk-wrong-key-9999' };
    const err = await executeRun(dir, config({ kind: 'openai-batch' }), { quiet: true, env: wrong }).catch(
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/answered 401.*model\.api_key_env/s);
    expect((err as Error).message).not.toContain('sk-wrong-key');
  });
});
