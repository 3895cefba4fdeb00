/**
 * Seed problems: JSONL in the schema of the bundled benchmark data
 * ({id, problem, solution, answer?, subject?, level?}). Every line is validated; a malformed line
 * is an error naming the file and line, unless the caller asked to skip bad lines, in which case
 * they are counted and reported.
 */
import { fileURLToPath } from 'node:url';
import { extractAnswer } from '../answer/index.js';
import { parseSubject, type Subject } from '../domain/subjects.js';
import { readUserFile, UserError } from '../util/errors.js';

export interface SeedProblem {
  id: string;
  problem: string;
  solution: string;
  /** Reference final answer: the `answer` field, else the last `\boxed{}` of the solution. */
  answer: string;
  /** One of the MATH subjects, or null when the file gives none (the model labels it). */
  subject: Subject | null;
  level: string | null;
}

export interface SeedLoadResult {
  seeds: SeedProblem[];
  file: string;
  skipped: { line: number; reason: string }[];
  /** Seeds (by id) over the problem-length limit, with their line; still in `seeds`. */
  tooLong: Map<string, { line: number; reason: string }>;
  /** Seeds whose `subject` is none of the MATH subjects (a typo, or another taxonomy): the model labels them. */
  unknownSubjects: { line: number; subject: string }[];
}

export const BUNDLED_SEEDS: Record<string, { file: string; description: string }> = {
  math_train: {
    file: fileURLToPath(new URL('../../data/seeds/math_train.jsonl', import.meta.url)),
    description: 'MATH train split (Hendrycks et al. 2021, MIT), 7,498 problems',
  },
};

/** Resolves `bundled:NAME` to a file shipped with sparq; any other value is a path. */
export function resolveSeedPath(spec: string): string {
  if (!spec.startsWith('bundled:')) return spec;
  const name = spec.slice('bundled:'.length);
  const bundled = BUNDLED_SEEDS[name];
  if (!bundled) {
    throw new UserError(
      `unknown bundled seed set "${name}"; available: ${Object.keys(BUNDLED_SEEDS)
        .map((n) => `bundled:${n}`)
        .join(', ')}`,
    );
  }
  return bundled.file;
}

const MAX_REPORTED = 20;

export function loadSeeds(
  spec: string,
  options: {
    skipInvalid?: boolean;
    /**
     * Problems longer than this are listed in `tooLong` (generation.max_problem_chars), not
     * dropped: the run draws its sample first, so that the limit does not change which seeds it gets.
     */
    maxProblemChars?: number;
  } = {},
): SeedLoadResult {
  const file = resolveSeedPath(spec);
  const text = readUserFile(file, 'seed file');
  const skipInvalid = options.skipInvalid ?? false;
  const seeds: SeedProblem[] = [];
  const errors: { line: number; reason: string }[] = [];
  const seenIds = new Map<string, number>();
  const tooLong = new Map<string, { line: number; reason: string }>();
  const unknownSubjects: { line: number; subject: string }[] = [];

  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    const read = parseSeedLine(raw, seenIds);
    if (typeof read === 'string') errors.push({ line, reason: read });
    else {
      const parsed = read.seed;
      seenIds.set(parsed.id, line);
      seeds.push(parsed);
      if (parsed.subject === null && read.givenSubject !== null)
        unknownSubjects.push({ line, subject: read.givenSubject });
      const max = options.maxProblemChars ?? Number.POSITIVE_INFINITY;
      if (parsed.problem.length > max)
        tooLong.set(parsed.id, {
          line,
          reason: `"problem" is ${parsed.problem.length.toLocaleString('en-US')} characters, over generation.max_problem_chars (${max}); raise it or leave the problem out`,
        });
    }
  });

  if (errors.length > 0 && !skipInvalid) {
    const shown = errors.slice(0, MAX_REPORTED).map((e) => `  ${file}:${e.line}: ${e.reason}`);
    const more = errors.length > MAX_REPORTED ? `\n  ... and ${errors.length - MAX_REPORTED} more` : '';
    throw new UserError(
      `invalid seed file (${errors.length} bad line${errors.length === 1 ? '' : 's'}):\n${shown.join('\n')}${more}\n` +
        'Fix the lines, or pass --skip-invalid (seeds.skip_invalid: true) to skip them.',
    );
  }
  if (seeds.length === 0) {
    throw new UserError(
      errors.length > 0
        ? `seed file ${file} has no valid problems (all ${errors.length} lines were invalid)`
        : `seed file ${file} is empty: expected one JSON object per line`,
    );
  }
  return { seeds, file, skipped: errors, tooLong, unknownSubjects };
}

/**
 * One line of a JSONL file in the seed schema, up to its id: a JSON object with a string or
 * number `id` not seen before (`seen`: id -> line). Returns the record, or what is wrong.
 */
export function parseIdentifiedLine(
  raw: string,
  seen: Map<string, number>,
): { rec: Record<string, unknown>; id: string } | string {
  let obj: unknown;
  try {
    obj = JSON.parse(raw);
  } catch (err) {
    return `not valid JSON (${(err as Error).message})`;
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return 'expected a JSON object';
  const rec = obj as Record<string, unknown>;
  if (typeof rec.id !== 'string' && typeof rec.id !== 'number') return 'missing "id" (a string or number)';
  const id = String(rec.id);
  const first = seen.get(id);
  if (first !== undefined) return `duplicate id ${JSON.stringify(id)} (first seen on line ${first})`;
  return { rec, id };
}

/** A seed as read, with the subject the file gave (as written). */
function parseSeedLine(
  raw: string,
  seenIds: Map<string, number>,
): { seed: SeedProblem; givenSubject: string | null } | string {
  const parsed = parseIdentifiedLine(raw, seenIds);
  if (typeof parsed === 'string') return parsed;
  const { rec, id: idText } = parsed;

  for (const key of ['problem', 'solution'] as const) {
    const v = rec[key];
    if (v === undefined || v === null) return `missing "${key}" (a non-empty string)`;
    if (typeof v !== 'string') return `"${key}": expected a string, found ${describeJson(v)}`;
    if (v.trim() === '') return `"${key}" is empty`;
  }
  const problem = rec.problem as string;
  for (const key of ['answer', 'subject', 'level'] as const) {
    if (
      rec[key] !== undefined &&
      rec[key] !== null &&
      typeof rec[key] !== 'string' &&
      typeof rec[key] !== 'number'
    ) {
      return `"${key}": expected a string, found ${describeJson(rec[key])}`;
    }
  }

  let answer = rec.answer === undefined || rec.answer === null ? '' : String(rec.answer).trim();
  if (answer === '') {
    const extracted = extractAnswer(rec.solution as string);
    if (extracted.found) answer = extracted.answer.trim();
  }
  if (answer === '')
    return 'the solution has no final answer (no "answer" field and no non-empty \\boxed{} in "solution")';

  const subjectText = rec.subject === undefined || rec.subject === null ? null : String(rec.subject);
  return {
    seed: {
      id: idText,
      problem,
      solution: rec.solution as string,
      answer,
      subject: parseSubject(subjectText),
      level: rec.level === undefined || rec.level === null ? null : String(rec.level),
    },
    givenSubject: subjectText,
  };
}

function describeJson(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v} (${JSON.stringify(v).slice(0, 40)})`;
}
