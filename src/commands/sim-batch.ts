import { renameSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { runBatchLines } from '../sim/batch-runner.js';
import { readUserFile, UserError } from '../util/errors.js';
import { intArg, rateArg } from './args.js';

export function register(program: Command): void {
  program
    .command('sim-batch')
    .description(
      'Run an OpenAI Batch input file through the simulated model, as `vllm run-batch -i IN -o OUT` does (for tests and dry runs of batch mode)',
    )
    .argument('<in>', 'input file (OpenAI Batch JSONL, e.g. RUN/batches/batch-00001.jsonl)')
    .argument('<out>', 'output file (e.g. RUN/batches/batch-00001.output.jsonl)')
    .option('--model <names>', 'model name(s) served, comma-separated', 'sim-1')
    .option('--error-rate <rate>', 'share of lines answered with an error', rateArg('--error-rate'), 0)
    .option(
      '--complete <share>',
      'share of lines processed before the batch stops, as an expired batch returns what it completed',
      rateArg('--complete'),
      1,
    )
    .option(
      '--errors <file>',
      'write failed lines to this error file, as the OpenAI Batch API does (default: into the output, as vLLM does)',
    )
    .option('--seed <n>', 'seed of the error draws', intArg('--seed', 0, 2 ** 31), 0)
    .action((input: string, output: string, opts) => {
      if (opts.errors === output) throw new UserError('--errors must name another file than the output');
      const text = readUserFile(input, 'batch input file');
      const result = runBatchLines(text.split('\n'), {
        models: String(opts.model)
          .split(',')
          .map((m) => m.trim())
          .filter(Boolean),
        faults: { errorRate: opts.errorRate, complete: opts.complete, seed: opts.seed },
        separateErrors: opts.errors !== undefined,
      });
      // Under the final name only when whole: sparq reads an output file as soon as it is there.
      const write = (path: string, lines: string[]) => {
        const tmp = `${path}.tmp-${process.pid}`;
        try {
          writeFileSync(tmp, lines.map((l) => `${l}\n`).join(''));
          renameSync(tmp, path);
        } catch (err) {
          throw new UserError(
            `cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
            1,
          );
        }
      };
      write(output, result.output);
      if (opts.errors !== undefined) write(opts.errors, result.errors);
      process.stderr.write(
        `sim-batch: ${result.processed} of ${result.total} lines processed, ${result.output.length} written to ${output}` +
          (opts.errors !== undefined ? `, ${result.errors.length} to ${opts.errors}` : '') +
          '\n',
      );
    });
}
