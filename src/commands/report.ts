import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { isRunDirectory } from '../engine/execute.js';
import { readUserFile, UserError } from '../util/errors.js';
import { intArg } from './args.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function register(program: Command): void {
  program
    .command('report')
    .description(
      'Write a self-contained HTML report of a run (charts, archive, samples; evaluation and scaling results when present)',
    )
    .argument('<dir>', 'run directory')
    .option('-o, --out <file>', 'where to write it (default: <dir>/report.html)')
    .option(
      '--eval <file>',
      'an eval JSON to include (repeatable; <dir>/evals/*.json are included anyway)',
      collect,
    )
    .option(
      '--scaling <file>',
      'a scaling JSON to include (repeatable; <dir>/scaling/*.json are included anyway)',
      collect,
    )
    .option('--max-samples <n>', 'sample problems shown at most', intArg('--max-samples', 0, 10_000), 60)
    .option('--open', 'print the path and open the report when a desktop is available')
    .action(
      async (
        dir: string,
        opts: { out?: string; eval?: string[]; scaling?: string[]; maxSamples: number; open?: boolean },
      ) => {
        if (!isRunDirectory(dir)) throw new UserError(`${dir} is not a sparq run directory (no sparq.db)`);
        for (const file of [...(opts.eval ?? []), ...(opts.scaling ?? [])]) {
          if (!existsSync(file)) throw new UserError(`no such file: ${file}`);
        }
        // Files named on the command line must be what they are said to be; files merely found
        // in <dir>/evals and <dir>/scaling are included when they read.
        for (const file of opts.eval ?? []) checkNamedFile(file, 'eval');
        for (const file of opts.scaling ?? []) checkNamedFile(file, 'scaling');
        const out = resolve(opts.out ?? join(dir, 'report.html'));
        try {
          accessSync(dirname(out), constants.W_OK);
        } catch {
          throw new UserError(`cannot write ${out}: its folder does not exist or is not writable`);
        }
        // Loaded here: vega, vega-lite and KaTeX weigh ~30 MB, which no other command should carry.
        const { writeReport } = await import('../report/write.js');
        const bytes = await writeReport(dir, out, {
          evalFiles: opts.eval,
          scalingFiles: opts.scaling,
          maxSamples: opts.maxSamples,
        });
        process.stdout.write(`${out}\n`);
        process.stderr.write(`report written (${(bytes / 1024).toFixed(0)} KB)\n`);
        if (opts.open) openInBrowser(out);
      },
    );
}

/** Opens the file where a desktop session exists; on servers the printed path is the result. */
function openInBrowser(file: string): void {
  const opener =
    process.platform === 'darwin'
      ? 'open'
      : process.platform === 'win32'
        ? 'explorer'
        : process.env.DISPLAY || process.env.WAYLAND_DISPLAY
          ? 'xdg-open'
          : null;
  if (!opener) return;
  const child = spawn(opener, [file], { detached: true, stdio: 'ignore' });
  child.on('error', () => undefined);
  child.unref();
}

/** A file named with --eval or --scaling must hold what the report shows of it. */
function checkNamedFile(file: string, what: 'eval' | 'scaling'): void {
  let data: unknown;
  try {
    data = JSON.parse(readUserFile(file, `${what} file`));
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${file}: not a sparq ${what} file (invalid JSON: ${(err as Error).message})`);
  }
  const d = (data ?? {}) as { kind?: unknown; metrics?: unknown };
  const usable =
    what === 'eval' ? typeof d.metrics === 'object' && d.metrics !== null : d.kind === 'sparq-scaling';
  if (!usable)
    throw new UserError(
      `${file}: not a sparq ${what} file (${what === 'eval' ? 'no "metrics"; write one with `sparq eval`' : 'write one with `sparq scaling --json`'})`,
    );
}
