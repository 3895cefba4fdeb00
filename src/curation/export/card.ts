/**
 * The dataset card (README.md in the output folder): Hugging Face front matter (so the folder
 * can be pushed as a dataset repository as is), then what is in the files, how it was selected
 * and filtered, its distributions and its provenance. It holds no timestamp: the same pool,
 * settings and seed give byte-identical output.
 */
import type {
  DecontaminationSummary,
  DedupSummary,
  StoredDecontaminationSettings,
  StoredDedupSettings,
} from '../analyze.js';
import {
  EXCLUSION_REASONS,
  type ExclusionCounts,
  REASON_FLAG,
  REASON_TEXT,
  type SelectionFilters,
} from '../eligibility.js';
import type { BaseStrategy, SelectionPlan } from '../strategies.js';
import type { PromptTemplate } from './chat.js';
import { DIFFICULTY_BINS, type Distributions } from './distributions.js';

export interface CardFile {
  name: string;
  rows: number;
  bytes: number;
  sha256: string;
}

export interface RunProvenance {
  runId: string | null;
  runDir: string;
  configHash: string | null;
  model: string | null;
  runSparqVersion: string | null;
  seeds: string | null;
  solverK: number | null;
  generations: number;
  poolProblems: number;
}

export interface CardInfo {
  plan: SelectionPlan;
  components: { strategy: BaseStrategy; n: number }[];
  filters: SelectionFilters;
  counts: ExclusionCounts;
  inBand: number | null;
  cells: { eligible: number; selected: number };
  dedup: { settings: StoredDedupSettings; summary: DedupSummary } | null;
  decontamination: { settings: StoredDecontaminationSettings; summary: DecontaminationSummary } | null;
  template: PromptTemplate;
  run: RunProvenance;
  exporterVersion: string;
  files: CardFile[];
  distributions: Distributions;
  command: string;
}

const num = (n: number) => n.toLocaleString('en-US');
const pct = (a: number, b: number) => (b === 0 ? '0.0%' : `${((100 * a) / b).toFixed(1)}%`);

