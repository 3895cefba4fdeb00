/**
 * Reading eval files back (for `compare` and `scaling`). A file that is not JSON, is another kind
 * of sparq file, or lacks what the command needs is an error naming the file and the field, not a
 * comparison computed from undefined values.
 */
import { z } from 'zod';
import { readUserFile, UserError } from '../util/errors.js';
import type { EvalFile } from './types.js';

const metric = z.looseObject({ value: z.number(), ci: z.tuple([z.number(), z.number()]) });

const EvalFileSchema = z.looseObject({
  kind: z.literal('sparq-eval'),
  schemaVersion: z.literal(1),
  model: z.looseObject({ name: z.string(), kind: z.string(), backend: z.string() }),
  benchmark: z.looseObject({
    name: z.string(),
    file: z.string(),
    sha256: z.string(),
    items: z.number().int().nonnegative(),
  }),
  prompt: z.looseObject({ templateRef: z.string() }),
  sampling: z.looseObject({
    samples: z.number().int().positive(),
    temperature: z.number(),
    topP: z.number(),
    maxTokens: z.number(),
    seed: z.number(),
  }),
  meta: z.looseObject({
    dataSize: z.number().positive().nullable(),
    modelSize: z.number().positive().nullable(),
    label: z.string().nullable(),
  }),
  metrics: z.record(z.string(), metric),
  items: z
    .array(
      z.looseObject({
        id: z.string(),
        gold: z.string(),
        correct: z.array(z.boolean()).min(1),
        answers: z.array(z.string().nullable()),
        majority: z.looseObject({ correct: z.boolean() }),
      }),
    )
    .min(1),
});

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.length ? issue.path.join('.') : '(top level)';
  return `${path}: ${issue.message}`;
}

/** Parses an eval file, or throws a UserError that says which file and what is wrong with it. */
export function parseEvalFile(text: string, file: string): EvalFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${file}: not a sparq eval file (invalid JSON: ${(err as Error).message})`);
  }
  if (data && typeof data === 'object' && !Array.isArray(data)) {
    const kind = (data as Record<string, unknown>).kind;
    if (typeof kind === 'string' && kind !== 'sparq-eval')
      throw new UserError(`${file}: this is a "${kind}" file, not an eval file written by \`sparq eval\``);
  }
  const parsed = EvalFileSchema.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `  - ${describeIssue(i)}`);
    const more = parsed.error.issues.length > 5 ? `\n  ... and ${parsed.error.issues.length - 5} more` : '';
    throw new UserError(`${file}: not a valid sparq eval file:\n${issues.join('\n')}${more}`);
  }
  const result = parsed.data as unknown as EvalFile;
  const k = result.sampling.samples;
  const bad = result.items.find((it) => it.correct.length !== k || it.answers.length !== k);
  if (bad)
    throw new UserError(
      `${file}: item ${bad.id} has ${bad.correct.length} verdicts, but the file says ${k} samples per item`,
    );
  const ids = new Set<string>();
  for (const it of result.items) {
    if (ids.has(it.id)) throw new UserError(`${file}: item id ${JSON.stringify(it.id)} appears twice`);
    ids.add(it.id);
  }
  return result;
}

export function readEvalFile(file: string): EvalFile {
  const text = readUserFile(file, 'eval file');
  return parseEvalFile(text, file);
}
