import type { Command } from 'commander';
import {
  DEFAULT_ROW_GROUP_ROWS,
  DEFAULT_ROWS_PER_FILE,
  exportPool,
  MANIFEST_FILE,
  POOL_EXPORT_FORMATS,
  type PoolExportFormat,
} from '../curation/export/pool-export.js';
import { terminalJson } from '../curation/terminal.js';
import { limitHeapGrowth } from '../engine/heap-growth.js';
import { UserError } from '../util/errors.js';
import { abortOnSignals, Interrupted } from '../util/interrupt.js';
import { choiceArg, intArg } from './args.js';

interface ExportFlags {
  format: PoolExportFormat;
  out: string;
  rowsPerFile: number;
  rowGroupRows: number;
  includeSeeds?: boolean;
  force?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('export')
    .description(
      `Export the whole pool, one row per problem (solve statistics, graded attempts, provenance), as sharded Parquet or JSONL files with a ${MANIFEST_FILE}, for DuckDB, pandas or Spark`,
    )
    .argument('<run>', 'run directory')
    .requiredOption('--out <dir>', `output folder (part-00000.<format>, ..., ${MANIFEST_FILE})`)
    .option(
      '--format <name>',
      POOL_EXPORT_FORMATS.join(' | '),
      choiceArg('--format', POOL_EXPORT_FORMATS),
      'parquet',
    )
    .option(
      '--rows-per-file <n>',
      'rows per shard',
      intArg('--rows-per-file', 1, 1_000_000_000),
      DEFAULT_ROWS_PER_FILE,
    )
    .option(
      '--row-group-rows <n>',
      'Parquet: rows per row group (a group also closes at 32 MB of text)',
      intArg('--row-group-rows', 1, 1_000_000),
      DEFAULT_ROW_GROUP_ROWS,
    )
    .option('--include-seeds', 'also export the seed problems (generation 0, the original data)')
    .option('--force', 'replace an export in --out (its manifest and part files; other files stay)')
    .option('--json', 'print the manifest as JSON on stdout')
    .action(async (run: string, flags: ExportFlags) => {
      // A long, allocation-heavy loop with a small live heap, like a run (src/engine/heap-growth.ts).
      limitHeapGrowth();
      const controller = new AbortController();
      const stopListening = abortOnSignals(controller);
      try {
        const result = await exportPool({
          runDir: run,
          outDir: flags.out,
          format: flags.format,
          rowsPerFile: flags.rowsPerFile,
          rowGroupRows: flags.rowGroupRows,
          includeSeeds: flags.includeSeeds === true,
          force: flags.force === true,
          log: (line) => process.stderr.write(`${line}\n`),
          signal: controller.signal,
        });
        const m = result.manifest;
        process.stderr.write(
          `exported ${m.rows.toLocaleString('en-US')} problems in ${m.files.length} ${m.format} file${m.files.length === 1 ? '' : 's'} to ${result.dir} (${result.seconds.toFixed(1)} s)\n`,
        );
        process.stdout.write(flags.json ? `${terminalJson({ out: result.dir, ...m })}\n` : `${result.dir}\n`);
      } catch (err) {
        if (err instanceof Interrupted)
          throw new UserError(
            `export interrupted (${err.signal}): the files it was writing were removed; run the same command with --force to export again`,
            err.exitCode,
          );
        throw err;
      } finally {
        stopListening();
      }
    });
}
