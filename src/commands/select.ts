import { type Command, InvalidArgumentError } from 'commander';
import type { DecontaminationSettings } from '../curation/analyze.js';
import { DEFAULT_NGRAM } from '../curation/decontaminate.js';
import { DEFAULT_DEDUP_SETTINGS, type DedupSettings } from '../curation/dedup/dedup.js';
import type { SelectionFilters } from '../curation/eligibility.js';
import { DEFAULT_EVAL_SETS } from '../curation/eval-sets.js';
import { selectAndExport } from '../curation/select.js';
import {
  DEFAULT_BAND,
  parseBand,
  parseMix,
  parseStrategy,
  type SelectionPlan,
  type Strategy,
} from '../curation/strategies.js';
import { terminalJson } from '../curation/terminal.js';
import { UserError } from '../util/errors.js';
import { intArg } from './args.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

function thresholdArg(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 1)
    throw new InvalidArgumentError(`--threshold expects a Jaccard similarity in (0, 1], got "${value}"`);
  return n;
}

export interface DecontaminationFlags {
  ngram: number;
  evalSet?: string[];
  bundledEvalSets: string;
}

/** The decontamination flags, shared by `select` and `decontaminate`. */
export function addDecontaminationOptions(cmd: Command): Command {
  return cmd
    .option(
      '--ngram <n>',
      'decontamination: n-gram size in normalized word tokens',
      intArg('--ngram', 3, 100),
      DEFAULT_NGRAM,
    )
    .option(
      '--eval-set <name|file>',
      'decontamination: another evaluation set, a bundled name or a JSONL file with a "problem" per line (repeatable)',
      collect,
    )
    .option(
      '--bundled-eval-sets <names>',
      `decontamination: bundled sets to check, comma-separated, or "none" (${DEFAULT_EVAL_SETS.join(',')})`,
      DEFAULT_EVAL_SETS.join(','),
    );
}

export function decontaminationSettings(flags: DecontaminationFlags): DecontaminationSettings {
  const bundled =
    flags.bundledEvalSets.trim() === 'none'
      ? []
      : flags.bundledEvalSets
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean);
  for (const name of bundled) {
    if (!(DEFAULT_EVAL_SETS as readonly string[]).includes(name))
      throw new UserError(
        `--bundled-eval-sets: unknown set "${name}" (bundled: ${DEFAULT_EVAL_SETS.join(', ')}; use --eval-set for files)`,
      );
  }
  const sets = [...bundled, ...(flags.evalSet ?? [])];
  if (sets.length === 0)
    throw new UserError(
      'no evaluation set to decontaminate against: keep a bundled set or add --eval-set FILE',
    );
  return { ngram: flags.ngram, sets };
}

interface SelectFlags extends DecontaminationFlags {
  strategy: Strategy;
  n: number;
  out: string;
  seed: number;
  band?: string;
  mix?: string;
  template?: string;
  includeSeeds?: boolean;
  includeUnverified?: boolean;
  includeDisputed?: boolean;
  includeDuplicates?: boolean;
  includeContaminated?: boolean;
  threshold: number;
  numHashes: number;
  shingle: number;
  seeds?: string;
  force?: boolean;
  json?: boolean;
}

