import type { Command } from 'commander';
import { formatRunStatus, readRunStatus } from '../engine/status.js';
import { checkIntegrity, integrityOk } from '../storage/integrity.js';
import { SqliteRunStore } from '../storage/sqlite-store.js';

export function printStatus(dir: string, json: boolean): void {
  const store = SqliteRunStore.openReadOnly(dir, (line) => process.stderr.write(`${line}\n`));
  try {
    const status = readRunStatus(store);
    process.stdout.write(json ? `${JSON.stringify(status, null, 2)}\n` : formatRunStatus(dir, status));
  } finally {
    store.close();
  }
}

export function register(program: Command): void {
  program
    .command('status')
    .description('Show a run: generation, problems by status, coverage, QD-score, spend and faults')
    .argument('<dir>', 'run directory')
    .option('--json', 'print JSON')
    .option('--check', "check the run database's integrity (PRAGMA integrity_check) and what can be read")
    .action((dir: string, opts: { json?: boolean; check?: boolean }) => {
      if (!opts.check) return printStatus(dir, opts.json === true);
      const report = checkIntegrity(dir);
      const ok = integrityOk(report);
      process.stdout.write(
        opts.json
          ? `${JSON.stringify({ ...report, ok }, null, 2)}\n`
          : `${[
              `${report.file}: ${ok ? 'intact' : 'DAMAGED'}`,
              ...(report.note ? [`  (${report.note})`] : []),
              ...report.problems.filter((p) => p !== 'ok').map((p) => `  - ${p}`),
              ...report.tables.map(
                (t) => `  ${t.name}: ${t.rows === null ? `unreadable (${t.error})` : `${t.rows} rows`}`,
              ),
              ok
                ? ''
                : 'Copy what is readable with `sqlite3 sparq.db .recover | sqlite3 recovered.db`, or restore a backup.',
            ]
              .filter((l) => l !== '')
              .join('\n')}\n`,
      );
      if (!ok) process.exitCode = 1;
    });
}
