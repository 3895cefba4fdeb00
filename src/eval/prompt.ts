/**
 * The evaluation prompt: a versioned template (zero-shot chain of thought with a `\boxed{}` final
 * answer by default), optionally preceded by worked examples (few-shot). The examples are the
 * same for every item of a benchmark, so the prompt differs between items only in the problem:
 * scores stay comparable across items and servers can reuse their prefix cache.
 *
 * Few-shot examples come from a fixed, bundled list of MATH *train* problems (one or two per
 * subject, short solutions ending in `\boxed{}`), or from the first N lines of a file the user
 * gives (the benchmark's own train split, for instance). An example whose problem is also an item
 * of the evaluated benchmark is skipped, so no item is ever shown with its own solution.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ChatMessage } from '../backends/types.js';
import { loadTemplate, type PromptTemplate, parseTemplate, renderTemplate } from '../prompts/templates.js';
import { UserError } from '../util/errors.js';
import { type BenchmarkItem, parseBenchmarkText } from './benchmarks.js';

export const ZERO_SHOT_TEMPLATE = 'eval-cot';
export const FEW_SHOT_TEMPLATE = 'eval-fewshot';

export const FEW_SHOT_SOURCE_FILE = fileURLToPath(
  new URL('../../data/seeds/math_train.jsonl', import.meta.url),
);

/**
 * The bundled few-shot examples, in the order they are used: ids in the MATH train split
 * (data/seeds/math_train.jsonl), subjects interleaved so that any prefix is varied. Chosen for
 * short solutions, a single `\boxed{}`, no Asymptote figures, levels 2-3, and problems absent
 * from the MATH test split.
 */
export const BUNDLED_FEW_SHOT_IDS: readonly string[] = [
  'train/algebra/5.json',
  'train/number_theory/6.json',
  'train/counting_and_probability/21.json',
  'train/geometry/20.json',
  'train/prealgebra/13.json',
  'train/intermediate_algebra/19.json',
  'train/precalculus/3.json',
  'train/counting_and_probability/32.json',
];

export interface FewShotExample {
  id: string;
  problem: string;
  solution: string;
}

export interface EvalPrompt {
  template: PromptTemplate;
  fewShot: {
    n: number;
    source: string;
    ids: string[];
    mode: 'inline' | 'turns';
    examples: FewShotExample[];
  } | null;
  /** The chat messages that ask the model to solve `problem`. */
  messages(problem: string): ChatMessage[];
}

export interface EvalPromptOptions {
  /** A template file, or the id of a bundled template (prompts/<id>.md). */
  template?: string;
  fewShot: number;
  /** JSONL with {id, problem, solution}; default: the bundled MATH train examples. */
  fewShotFile?: string;
  /** Problems of the evaluated benchmark: examples equal to one of them are skipped. */
  benchmarkProblems: readonly string[];
}

const ALLOWED_PLACEHOLDERS = new Set(['problem', 'examples']);

