import type { Command } from 'commander';
import { poolSnapshot } from '../curation/analysis-store.js';
import { ensureDecontamination } from '../curation/analyze.js';
import { contaminationExamples, formatDecontaminationReport } from '../curation/decontaminate-report.js';
import { terminalJson } from '../curation/terminal.js';
import { openAnalysisConnection } from '../storage/analysis-connection.js';
import { intArg } from './args.js';
import { addDecontaminationOptions, type DecontaminationFlags, decontaminationSettings } from './select.js';

interface Flags extends DecontaminationFlags {
  examples: number;
  refresh?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('decontaminate')
    .description(
      'Check every pool problem for n-gram overlap with evaluation sets (MATH test, MATH-500, GSM8K, SVAMP, OlympiadBench, your own) and report it',
    )
    .argument('<run>', 'run directory');
  addDecontaminationOptions(cmd)
    .option('--examples <n>', 'examples shown per evaluation set', intArg('--examples', 0, 1000), 5)
    .option('--refresh', 'recompute even when the stored result is up to date')
    .option('--json', 'print JSON')
    .action((run: string, flags: Flags) => {
      const settings = decontaminationSettings(flags);
      // Read-only on the run; the result goes to the run's curation.db (a note on stderr when
      // the directory cannot be written and it is not kept).
      const conn = openAnalysisConnection(run);
      try {
        const snapshot = poolSnapshot(conn);
        const outcome = ensureDecontamination(conn, snapshot, settings, { force: flags.refresh === true });
        const { analysis } = outcome;
        const report = {
          settings: analysis.settings,
          summary: analysis.summary,
          examples: contaminationExamples(
            conn,
            analysis.summary.sets.map((s) => s.name),
            flags.examples,
          ),
        };
        process.stdout.write(
          flags.json ? `${terminalJson(report)}\n` : formatDecontaminationReport(report, outcome.cached),
        );
      } finally {
        conn.close();
      }
    });
}
