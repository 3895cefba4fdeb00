import type { Command } from 'commander';
import { formatRunStatus, readRunStatus } from '../engine/status.js';
import { SqliteRunStore } from '../storage/sqlite-store.js';

export function printStatus(dir: string, json: boolean): void {
  const store = SqliteRunStore.open(dir, { create: false });
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
    .action((dir: string, opts: { json?: boolean }) => printStatus(dir, opts.json === true));
}
