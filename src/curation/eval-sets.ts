/**
 * Evaluation sets to decontaminate against: the bundled benchmarks by name (the same names as
 * `sparq eval --benchmark`), or JSONL files of the user's own in the seed schema. Only `problem`
 * matters for decontamination, so a line needs just a non-empty `problem` (and an `id`, else its
 * line number names it); answers and solutions are not required.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { BUNDLED_BENCHMARKS } from '../eval/benchmarks.js';
import { UserError } from '../util/errors.js';

export interface EvalItem {
  id: string;
  problem: string;
}

export interface EvalSet {
  name: string;
  /** `bundled:<name>` or an absolute path. */
  source: string;
  sha256: string;
  items: EvalItem[];
}

/** The bundled sets checked by default: MATH test, MATH-500, GSM8K test, SVAMP, OlympiadBench. */
export const DEFAULT_EVAL_SETS = ['math', 'math500', 'gsm8k', 'svamp', 'olympiadbench'] as const;

const MAX_REPORTED = 10;

/** A bundled name or a path to a JSONL file; anything else is an error listing the names. */
export function loadEvalSet(spec: string): EvalSet {
  const bundled = BUNDLED_BENCHMARKS[spec];
  let file: string;
  let name: string;
  if (bundled) {
    file = bundled.file;
    name = spec;
  } else {
    file = resolve(spec);
    name = basename(file, extname(file));
    let isFile = false;
    try {
      isFile = statSync(file).isFile();
    } catch {
      throw new UserError(
        `unknown evaluation set "${spec}": not a bundled name (${Object.keys(BUNDLED_BENCHMARKS).join(', ')}) and no such file`,
      );
    }
    if (!isFile) throw new UserError(`evaluation set ${spec} is not a file`);
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new UserError(
      `cannot read evaluation set ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  return {
    name,
    source: bundled ? `bundled:${spec}` : file,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    items: parseEvalItems(bytes.toString('utf8'), file),
  };
}

export function parseEvalItems(text: string, file: string): EvalItem[] {
  const items: EvalItem[] = [];
  const errors: string[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch (err) {
      errors.push(`  ${file}:${line}: not valid JSON (${(err as Error).message})`);
      return;
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      errors.push(`  ${file}:${line}: expected a JSON object`);
      return;
    }
    const rec = obj as Record<string, unknown>;
    if (typeof rec.problem !== 'string' || rec.problem.trim() === '') {
      errors.push(`  ${file}:${line}: missing "problem" (a non-empty string)`);
      return;
    }
    const id = typeof rec.id === 'string' || typeof rec.id === 'number' ? String(rec.id) : `line ${line}`;
    items.push({ id, problem: rec.problem });
  });
  if (errors.length > 0) {
    const more = errors.length > MAX_REPORTED ? `\n  ... and ${errors.length - MAX_REPORTED} more` : '';
    throw new UserError(
      `invalid evaluation set (${errors.length} bad line${errors.length === 1 ? '' : 's'}):\n${errors.slice(0, MAX_REPORTED).join('\n')}${more}`,
    );
  }
  if (items.length === 0)
    throw new UserError(`evaluation set ${file} is empty: expected one JSON object per line`);
  return items;
}

/** Loads the sets named by `specs`, refusing two sets with one name (their counts would mix). */
export function loadEvalSets(specs: readonly string[]): EvalSet[] {
  const sets: EvalSet[] = [];
  for (const spec of specs) {
    const set = loadEvalSet(spec);
    const clash = sets.find((s) => s.name === set.name);
    if (clash) {
      if (clash.source === set.source) continue; // the same set named twice
      throw new UserError(
        `two evaluation sets are named "${set.name}" (${clash.source} and ${set.source}): rename one file`,
      );
    }
    sets.push(set);
  }
  return sets;
}
