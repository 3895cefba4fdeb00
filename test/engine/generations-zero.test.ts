/** `--generations 0` (budget.generations: 0): the seeds are evaluated, as generation 0, and nothing is mutated. */
import { expect, it } from 'vitest';
import { SimBackend } from '../../src/backends/sim-backend.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { executeRun } from '../../src/engine/execute.js';
import { readRunStatus } from '../../src/engine/status.js';
import { SqliteRunStore } from '../../src/storage/sqlite-store.js';
import { tempDir } from '../helpers/cli.js';

it('evaluates the seeds alone, and a larger budget then continues from them', async () => {
  const dir = tempDir('sparq-gen0-');
  const config = (generations: number) =>
    ConfigSchema.parse({
      model: { kind: 'sim' },
      seeds: { sample: 20 },
      generation: { batch_size: 10 },
      solver: { k: 4 },
      budget: { generations },
      log_level: 'warn',
    });
  const result = await executeRun(dir, config(0), { quiet: true, backend: new SimBackend() });
  expect(result.stoppedBy).toBe('budget.generations (0)');
  let store = SqliteRunStore.openReadOnly(dir);
  let status = readRunStatus(store);
  store.close();
  expect(status.generation).toBe(0);
  expect(status.problems.byOrigin).toEqual({ seed: 20 });
  await executeRun(dir, config(1), { quiet: true, backend: new SimBackend() });
  store = SqliteRunStore.openReadOnly(dir);
  status = readRunStatus(store);
  store.close();
  expect(status.generation).toBe(1);
  expect(status.problems.total).toBeGreaterThan(20);
});
