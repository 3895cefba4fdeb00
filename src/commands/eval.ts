/**
 * `sparq eval`: measures a served model on a benchmark with the answer checker sparq uses for
 * solve-rates, before and after fine-tuning alike.
 *
 *   sparq eval --benchmark math500 --base-url http://127.0.0.1:8000/v1 --model base --out evals/base.json
 *   sparq eval --benchmark gsm8k --samples 8 --temperature 0.6 --model tuned --data-size 8000
 *
 * Requests are cached next to the output (`<out>.cache/`), so an interrupted eval resumes where it
 * stopped when the same command runs again. See docs/evaluation.md.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { AnswerChecker } from '../answer/index.js';
import { createBackend } from '../backends/create.js';
import { prepareModel } from '../engine/doctor.js';
import { createGateway, MemoryCache } from '../engine/gateway/index.js';
import { loadBenchmark } from '../eval/benchmarks.js';
import { DEFAULT_CONFIDENCE } from '../eval/bootstrap.js';
import { computeBreakdowns, computeMetrics } from '../eval/metrics.js';
import { buildEvalPrompt } from '../eval/prompt.js';
import { evalMarkdown } from '../eval/report-markdown.js';
import { runEval } from '../eval/runner.js';
import { parseSize } from '../eval/scaling.js';
import { serializeEvalFile } from '../eval/serialize.js';
import type { EvalFile } from '../eval/types.js';
import { acquireRunLock, type RunLock } from '../storage/lock.js';
import { SqliteRunStore } from '../storage/sqlite-store.js';
import { errorMessage, UserError } from '../util/errors.js';
import { abortOnSignals, interruptExitCode } from '../util/interrupt.js';
import { SPARQ_VERSION } from '../version.js';
import { addBootstrapOptions, intArg, numArg } from './args.js';
import { addBackendOptions, addConfigOptions, type ConfigFlags, resolveConfig } from './config-options.js';

interface EvalFlags extends ConfigFlags {
  benchmark: string;
  limit?: number;
  out?: string;
  samples: number;
  temperature?: number;
  topP: number;
  maxTokens: number;
  template?: string;
  fewShot: number;
  fewShotFile?: string;
  seed: number;
  dataSize?: number;
  modelSize?: number;
  label?: string;
  bootstrap: number;
  bootstrapSeed: number;
  cacheDir?: string;
  cache: boolean;
  saveOutputs?: boolean;
  quiet?: boolean;
}

/** Default temperature when sampling several answers per item (a common setting for maj@k / pass@k). */
export const DEFAULT_SAMPLING_TEMPERATURE = 0.6;

function sizeArg(flag: string) {
  return (value: string): number => {
    const n = parseSize(value);
    if (n === null)
      throw new InvalidArgumentError(
        `${flag} expects a positive size such as 8000, 8k or 7B, got "${value}"`,
      );
    return n;
  };
}

const safeName = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '') || 'model';
const stem = (file: string) => file.replace(/\.json$/i, '');

