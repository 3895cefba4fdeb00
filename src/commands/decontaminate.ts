import type { Command } from 'commander';
import { poolSnapshot } from '../curation/analysis-store.js';
import { ensureDecontamination } from '../curation/analyze.js';
import { contaminationExamples, formatDecontaminationReport } from '../curation/decontaminate-report.js';
import { terminalJson } from '../curation/terminal.js';
import { SqliteRunStore } from '../storage/sqlite-store.js';
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
      const store = SqliteRunStore.open(run, { create: false });
      try {
        const snapshot = poolSnapshot(store.db);
        const outcome = ensureDecontamination(store, snapshot, settings, { force: flags.refresh === true });
        const { analysis } = outcome;
        const report = {
          settings: analysis.settings,
          summary: analysis.summary,
          examples: contaminationExamples(
            store.db,
            analysis.summary.sets.map((s) => s.name),
            flags.examples,
          ),
        };
        process.stdout.write(
          flags.json ? `${terminalJson(report)}\n` : formatDecontaminationReport(report, outcome.cached),
        );
        if (outcome.schema === 'temp')
          process.stderr.write('note: the run database is read-only; the result was not stored\n');
      } finally {
        store.close();
      }
    });
}
