/**
 * `sparq scaling FILES... --x data_size|model_size`: fits accuracy against size over several eval
 * files (one point each, one series per benchmark) and plots points and fits as SVG.
 *
 *   sparq scaling evals/q-*.json --x data_size --out scaling.svg --json scaling.json
 *   sparq scaling a.json=1k b.json=4k c.json=16k d.json=64k --x data_size
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Command, Option } from 'commander';
import { readEvalFile } from '../eval/read-eval.js';
import { scalingMarkdown } from '../eval/report-markdown.js';
import { buildScaling, parseScalingArg, type ScalingAxis } from '../eval/scaling.js';
import { scalingSvg } from '../eval/svg.js';
import { SPARQ_VERSION } from '../version.js';

interface ScalingFlags {
  x: ScalingAxis;
  metric: string;
  out?: string;
  json?: string;
}

export function register(program: Command): void {
  program
    .command('scaling')
    .description('Fit accuracy against data or model size over eval files (power law, log-linear); SVG plot')
    .argument(
      '<files...>',
      'eval JSON files, each optionally as FILE=x (x overrides the size stored in the file)',
    )
    .addOption(
      new Option('--x <axis>', 'the size on the x axis')
        .choices(['data_size', 'model_size'])
        .makeOptionMandatory(),
    )
    .option('--metric <name>', 'the metric on the y axis (any key of the eval metrics)', 'pass@1')
    .option('--out <file.svg>', 'write the plot as SVG')
    .option('--json <file>', 'write points and fits as JSON')
    .action((args: string[], flags: ScalingFlags) => {
      const inputs = args.map((arg) => {
        const { file, x } = parseScalingArg(arg);
        return { file, x, data: readEvalFile(file) };
      });
      const result = buildScaling(inputs, flags.x, flags.metric, {
        sparqVersion: SPARQ_VERSION,
        createdAt: new Date().toISOString(),
      });
      process.stdout.write(scalingMarkdown(result));
      if (flags.out) write(flags.out, scalingSvg(result));
      if (flags.json) write(flags.json, `${JSON.stringify(result, null, 2)}\n`);
    });
}

function write(file: string, text: string): void {
  mkdirSync(dirname(file) || '.', { recursive: true });
  writeFileSync(file, text);
}