/** A response store that lives as long as the process: for --no-cache. */
export function register(program: Command): void {
  const cmd = program
    .command('eval')
    .description('Evaluate a served model on a benchmark (pass@1, maj@k, pass@k with bootstrap intervals)')
    .requiredOption(
      '--benchmark <name|file>',
      'math500, math, gsm8k, svamp, olympiadbench, or a JSONL file of {id, problem, answer, subject?, level?}',
    )
    .option('--limit <n>', 'evaluate only the first n items', intArg('--limit', 1, 10_000_000))
    .option('--out <file>', 'result JSON (default evals/<benchmark>-<model>.json); markdown goes next to it')
    .option('--samples <k>', 'samples per item', intArg('--samples', 1, 1024), 1)
    .option(
      '--temperature <t>',
      `sampling temperature (default 0, greedy, with one sample; ${DEFAULT_SAMPLING_TEMPERATURE} with several)`,
      numArg('--temperature', 0, 2),
    )
    .option('--top-p <p>', 'nucleus sampling top-p', numArg('--top-p', 0.001, 1), 1)
    .option('--max-tokens <n>', 'maximum tokens per answer', intArg('--max-tokens', 1, 1_000_000), 2048)
    .option(
      '--template <file|id>',
      'prompt template file or bundled id (default eval-cot; eval-fewshot with --few-shot)',
    )
    .option(
      '--few-shot <n>',
      'worked examples before each problem (bundled: up to 8 MATH train problems)',
      intArg('--few-shot', 0, 64),
      0,
    )
    .option(
      '--few-shot-file <file>',
      'take the few-shot examples from this JSONL ({id, problem, solution}) instead',
    )
    .option('--seed <n>', 'sampling seed sent with each request', intArg('--seed', 0, 2 ** 31 - 1), 0)
    .option(
      '--data-size <n>',
      'fine-tuning set size, stored for `sparq scaling --x data_size` (8000, 8k)',
      sizeArg('--data-size'),
    )
    .option(
      '--model-size <n>',
      'model size, stored for `sparq scaling --x model_size` (9e9, 9B)',
      sizeArg('--model-size'),
    )
    .option('--label <text>', 'a name for this model in compare and scaling output (e.g. "quality-8k")');
  addBootstrapOptions(cmd, 'bootstrap resamples for the intervals')
    .option('--cache-dir <dir>', 'request cache directory (default <out without .json>.cache)')
    .option('--no-cache', 'do not cache requests (an interrupted eval then starts over)')
    .option('--save-outputs', 'keep every raw model output in the result JSON')
    .option('-q, --quiet', 'no progress and no markdown on stdout');
  addBackendOptions(addConfigOptions(cmd)).action(async (flags: EvalFlags) => {
    await runEvalCommand(flags);
  });
}

