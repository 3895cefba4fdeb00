/**
 * Evaluation sets: the bundled benchmarks by name, or any JSONL file in the common schema
 * {id, problem, answer, solution?, subject?, level?, source?}. Every line is validated and a bad
 * line is an error naming file and line: an eval over a silently shortened set would report a
 * number for a benchmark that was not the one asked for.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractAnswer } from '../answer/index.js';
import { parseIdentifiedLine } from '../seeds/load.js';
import { decodeUserText, UserError } from '../util/errors.js';

export interface BenchmarkItem {
  id: string;
  problem: string;
  answer: string;
  solution: string | null;
  subject: string | null;
  level: string | null;
}

export interface Benchmark {
  name: string;
  bundled: boolean;
  file: string;
  sha256: string;
  items: BenchmarkItem[];
}

const bundled = (file: string) => fileURLToPath(new URL(`../../data/benchmarks/${file}`, import.meta.url));

/** The bundled sets (data/benchmarks/README.md has their origin and licences). */
export const BUNDLED_BENCHMARKS: Record<string, { file: string; description: string }> = {
  math500: {
    file: bundled('math500_test.jsonl'),
    description: 'MATH-500 (PRM800K test split), 500 problems',
  },
  math: { file: bundled('math_test.jsonl'), description: 'MATH test split, 5,000 problems' },
  gsm8k: { file: bundled('gsm8k_test.jsonl'), description: 'GSM8K test split, 1,319 problems' },
  svamp: { file: bundled('svamp.jsonl'), description: 'SVAMP, 1,000 problems' },
  olympiadbench: {
    file: bundled('olympiadbench.jsonl'),
    description: 'OlympiadBench (OE_TO_maths_en_COMP), 675 problems',
  },
};

const MAX_REPORTED = 20;

/**
 * A bundled name, or a path to a JSONL file. Anything else is an error that lists the names, so
 * a typo (`math-500`) does not read as a missing file.
 */
export function resolveBenchmark(spec: string): { name: string; file: string; bundled: boolean } {
  const known = BUNDLED_BENCHMARKS[spec];
  if (known) return { name: spec, file: known.file, bundled: true };
  if (existsSync(spec)) {
    if (!statSync(spec).isFile()) throw new UserError(`benchmark ${spec} is not a file`);
    return { name: basename(spec, extname(spec)), file: spec, bundled: false };
  }
  throw new UserError(
    `unknown benchmark "${spec}": not a bundled name and no such file.\nBundled benchmarks:\n${Object.entries(
      BUNDLED_BENCHMARKS,
    )
      .map(([name, b]) => `  ${name.padEnd(14)} ${b.description}`)
      .join('\n')}\nOr give a JSONL file with one {"id", "problem", "answer"} object per line.`,
  );
}

export function loadBenchmark(spec: string): Benchmark {
  const { name, file, bundled: isBundled } = resolveBenchmark(spec);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new UserError(
      `cannot read benchmark file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const items = parseBenchmarkText(decodeUserText(bytes, file, 'benchmark file'), file);
  return { name, bundled: isBundled, file, sha256, items };
}

/** Parses and validates benchmark JSONL; `file` only labels the errors. */
export function parseBenchmarkText(text: string, file: string): BenchmarkItem[] {
  const items: BenchmarkItem[] = [];
  const errors: string[] = [];
  const seen = new Map<string, number>();
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    const parsed = parseLine(raw, seen);
    if (typeof parsed === 'string') errors.push(`  ${file}:${line}: ${parsed}`);
    else {
      seen.set(parsed.id, line);
      items.push(parsed);
    }
  });
  if (errors.length > 0) {
    const more = errors.length > MAX_REPORTED ? `\n  ... and ${errors.length - MAX_REPORTED} more` : '';
    throw new UserError(
      `invalid benchmark file (${errors.length} bad line${errors.length === 1 ? '' : 's'}):\n${errors
        .slice(0, MAX_REPORTED)
        .join('\n')}${more}`,
    );
  }
  if (items.length === 0)
    throw new UserError(`benchmark file ${file} is empty: expected one JSON object per line`);
  return items;
}

function parseLine(raw: string, seen: Map<string, number>): BenchmarkItem | string {
  const parsed = parseIdentifiedLine(raw, seen);
  if (typeof parsed === 'string') return parsed;
  const { rec, id } = parsed;
  if (typeof rec.problem !== 'string' || rec.problem.trim() === '')
    return 'missing "problem" (a non-empty string)';
  for (const key of ['answer', 'solution', 'subject', 'level'] as const) {
    const v = rec[key];
    if (v !== undefined && v !== null && typeof v !== 'string' && typeof v !== 'number')
      return `"${key}" must be a string`;
  }
  const solution = typeof rec.solution === 'string' && rec.solution.trim() !== '' ? rec.solution : null;
  let answer = rec.answer === undefined || rec.answer === null ? '' : String(rec.answer).trim();
  // Seed-style files may carry only a worked solution: its last box is the reference answer.
  if (answer === '' && solution) {
    const e = extractAnswer(solution);
    if (e.found) answer = e.answer.trim();
  }
  if (answer === '') return 'no reference answer (no "answer" field and no \\boxed{} in "solution")';
  const text = (v: unknown) => (v === undefined || v === null || String(v).trim() === '' ? null : String(v));
  return { id, problem: rec.problem, answer, solution, subject: text(rec.subject), level: text(rec.level) };
}
