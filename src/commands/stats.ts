import type { Command } from 'commander';
import { readPoolStats } from '../curation/stats.js';
import { formatPoolStats } from '../curation/stats-format.js';
import { terminalJson } from '../curation/terminal.js';
import { openAnalysisConnection } from '../storage/analysis-connection.js';
import { intArg } from './args.js';

export function register(program: Command): void {
  program
    .command('stats')
    .description(
      'Show the distributions of a pool: difficulty (solve-rate histogram), subjects, skills, generations, rejection reasons',
    )
    .argument('<run>', 'run directory')
    .option('--bins <n>', 'solve-rate histogram bins', intArg('--bins', 1, 100), 10)
    .option('--top <n>', 'skills shown (0 = all)', intArg('--top', 0, 100_000), 25)
    .option('--json', 'print JSON')
    .action((run: string, flags: { bins: number; top: number; json?: boolean }) => {
      // Read-only: no run lock, nothing computed or written, not even curation.db (WAL lets a
      // live run keep writing).
      const conn = openAnalysisConnection(run, { results: 'read' });
      try {
        const stats = readPoolStats(conn, { bins: flags.bins, top: flags.top });
        process.stdout.write(flags.json ? `${terminalJson(stats)}\n` : formatPoolStats(run, stats));
      } finally {
        conn.close();
      }
    });
}