async function runEvalCommand(flags: EvalFlags): Promise<void> {
  const temperature = flags.temperature ?? (flags.samples > 1 ? DEFAULT_SAMPLING_TEMPERATURE : 0);
  if (flags.samples > 1 && temperature === 0)
    throw new UserError(
      `--samples ${flags.samples} with --temperature 0: greedy samples are all the same answer; give a temperature > 0`,
    );
  if (flags.fewShotFile !== undefined && flags.fewShot === 0)
    throw new UserError('--few-shot-file needs --few-shot N (how many examples to use)');
  const config = resolveConfig(flags);
  const benchmark = loadBenchmark(flags.benchmark);
  const items = flags.limit !== undefined ? benchmark.items.slice(0, flags.limit) : benchmark.items;
  const prompt = buildEvalPrompt({
    template: flags.template,
    fewShot: flags.fewShot,
    fewShotFile: flags.fewShotFile,
    benchmarkProblems: benchmark.items.map((it) => it.problem),
  });
  const out = flags.out ?? `evals/${safeName(benchmark.name)}-${safeName(config.model.model)}.json`;
  const cacheDir = flags.cache ? (flags.cacheDir ?? `${stem(out)}.cache`) : null;

  const model = await prepareModel(config.model, {
    onWait: (message) => {
      if (!flags.quiet) process.stderr.write(`${message}\n`);
    },
  });
  for (const warning of model.report?.warnings ?? []) process.stderr.write(`warning: ${warning}\n`);
  const backend = createBackend(model.settings);
  let store: SqliteRunStore | null = null;
  let lock: RunLock | null = null;
  const controller = new AbortController();
  const stopListening = abortOnSignals(controller);
  let lastReport = 0;
  let finished = 0;
  try {
    if (cacheDir) {
      mkdirSync(cacheDir, { recursive: true });
      lock = acquireRunLock(cacheDir, `sparq eval --benchmark ${flags.benchmark} --out ${out}`);
      store = SqliteRunStore.open(cacheDir);
    }
    const { gateway, ledger } = createGateway(model.settings, backend, store ?? new MemoryCache());
    const checker = new AnswerChecker();
    const sampling = {
      samples: flags.samples,
      temperature,
      topP: flags.topP,
      maxTokens: flags.maxTokens,
      seed: flags.seed,
    };
    if (!flags.quiet)
      process.stderr.write(
        `eval ${benchmark.name}: ${items.length} items x ${flags.samples} sample${flags.samples === 1 ? '' : 's'} on ${backend.description}${cacheDir ? ` (cache ${cacheDir})` : ''}\n`,
      );
    let verdicts: Awaited<ReturnType<typeof runEval>>;
    try {
      verdicts = await runEval({
        gateway,
        prompt,
        checker,
        items,
        sampling,
        concurrency: model.settings.max_concurrency,
        saveOutputs: flags.saveOutputs,
        signal: controller.signal,
        onProgress: (done, total) => {
          finished = done;
          const now = Date.now();
          if (flags.quiet || (now - lastReport < 2000 && done !== total)) return;
          lastReport = now;
          process.stderr.write(`  ${done}/${total} items (${Math.round((100 * done) / total)}%)\n`);
        },
      });
    } catch (err) {
      const where = cacheDir
        ? `the ${finished} finished items are cached in ${cacheDir}; run the same command again to resume`
        : 'nothing was cached (--no-cache)';
      if (controller.signal.aborted)
        throw new UserError(`eval interrupted: ${where}`, interruptExitCode(controller.signal.reason));
      throw new UserError(`eval stopped: ${errorMessage(err)}\n${where}`, 1);
    }
    const bootstrap = {
      resamples: flags.bootstrap,
      seed: flags.bootstrapSeed,
      confidence: DEFAULT_CONFIDENCE,
    };
    const usage = ledger.totals();
    const result: EvalFile = {
      kind: 'sparq-eval',
      schemaVersion: 1,
      sparqVersion: SPARQ_VERSION,
      createdAt: new Date().toISOString(),
      model: {
        name: config.model.model,
        kind: config.model.kind,
        backend: backend.description,
        settings: model.decided,
      },
      benchmark: {
        name: benchmark.name,
        bundled: benchmark.bundled,
        file: benchmark.bundled
          ? `data/benchmarks/${benchmark.file.split(/[\\/]/).pop()}`
          : resolve(benchmark.file),
        sha256: benchmark.sha256,
        items: items.length,
        totalItems: benchmark.items.length,
        limit: flags.limit ?? null,
      },
      prompt: {
        templateRef: prompt.template.ref,
        templateHash: prompt.template.hash,
        templateFile: prompt.template.file,
        fewShot: prompt.fewShot
          ? {
              n: prompt.fewShot.n,
              source: prompt.fewShot.source,
              ids: prompt.fewShot.ids,
              mode: prompt.fewShot.mode,
            }
          : null,
      },
      sampling,
      meta: {
        dataSize: flags.dataSize ?? null,
        modelSize: flags.modelSize ?? null,
        label: flags.label ?? null,
      },
      metrics: computeMetrics(verdicts, flags.samples, bootstrap),
      breakdowns: computeBreakdowns(verdicts, flags.samples, bootstrap),
      bootstrap: { ...bootstrap, method: 'percentile' },
      usage: {
        requestsSent: usage.requestsSent,
        cacheHits: usage.cacheHits,
        promptTokens: usage.promptTokens,
        completionTokens: usage.completionTokens,
        cacheDir,
      },
      truncatedSamples: verdicts.reduce(
        (s, it) => s + it.finishReasons.filter((r) => r === 'length').length,
        0,
      ),
      refusedItems: verdicts.filter((it) => it.refused !== undefined).length,
      items: verdicts,
    };
    const markdown = evalMarkdown(result);
    writeAtomic(out, serializeEvalFile(result));
    writeAtomic(`${stem(out)}.md`, markdown);
    if (!flags.quiet) {
      process.stdout.write(`\n${markdown}`);
      process.stderr.write(
        `wrote ${out} and ${stem(out)}.md (${usage.requestsSent} requests sent, ${usage.cacheHits} from the cache)\n`,
      );
    }
  } finally {
    stopListening();
    store?.close();
    lock?.release();
    await backend.close();
  }
}

/** Write-then-rename, so a reader (or a crash) never sees half a result file. */
function writeAtomic(file: string, text: string): void {
  mkdirSync(dirname(file) || '.', { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}
