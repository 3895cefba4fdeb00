/**
 * `sparq watch --once`: one frame of a run's dashboard from the run database alone, for a run
 * that is running (what the process left at its last commit) and for one that has finished.
 */
import { describe, expect, it } from 'vitest';
import { SimBackend } from '../../src/backends/sim-backend.js';
import type { ChatRequest } from '../../src/backends/types.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { executeRun } from '../../src/engine/execute.js';
import { formatWatchFrame, readWatchData, sparkline } from '../../src/engine/watch.js';
import { SqliteRunStore } from '../../src/storage/sqlite-store.js';
import { runCli, tempDir } from '../helpers/cli.js';

const config = (extra: Record<string, unknown> = {}) =>
  ConfigSchema.parse({
    model: { kind: 'sim' },
    seeds: { sample: 30 },
    generation: { batch_size: 20 },
    solver: { k: 4 },
    budget: { generations: 3 },
    pricing: { prompt_per_million: 1, completion_per_million: 4 },
    log_level: 'warn',
    ...extra,
  });

function frame(dir: string, now?: number) {
  const store = SqliteRunStore.openReadOnly(dir);
  try {
    const data = readWatchData(store, now);
    return { data, text: formatWatchFrame(dir, data) };
  } finally {
    store.close();
  }
}

describe('sparq watch', () => {
  it('draws a sparkline over the range of its values', () => {
    expect(sparkline([1, 2, 3, 4, 5, 6, 7, 8])).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([5, 5])).toBe('██');
    expect(sparkline([])).toBe('');
  });

  it('shows a finished run: tasks against the budget, pool, coverage, QD-score by epoch, solve-rates, faults, spend', async () => {
    const dir = tempDir('sparq-watch-');
    await executeRun(dir, config(), { quiet: true, backend: new SimBackend() });
    const { data, text } = frame(dir);
    expect(data.budgetTasks).toBe(30 + 3 * 20);
    expect(text).toMatch(/tasks told 90 of 90 \(100\.0%\)/);
    expect(text).toMatch(/not running \(last commit .* stopped at budget\.generations \(3\)\)/);
    expect(text).toMatch(/QD-score {3}[▁▂▃▄▅▆▇█]{4} /);
    // A finished run's rate is over all its epochs, which the problems/s agrees with.
    const rate = /rate {7}([\d.]+) problems\/s, [\d.]+ requests\/s over its 4 epochs/.exec(text);
    expect(rate).not.toBeNull();
    const seconds = data.epochs.reduce((t, e) => t + e.seconds, 0);
    expect(Number(rate![1])).toBeCloseTo(data.epochs.reduce((t, e) => t + e.tasks, 0) / seconds, 0);
    expect(text).toMatch(
      /coverage \d+\.\d% \(\d+\/\d+ taxonomy cells; "other" \d+\/\d+\), QD-score \d+\.\d\d/,
    );
    // Every verified problem is in one bin of the histogram.
    expect(data.histogram.reduce((a, b) => a + b, 0)).toBe(data.status.problems.verified);
    expect(text).toMatch(/spend {6}\d[\d,]* requests, [\d,]+ tokens, 0\.\d+ USD; the budget projects/);
    const cli = runCli(['watch', dir, '--once']);
    expect(cli.status).toBe(0);
    expect(cli.stdout).toContain('solve-rate of the verified problems');
    expect(cli.stdout).not.toContain('\u001b[');
  });

  it('shows a running run as its process left it: slots busy, rates and the ETA to the budget', async () => {
    const dir = tempDir('sparq-watch-live-');
    class Slow extends SimBackend {
      override async send(request: ChatRequest) {
        await new Promise((r) => setTimeout(r, 10));
        return super.send(request);
      }
    }
    const controller = new AbortController();
    const run = executeRun(
      dir,
      config({ budget: { generations: 100 }, scheduler: { commit_seconds: 0.2 } }),
      {
        quiet: true,
        backend: new Slow(),
        signal: controller.signal,
      },
    );
    let text = '';
    for (let i = 0; i < 300; i++) {
      await new Promise((r) => setTimeout(r, 100));
      if (i < 15) continue;
      text = frame(dir).text;
      if (/ETA/.test(text)) break;
    }
    controller.abort();
    await run.catch(() => {});
    expect(text).toMatch(/running \(pid \d+, last commit \d+ s ago\)/);
    expect(text).toMatch(/rate {7}\d+\.\d problems\/s, \d+\.\d requests\/s {3}\d+ of \d+ slots busy/);
    expect(text).toMatch(/ETA {8}.* to the budget/);
  });
});
