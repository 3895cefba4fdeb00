import type { Command } from 'commander';
import { formatWatchFrame, readWatchData } from '../engine/watch.js';
import { SqliteRunStore } from '../storage/sqlite-store.js';
import { abortOnSignals } from '../util/interrupt.js';
import { sleep } from '../util/sleep.js';
import { numArg } from './args.js';

export function register(program: Command): void {
  program
    .command('watch')
    .description(
      'A live dashboard of a run (running or finished), read-only: progress, rates, slots busy, pool, coverage, QD-score, solve-rates, faults, ETA, spend',
    )
    .argument('<dir>', 'run directory')
    .option('--once', 'print one frame and exit (for scripts and output that is not a terminal)')
    .option('--interval <s>', 'seconds between frames', numArg('--interval', 0.2, 3600), 2)
    .action(async (dir: string, opts: { once?: boolean; interval: number }) => {
      const frame = () => {
        // Opened per frame: a read-only connection sees the run's commits as they land.
        const store = SqliteRunStore.openReadOnly(dir, (line) => process.stderr.write(`${line}\n`));
        try {
          return formatWatchFrame(dir, readWatchData(store));
        } finally {
          store.close();
        }
      };
      if (opts.once) {
        process.stdout.write(frame());
        return;
      }
      const tty = process.stdout.isTTY === true;
      const controller = new AbortController();
      const stop = abortOnSignals(controller);
      try {
        for (;;) {
          const text = frame();
          // On a terminal, redraw in place; elsewhere, one frame after another.
          process.stdout.write(tty ? `\u001b[H\u001b[2J${text}` : `${text}\n`);
          await sleep(opts.interval * 1000, controller.signal);
        }
      } catch (err) {
        if (!controller.signal.aborted) throw err;
      } finally {
        stop();
      }
    });
}