/** Model-written labels go into Markdown tables: no pipes, newlines or control characters. */
export function mdCell(text: string): string {
  return text
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')
    .replace(/\|/g, '\\|')
    .replace(/`/g, "'")
    .trim();
}

function sizeCategory(n: number): string {
  if (n < 1_000) return 'n<1K';
  if (n < 10_000) return '1K<n<10K';
  if (n < 100_000) return '10K<n<100K';
  if (n < 1_000_000) return '100K<n<1M';
  if (n < 10_000_000) return '1M<n<10M';
  return '10M<n<100M';
}

function countTable(
  title: string,
  counts: Record<string, number>,
  total: number,
  limit = Infinity,
): string[] {
  const entries = Object.entries(counts);
  const shown = entries.slice(0, limit);
  const lines = [`| ${title} | examples | share |`, '|---|---:|---:|'];
  for (const [k, v] of shown) lines.push(`| ${mdCell(k)} | ${num(v)} | ${pct(v, total)} |`);
  if (entries.length > shown.length) {
    const rest = entries.slice(shown.length).reduce((s, [, v]) => s + v, 0);
    lines.push(`| *${num(entries.length - shown.length)} more* | ${num(rest)} | ${pct(rest, total)} |`);
  }
  return lines;
}

function strategyText(info: CardInfo): string {
  const { plan } = info;
  const band = `[${plan.band[0]}, ${plan.band[1]}]`;
  const describe: Record<BaseStrategy, string> = {
    quantity: 'uniformly random problems',
    quality: `problems with a solve-rate in ${band}, hardest (lowest solve-rate) first`,
    diversity: 'round-robin over archive cells, the hardest remaining problem of each cell per round',
  };
  if (plan.strategy !== 'mix') return `**${plan.strategy}**: ${describe[plan.strategy]}.`;
  return `**mix** (${info.components.map((c) => `${c.strategy} ${num(c.n)}`).join(', ')}; filled in that order, each from what the previous left): ${info.components
    .map((c) => `${c.strategy} = ${describe[c.strategy]}`)
    .join('; ')}.`;
}

export function renderCard(info: CardInfo): string {
  const d = info.distributions;
  const total = d.rows;
  const title = `sparq synthetic math problems: ${info.plan.strategy}, N = ${num(total)}`;
  const out: string[] = [
    '---',
    `pretty_name: ${JSON.stringify(title)}`,
    'license: other',
    'language:',
    '- en',
    'task_categories:',
    '- text-generation',
    'tags:',
    '- math',
    '- synthetic',
    '- sparq',
    'size_categories:',
    `- ${sizeCategory(total)}`,
    'configs:',
    '- config_name: default',
    '  data_files:',
    '  - split: train',
    '    path: train.parquet',
    '---',
    '',
    `# ${title}`,
    '',
    `${num(total)} synthetic math problems with worked solutions, selected from the pool of sparq run \`${info.run.runId ?? '?'}\` ` +
      `(${num(info.run.poolProblems)} problems over ${num(info.run.generations)} generations) for supervised fine-tuning. ` +
      'Problems were written by a language model mutating seed problems (quality-diversity search, SPARQ), ' +
      "and each one's difficulty is its solve-rate: the share of the solver model's attempts that reproduced the reference answer.",
    '',
    '## Files',
    '',
    '| file | examples | bytes | sha256 |',
    '|---|---:|---:|---|',
    ...info.files.map((f) => `| \`${f.name}\` | ${num(f.rows)} | ${num(f.bytes)} | \`${f.sha256}\` |`),
    '',
    'Both files hold the same examples in the same order and shape: `messages` (a user turn with the prompt, an assistant turn with the solution ending in `\\boxed{answer}`) and `metadata` (provenance). SFT trainers that read chat data (TRL `SFTTrainer`, axolotl, LLaMA-Factory) use `messages` and ignore `metadata`.',
    '',
    `Prompt template (${info.template.file ? `from \`${mdCell(info.template.file)}\`` : 'the default'}; \`{{problem}}\` is replaced by the problem):`,
    '',
    '```text',
    info.template.text.replace(/```/g, "'''"),
    '```',
    '',
    'Metadata: `uid` (pool id), `run_id`, `generation`, `operator` (seed, vary, harder, combine), `parents` (uids the problem was mutated from), ' +
      '`seed_id`, `template_ref`/`template_hash` (the mutation prompt), `model`, `answer` (reference), `subject`, `skill`, `level`, `cell`, ' +
      '`solve_rate`, `attempts`, `correct`, `verified`, `disputed`, `majority_answer`, `majority_share`, `request_keys` ' +
      '(deterministic keys of the mutation, labelling and solve requests in the run database), `selected_by` (strategy), `sparq_version`.',
    '',
    '## Selection',
    '',
    `Strategy ${strategyText(info)} N = ${num(info.plan.n)}, seed ${info.plan.seed}. ` +
      `Archive cells covered: ${num(info.cells.selected)} of the ${num(info.cells.eligible)} cells with a qualifying problem.`,
    '',
    `Command: \`${info.command.replace(/`/g, "'")}\``,
    '',
    '### Filters',
    '',
    `${num(info.counts.eligible)} of ${num(info.counts.total)} pool problems qualified${info.inBand !== null ? ` (${num(info.inBand)} of them inside the solve-rate band)` : ''}. Each excluded problem is counted under its first reason.`,
    '',
    '| filter | applied | excluded |',
    '|---|---|---:|',
  ];
  const applied: Record<(typeof EXCLUSION_REASONS)[number], boolean> = {
    seed: !info.filters.includeSeeds,
    unverified: !info.filters.includeUnverified,
    disputed: !info.filters.includeDisputed,
    duplicate: !info.filters.includeDuplicates,
    contaminated: !info.filters.includeContaminated,
  };
  for (const r of EXCLUSION_REASONS)
    out.push(
      `| ${REASON_TEXT[r]} | ${applied[r] ? 'yes' : `no (${REASON_FLAG[r]})`} | ${applied[r] ? num(info.counts.excluded[r] ?? 0) : '-'} |`,
    );
  out.push('');
  if (info.dedup) {
    const { settings: s, summary: m } = info.dedup;
    out.push(
      `Deduplication: exact (same text after lowercasing and whitespace collapsing) and near duplicates (Jaccard similarity >= ${s.threshold} of ${s.shingleSize}-word shingle sets; MinHash ${s.numHashes} with LSH ${m.banding.bands}x${m.banding.rows}, candidates verified exactly), ` +
        `within the pool and against the seed file ${s.seeds ? `\`${mdCell(s.seeds)}\`` : '(none)'}. Clusters keep their earliest problem. ` +
        `Pool: ${num(m.duplicates)} duplicates (${num(m.exactDuplicates)} exact, ${num(m.nearDuplicates)} near, ${num(m.duplicatesOfSeedFile)} of seed-file problems) in ${num(m.clusters)} clusters.`,
      '',
    );
  }
  if (info.decontamination) {
    const { settings: s, summary: m } = info.decontamination;
    out.push(
      `Decontamination: ${s.ngram}-gram overlap of normalized word tokens with ${s.sets.map((x) => `\`${mdCell(x.name)}\``).join(', ')} ` +
        `(texts shorter than ${s.ngram} tokens are compared whole). Pool: ${num(m.contaminated)} contaminated problems ` +
        `(${num(m.contaminatedSeeds)} seeds, ${num(m.contaminatedGenerated)} generated).`,
      '',
      '| evaluation set | items | contaminated pool problems | sha256 |',
      '|---|---:|---:|---|',
      ...m.sets.map(
        (x) =>
          `| ${mdCell(x.name)} | ${num(x.items)} | ${num(x.contaminated)} | \`${x.sha256.slice(0, 16)}…\` |`,
      ),
      '',
    );
  }
  out.push('## Distributions', '', '### Difficulty (solve-rate)', '');
  out.push(
    `Mean solve-rate ${d.meanSolveRate === null ? 'n/a' : d.meanSolveRate.toFixed(3)} (lower is harder).`,
    '',
    '| solve-rate | examples | share |',
    '|---|---:|---:|',
  );
  d.difficulty.forEach((v, i) => {
    const lo = (i / DIFFICULTY_BINS).toFixed(1);
    const hi = ((i + 1) / DIFFICULTY_BINS).toFixed(1);
    out.push(`| ${`[${lo}, ${hi}${i === DIFFICULTY_BINS - 1 ? ']' : ')'}`} | ${num(v)} | ${pct(v, total)} |`);
  });
  if (d.noSolveRate > 0) out.push(`| not evaluated | ${num(d.noSolveRate)} | ${pct(d.noSolveRate, total)} |`);
  out.push(
    '',
    '### Subjects',
    '',
    ...countTable('subject', d.subjects, total),
    '',
    '### Skills',
    '',
    ...countTable('subject / skill', d.skills, total, 40),
    '',
    '### Generations',
    '',
    ...countTable('generation', d.generations, total),
    '',
    '### Operators',
    '',
    ...countTable('operator', d.operators, total),
    '',
    `Lengths: prompt ${Math.round(d.promptChars.mean)} characters on average (max ${num(d.promptChars.max)}), solution ${Math.round(d.completionChars.mean)} (max ${num(d.completionChars.max)}).`,
    '',
    '## Provenance',
    '',
    '| | |',
    '|---|---|',
    `| run id | \`${mdCell(info.run.runId ?? '?')}\` |`,
    `| run directory | \`${mdCell(info.run.runDir)}\` |`,
    `| config hash | \`${mdCell(info.run.configHash ?? '?')}\` |`,
    `| model | ${mdCell(info.run.model ?? '?')} |`,
    `| solver attempts per problem (k) | ${info.run.solverK ?? '?'} |`,
    `| seed problems | ${mdCell(info.run.seeds ?? '?')} |`,
    `| sparq version of the run | ${mdCell(info.run.runSparqVersion ?? '?')} |`,
    `| sparq version of this export | ${mdCell(info.exporterVersion)} |`,
    '',
    '## Licence and caveats',
    '',
    'The problems are derived from the seed problems' +
      (info.run.seeds === 'bundled:math_train'
        ? ' of the MATH train split (Hendrycks et al. 2021, MIT licence)'
        : '; check the licence of the seed data') +
      " and were written by the model named above: check that model's terms of use before redistributing its outputs. " +
      'A verified problem had at least one solver attempt reproduce its reference answer; that does not prove the reference correct. ' +
      'Solve-rates are estimates from a finite number of attempts by one solver model.',
    '',
  );
  return out.join('\n');
}