export function loadEvalTemplate(spec: string): PromptTemplate {
  const looksLikeFile = spec.includes('/') || spec.includes('\\') || spec.endsWith('.md');
  if (looksLikeFile || existsSync(spec)) {
    let text: string;
    try {
      text = readFileSync(spec, 'utf8');
    } catch (err) {
      throw new UserError(
        `cannot read template ${spec}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      );
    }
    return parseTemplate(text, spec);
  }
  try {
    return loadTemplate(spec);
  } catch (err) {
    if (err instanceof UserError && /not found/.test(err.message))
      throw new UserError(
        `unknown template "${spec}": give a template file, or a bundled id such as ${ZERO_SHOT_TEMPLATE} or ${FEW_SHOT_TEMPLATE}`,
      );
    throw err;
  }
}

const normalize = (text: string) => text.replace(/\s+/g, ' ').trim();

function loadExamples(file: string | undefined, wanted: number, exclude: Set<string>): FewShotExample[] {
  const source = file ?? FEW_SHOT_SOURCE_FILE;
  let text: string;
  try {
    text = readFileSync(source, 'utf8');
  } catch (err) {
    throw new UserError(
      `cannot read few-shot file ${source}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  let pool: BenchmarkItem[];
  if (file) pool = parseBenchmarkText(text, source);
  else {
    // The bundled file is the whole MATH train split: read only the listed lines' objects.
    const byId = new Map<string, BenchmarkItem>();
    const wantedIds = new Set(BUNDLED_FEW_SHOT_IDS);
    for (const line of text.split('\n')) {
      const m = /^\{"id": "([^"]+)"/.exec(line);
      if (!m || !wantedIds.has(m[1]!)) continue;
      const [item] = parseBenchmarkText(line, source);
      byId.set(item!.id, item!);
    }
    pool = BUNDLED_FEW_SHOT_IDS.map((id) => {
      const item = byId.get(id);
      if (!item) throw new Error(`bundled few-shot example ${id} is missing from ${source}`);
      return item;
    });
  }
  const usable = pool.filter((it) => it.solution !== null && !exclude.has(normalize(it.problem)));
  if (usable.length < wanted) {
    throw new UserError(
      `--few-shot ${wanted}: only ${usable.length} usable examples in ${file ?? 'the bundled set'} ` +
        '(examples need a "solution", and those that are items of the evaluated benchmark are skipped)',
    );
  }
  return usable.slice(0, wanted).map((it) => ({ id: it.id, problem: it.problem, solution: it.solution! }));
}

function renderExamples(examples: readonly FewShotExample[]): string {
  return examples.map((e) => `Problem:\n${e.problem.trim()}\n\nSolution:\n${e.solution.trim()}`).join('\n\n');
}

/**
 * The template is used as is when it has an `{{examples}}` placeholder (the examples are written
 * into it); otherwise few-shot examples become earlier chat turns: the template's user message
 * for the example's problem, answered by an assistant message holding the worked solution.
 */
export function buildEvalPrompt(options: EvalPromptOptions): EvalPrompt {
  const fewShot = options.fewShot;
  const template = loadEvalTemplate(
    options.template ?? (fewShot > 0 ? FEW_SHOT_TEMPLATE : ZERO_SHOT_TEMPLATE),
  );
  const unknown = template.placeholders.filter((p) => !ALLOWED_PLACEHOLDERS.has(p));
  if (unknown.length > 0)
    throw new UserError(
      `${template.file}: unknown placeholder${unknown.length > 1 ? 's' : ''} ${unknown.map((p) => `{{${p}}}`).join(', ')}; an evaluation template may use {{problem}} and {{examples}}`,
    );
  if (!template.placeholders.includes('problem'))
    throw new UserError(`${template.file}: an evaluation template needs a {{problem}} placeholder`);
  const inline = template.placeholders.includes('examples');
  if (inline && fewShot === 0)
    throw new UserError(`${template.file} has an {{examples}} placeholder: pass --few-shot N (N >= 1)`);
  if (fewShot === 0) {
    return { template, fewShot: null, messages: (problem) => renderTemplate(template, { problem }) };
  }
  const examples = loadExamples(
    options.fewShotFile,
    fewShot,
    new Set(options.benchmarkProblems.map(normalize)),
  );
  const meta = {
    n: fewShot,
    source: options.fewShotFile ?? 'bundled:math_train',
    ids: examples.map((e) => e.id),
    mode: inline ? ('inline' as const) : ('turns' as const),
    examples,
  };
  if (inline) {
    const block = renderExamples(examples);
    return {
      template,
      fewShot: meta,
      messages: (problem) => renderTemplate(template, { problem, examples: block }),
    };
  }
  const system = template.messages.filter((m) => m.role === 'system');
  const turns: ChatMessage[] = examples.flatMap((e) => [
    ...renderTemplate(template, { problem: e.problem }).filter((m) => m.role !== 'system'),
    { role: 'assistant' as const, content: e.solution },
  ]);
  return {
    template,
    fewShot: meta,
    messages: (problem) => [
      ...renderTemplate({ ...template, messages: system }, { problem }),
      ...turns,
      ...renderTemplate(template, { problem }).filter((m) => m.role !== 'system'),
    ],
  };
}
