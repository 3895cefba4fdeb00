/**
 * `sparq check`: answer equivalence from the command line, for audits and for grading files.
 *
 *   sparq check --gold '\frac12' --pred 0.5
 *   sparq check --file attempts.jsonl [--extract] [--workers 2] > verdicts.jsonl
 */
import { once } from 'node:events';
import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { Extraction } from '../answer/index.js';
import { AnswerChecker, CheckerPool, type PoolPair, type Verdict } from '../answer/index.js';
import { UserError } from '../util/errors.js';
import { intArg } from './args.js';

interface CheckOptions {
  gold?: string;
  pred?: string;
  file?: string;
  extract?: boolean;
  json?: boolean;
  timeout: number;
  workers: number;
}

type LineVerdict = Verdict & { extracted?: Extraction };

export function register(program: Command): void {
  program
    .command('check')
    .description('Check whether predicted answers match reference answers (one pair, or a JSONL file)')
    .option('--gold <answer>', 'reference answer')
    .option('--pred <answer>', 'predicted answer (a full model output with --extract)')
    .option(
      '--file <path>',
      'JSONL file of {"gold", "pred"} lines ("-" reads stdin); prints one verdict line per input line',
    )
    .option('--extract', "treat pred as a model's full output and extract its final answer first")
    .option('--json', 'print the single verdict as JSON')
    .option('--timeout <ms>', 'time limit per check in milliseconds', intArg('--timeout', 1, 600_000), 2000)
    .option(
      '--workers <n>',
      'with --file: check on n worker threads with a hard time limit (0: in process)',
      intArg('--workers', 0, 64),
      0,
    )
    .action(async (opts: CheckOptions) => {
      if (opts.file !== undefined) {
        if (opts.gold !== undefined || opts.pred !== undefined)
          throw new UserError('check: use either --file or --gold/--pred, not both');
        await checkFile(opts.file, opts);
        return;
      }
      if (opts.gold === undefined || opts.pred === undefined) {
        throw new UserError('check: give --gold and --pred (or --file F.jsonl); see `sparq check --help`');
      }
      checkOne(opts.gold, opts.pred, opts);
    });
}

function checkOne(gold: string, pred: string, opts: CheckOptions): void {
  const checker = new AnswerChecker({ timeoutMs: opts.timeout });
  const v: LineVerdict = opts.extract ? checker.checkOutput(gold, pred) : checker.check(gold, pred);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(v)}\n`);
    return;
  }
  if (v.extracted) {
    process.stdout.write(
      v.extracted.found
        ? `extracted: ${v.extracted.answer} (from ${v.extracted.source})\n`
        : 'extracted: nothing (no final answer found)\n',
    );
  }
  process.stdout.write(`${v.equivalent ? 'equivalent' : 'not equivalent'} (rule: ${v.rule})\n`);
}

function parseLine(line: string, where: string): { gold: string; pred: string } {
  let rec: unknown;
  try {
    rec = JSON.parse(line);
  } catch (err) {
    throw new UserError(`${where}: invalid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (rec === null || typeof rec !== 'object' || Array.isArray(rec))
    throw new UserError(`${where}: expected a JSON object with "gold" and "pred"`);
  const obj = rec as Record<string, unknown>;
  const field = (name: 'gold' | 'pred'): string => {
    const v = obj[name];
    if (typeof v === 'string') return v;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    throw new UserError(`${where}: missing string field "${name}"`);
  };
  return { gold: field('gold'), pred: field('pred') };
}

async function write(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, 'drain');
}

function render(v: LineVerdict, extract: boolean): string {
  const out: Record<string, unknown> = { equivalent: v.equivalent, rule: v.rule };
  if (extract) out.extracted = v.extracted ?? { found: false };
  return `${JSON.stringify(out)}\n`;
}

async function checkFile(file: string, opts: CheckOptions): Promise<void> {
  const extract = opts.extract === true;
  let input: NodeJS.ReadableStream;
  if (file === '-') input = process.stdin;
  else {
    try {
      if (!statSync(file).isFile()) throw new Error('not a regular file');
    } catch (err) {
      throw new UserError(`check: cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const stream = createReadStream(file, { encoding: 'utf8' });
    stream.on('error', () => {});
    input = stream;
  }
  const name = file === '-' ? '<stdin>' : file;
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  const pool = opts.workers > 0 ? new CheckerPool({ workers: opts.workers, timeoutMs: opts.timeout }) : null;
  const checker = pool ? null : new AnswerChecker({ timeoutMs: opts.timeout });
  const pending: PoolPair[] = [];
  const flush = async () => {
    if (!pool || pending.length === 0) return;
    const verdicts = await pool.checkMany(pending.splice(0));
    for (const v of verdicts) await write(render(v, extract));
  };
  let lineNo = 0;
  try {
    for await (const line of lines) {
      lineNo++;
      if (line.trim() === '') continue;
      let parsed: { gold: string; pred: string };
      try {
        parsed = parseLine(line, `${name}:${lineNo}`);
      } catch (err) {
        // Verdicts for the lines before the bad one are still written, in order.
        await flush();
        throw err;
      }
      const { gold, pred } = parsed;
      if (checker) {
        await write(render(extract ? checker.checkOutput(gold, pred) : checker.check(gold, pred), extract));
      } else {
        pending.push({ gold, predicted: pred, extract });
        if (pending.length >= 512) await flush();
      }
    }
    await flush();
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`check: cannot read ${name}: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await pool?.close();
  }
}
