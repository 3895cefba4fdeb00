/**
 * `sparq compare A B`: is B (say, the fine-tuned model) better than A (the base model)? Paired on
 * the items both evals contain: bootstrap intervals of every metric difference and McNemar's test
 * of the per-item outcomes.
 *
 *   sparq compare evals/base-math500.json evals/tuned-math500.json
 *   sparq compare evals/base/ evals/tuned/ --json compare.json   # every benchmark in both folders
 */
import { mkdirSync, readdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_CONFIDENCE } from '../eval/bootstrap.js';
import { compareEvals, type LoadedEval, pairByBenchmark } from '../eval/compare.js';
import { readEvalFile } from '../eval/read-eval.js';
import { compareMarkdown } from '../eval/report-markdown.js';
import type { CompareFile } from '../eval/types.js';
import { UserError } from '../util/errors.js';
import { SPARQ_VERSION } from '../version.js';
import { addBootstrapOptions, numArg } from './args.js';

interface CompareFlags {
  alpha: number;
  bootstrap: number;
  bootstrapSeed: number;
  json?: string;
  out?: string;
}

/** An eval file, or every `*.json` eval file directly inside a directory. */
function loadSide(path: string): { files: LoadedEval[]; isDir: boolean } {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new UserError(`cannot read ${path}: no such file or directory`);
  }
  if (!isDir) return { files: [{ file: path, data: readEvalFile(path) }], isDir };
  const names = readdirSync(path)
    .filter((f) => f.endsWith('.json'))
    .sort();
  if (names.length === 0) throw new UserError(`${path} holds no .json eval files`);
  return { files: names.map((n) => ({ file: join(path, n), data: readEvalFile(join(path, n)) })), isDir };
}

export function register(program: Command): void {
  const cmd = program
    .command('compare')
    .description('Compare two evals of the same benchmark(s): paired bootstrap and McNemar test (B vs A)')
    .argument('<a>', 'eval JSON of the reference model (A), or a directory of them')
    .argument('<b>', 'eval JSON of the model to test (B), or a directory of them')
    .option('--alpha <a>', 'significance level of the verdict', numArg('--alpha', 1e-9, 0.5), 0.05);
  addBootstrapOptions(cmd, 'bootstrap resamples')
    .option('--json <file>', 'write the comparison as JSON')
    .option('--out <file>', 'also write the markdown summary to this file')
    .action((a: string, b: string, flags: CompareFlags) => {
      const sideA = loadSide(a);
      const sideB = loadSide(b);
      const bootstrap = {
        resamples: flags.bootstrap,
        seed: flags.bootstrapSeed,
        confidence: DEFAULT_CONFIDENCE,
      };
      let pairs: [LoadedEval, LoadedEval][];
      let unmatched: CompareFile['unmatched'] = [];
      if (!sideA.isDir && !sideB.isDir) {
        // Two files: compareEvals itself says why they do not match.
        pairs = [[sideA.files[0]!, sideB.files[0]!]];
      } else {
        ({ pairs, unmatched } = pairByBenchmark(sideA.files, sideB.files));
        if (pairs.length === 0)
          throw new UserError(
            `no benchmark is evaluated on both sides: A has ${[...new Set(sideA.files.map((f) => f.data.benchmark.name))].join(', ')}; B has ${[...new Set(sideB.files.map((f) => f.data.benchmark.name))].join(', ')}`,
          );
      }
      const result: CompareFile = {
        kind: 'sparq-compare',
        schemaVersion: 1,
        sparqVersion: SPARQ_VERSION,
        createdAt: new Date().toISOString(),
        alpha: flags.alpha,
        bootstrap: { ...bootstrap, method: 'percentile' },
        benchmarks: pairs.map(([x, y]) => compareEvals(x, y, { alpha: flags.alpha, bootstrap })),
        unmatched,
      };
      for (const [x, y] of pairs) {
        const same = sameEval(x.file, y.file);
        if (same)
          process.stderr.write(
            `warning: A and B ${same} (${x.file}${x.file === y.file ? '' : `, ${y.file}`}): every difference is 0 and no test can find one; pass the eval of another model as B\n`,
          );
      }
      const markdown = compareMarkdown(result);
      process.stdout.write(markdown);
      if (flags.json) write(flags.json, `${JSON.stringify(result, null, 2)}\n`);
      if (flags.out) write(flags.out, markdown);
    });
}

/** Why comparing these two files is comparing an eval with itself, or null when it is not. */
function sameEval(a: string, b: string): string | null {
  if (realpathSync(a) === realpathSync(b)) return 'are the same file';
  return readFileSync(a).equals(readFileSync(b)) ? 'are identical files' : null;
}

function write(file: string, text: string): void {
  mkdirSync(dirname(file) || '.', { recursive: true });
  writeFileSync(file, text);
}