function strategyArg(value: string): Strategy {
  try {
    return parseStrategy(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** The command line as typed, quoted where needed, for the dataset card. */
function commandLine(): string {
  return ['sparq', ...process.argv.slice(2)]
    .map((a) => (/^[\w./:=,@+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))
    .join(' ');
}

export function buildPlan(flags: SelectFlags): SelectionPlan {
  const mix = flags.mix === undefined ? {} : parseMix(flags.mix);
  if (flags.strategy === 'mix' && flags.mix === undefined)
    throw new UserError('--strategy mix needs --mix, e.g. --mix quality=0.5,diversity=0.5');
  if (flags.strategy !== 'mix' && flags.mix !== undefined)
    throw new UserError(`--mix only applies to --strategy mix (got --strategy ${flags.strategy})`);
  const usesQuality = flags.strategy === 'quality' || (flags.strategy === 'mix' && (mix.quality ?? 0) > 0);
  if (flags.band !== undefined && !usesQuality)
    throw new UserError(
      '--band only applies to the quality strategy (alone or with a quality weight in --mix)',
    );
  return {
    strategy: flags.strategy,
    n: flags.n,
    seed: flags.seed,
    band: flags.band === undefined ? DEFAULT_BAND : parseBand(flags.band),
    mix,
  };
}

export function register(program: Command): void {
  const cmd = program
    .command('select')
    .description(
      'Select a fine-tuning set from a run (quantity, quality, diversity or a mix, at matched N) and export it as JSONL + Parquet + dataset card',
    )
    .argument('<run>', 'run directory')
    .requiredOption('--strategy <name>', 'quantity | quality | diversity | mix', strategyArg)
    .requiredOption('--n <count>', 'number of problems to select', intArg('--n', 1, 1_000_000_000))
    .requiredOption('--out <dir>', 'output folder (train.jsonl, train.parquet, README.md, selection.json)')
    .option('--seed <n>', 'selection seed (random draws and tie-breaks)', intArg('--seed', 0, 4294967295), 0)
    .option('--band <lo,hi>', `quality: inclusive solve-rate band (default ${DEFAULT_BAND.join(',')})`)
    .option('--mix <weights>', 'mix: weights, e.g. quality=0.5,diversity=0.5')
    .option(
      '--template <file>',
      'prompt template file with {{problem}} (default: zero-shot, answer in \\boxed{})',
    )
    .option('--include-seeds', 'also select seed problems (the original data)')
    .option('--include-unverified', 'also select unverified problems (no attempt reproduced the answer)')
    .option(
      '--include-disputed',
      "also select disputed problems (the attempts' majority disagrees with the answer)",
    )
    .option(
      '--include-duplicates',
      'also select duplicates (non-representative members of a duplicate cluster)',
    )
    .option('--include-contaminated', 'also select problems that overlap an evaluation set')
    .option(
      '--threshold <j>',
      'dedup: Jaccard similarity of word-shingle sets for near duplicates',
      thresholdArg,
      DEFAULT_DEDUP_SETTINGS.threshold,
    )
    .option(
      '--num-hashes <n>',
      'dedup: MinHash signature length',
      intArg('--num-hashes', 16, 256),
      DEFAULT_DEDUP_SETTINGS.numHashes,
    )
    .option(
      '--shingle <n>',
      'dedup: words per shingle',
      intArg('--shingle', 1, 10),
      DEFAULT_DEDUP_SETTINGS.shingleSize,
    )
    .option(
      '--seeds <spec>',
      'dedup: seed file to deduplicate against (default: the run\'s; "none" for none)',
    );
  addDecontaminationOptions(cmd)
    .option('--force', 'replace an existing export in --out')
    .option('--json', 'print the outcome as JSON on stdout')
    .action((run: string, flags: SelectFlags) => {
      const plan = buildPlan(flags);
      const filters: SelectionFilters = {
        includeSeeds: flags.includeSeeds === true,
        includeUnverified: flags.includeUnverified === true,
        includeDisputed: flags.includeDisputed === true,
        includeDuplicates: flags.includeDuplicates === true,
        includeContaminated: flags.includeContaminated === true,
      };
      const dedup: DedupSettings = {
        threshold: flags.threshold,
        numHashes: flags.numHashes,
        shingleSize: flags.shingle,
      };
      const outcome = selectAndExport({
        runDir: run,
        plan,
        filters,
        dedup,
        ...(flags.seeds === undefined ? {} : { seeds: flags.seeds }),
        // With contaminated problems allowed nothing is checked, so no set needs to be named.
        decontamination: filters.includeContaminated
          ? { ngram: flags.ngram, sets: [] }
          : decontaminationSettings(flags),
        ...(flags.template === undefined ? {} : { templateFile: flags.template }),
        outDir: flags.out,
        force: flags.force === true,
        command: commandLine(),
        log: (line) => process.stderr.write(`${line}\n`),
      });
      if (flags.json) {
        process.stdout.write(
          `${terminalJson({
            out: outcome.dataset.dir,
            files: outcome.dataset.files,
            selection: outcome.selection,
            distributions: outcome.dataset.distributions,
          })}\n`,
        );
      } else {
        process.stdout.write(`${outcome.dataset.dir}\n`);
      }
    });
}
