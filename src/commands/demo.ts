import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Override } from '../config/load.js';
import { executeRun } from '../engine/execute.js';
import { formatRunStatus, readRunStatus } from '../engine/status.js';
import { defaultSimServerOptions, startSimServer } from '../sim/server.js';
import { SqliteRunStore } from '../storage/sqlite-store.js';
import { intArg } from './args.js';
import { resolveConfig } from './config-options.js';

/**
 * The demo runs the starter configuration (`sparq init`: 200 seeds, 30 generations of 64) against
 * the simulated model, so what it shows is what a first run of one's own does.
 */
export const DEMO_OVERRIDES: Record<string, unknown> = {
  'model.max_concurrency': 32,
  'model.model': 'sim-1',
  'model.kind': 'openai',
};

export function register(program: Command): void {
  program
    .command('demo')
    .description(
      'A complete small SPARQ run, offline: the simulated model served over HTTP, on a sample of the bundled MATH seeds',
    )
    .argument('[dir]', 'run directory', 'sparq-demo')
    .option('--generations <n>', 'generations after the seeds', intArg('--generations', 1, 1000), 30)
    .option('-q, --quiet', 'no progress output')
    .action(async (dir: string, opts: { generations: number; quiet?: boolean }) => {
      const server = await startSimServer(defaultSimServerOptions());
      const started = Date.now();
      try {
        const overrides: Override[] = Object.entries({
          ...DEMO_OVERRIDES,
          'model.base_urls': [server.url],
          'budget.generations': opts.generations,
        }).map(([path, value]) => ({ path, value, flag: 'sparq demo' }));
        const config = resolveConfig({}, {}, overrides);
        process.stderr.write(
          `sparq demo: simulated model (not a language model) at ${server.url}, ${config.seeds.sample ?? 'all'} MATH seeds, ${opts.generations} generations of ${config.generation.batch_size}\n`,
        );
        await executeRun(dir, config, { quiet: opts.quiet });
      } finally {
        await server.close();
      }
      const store = SqliteRunStore.openReadOnly(dir);
      try {
        const gens = store.generations();
        const rows = gens.map((g) => {
          const m = g.metrics as {
            coverage: number;
            meanQuality: number;
            qdScore: number;
            evaluated: number;
            verifiedShare: number;
          };
          return `  ${String(g.generation).padStart(3)}  ${String(m.evaluated).padStart(9)}  ${(m.verifiedShare * 100).toFixed(0).padStart(8)}%  ${(m.coverage * 100).toFixed(1).padStart(8)}%  ${m.meanQuality.toFixed(3).padStart(12)}  ${m.qdScore.toFixed(2).padStart(8)}`;
        });
        type Shown = { coverage: number; meanQuality: number; qdScore: number };
        const first = gens[0]?.metrics as Shown | undefined;
        const last = gens[gens.length - 1]?.metrics as Shown | undefined;
        const status = readRunStatus(store);
        const generated = status.problems.total - (status.problems.byOrigin.seed ?? 0);
        process.stdout.write(
          `\nDone in ${((Date.now() - started) / 1000).toFixed(0)} s. Results: ${resolve(dir)}\n\n` +
            '  gen  evaluated  verified  coverage  elite quality  QD-score\n' +
            `${rows.join('\n')}\n\n` +
            (first && last
              ? `Coverage went from ${(first.coverage * 100).toFixed(1)}% to ${(last.coverage * 100).toFixed(1)}% of the taxonomy's cells, mean elite quality (1 - solve-rate) from ${first.meanQuality.toFixed(3)} to ${last.meanQuality.toFixed(3)} and the QD-score from ${first.qdScore.toFixed(1)} to ${last.qdScore.toFixed(1)}: the pool grew harder and wider at once. ${generated.toLocaleString('en-US')} of its ${status.problems.total.toLocaleString('en-US')} problems are generated.\n\n`
              : '') +
            formatRunStatus(dir, status) +
            `\nNext: \`sparq status ${dir}\`; the pool is in ${resolve(dir, 'sparq.db')} (SQLite), logs in ${resolve(dir, 'logs')}.\n`,
        );
      } finally {
        store.close();
      }
    });
}
