/**
 * Problems as rows of the `problems` table, in every layout a run can hold.
 *
 * - Since schema 12, as schema 8 with the problem text compressed on its own too (`problem`,
 *   kind `text`): SQL reads it through `problem_text(problem)` (registerProblemText), which
 *   passes older rows' plain text through.
 * - Since schema 8: request keys and the text hash as bytes (hex-keys.ts), and the fields no
 *   query filters on (solution, attempts, raw label, sampling parameters) in one compressed JSON
 *   `body` (body-codec.ts); their own columns are left empty ('' where the column is NOT NULL, else NULL).
 * - Before: every field in its own column, as text.
 *
 * Columns that queries filter or group on (subject, skill, solve-rate, status...) stay plain in
 * all of them.
 */
import type Database from 'better-sqlite3';
import type { AttemptRecord, ProblemRecord, SamplingParams } from '../domain/records.js';
import type { BodyCodec } from './body-codec.js';
import { packHex, packHexList, unpackHex, unpackHexList } from './hex-keys.js';

type Row = Record<string, unknown>;

/**
 * [answer, correct, rule, index into solve_keys, choice, finish reason when not "stop", 0 when
 * not counted, [model, request key] of the judge that decided it].
 */
export type PackedAttempt = [
  answer: string | null,
  correct: 0 | 1,
  rule: string,
  key: number,
  choice: number,
  finish?: string | null,
  counted?: 0 | 1,
  judge?: [model: string, key: string],
];

/** What `problems.body` holds, deflated. */
interface ProblemBody {
  solution: string;
  attempts: PackedAttempt[];
  rawLabel: string | null;
  genParams: SamplingParams | null;
  solveParams: SamplingParams | null;
}

/**
 * The named parameters of the insert statement (sqlite-store.ts), in today's layout.
 * `nearScreen`: the id of the near-duplicate screen that wrote the problem's band keys, negative
 * when it did not also screen the problem completely (a seed, or past its candidate bound); null
 * when no screen ran.
 */
export function problemRow(p: ProblemRecord, codec: BodyCodec, nearScreen: number | null): Row {
  const body: ProblemBody = {
    solution: p.solution,
    attempts: packAttempts(p.attempts, p.solveKeys),
    rawLabel: p.rawLabel,
    genParams: p.genParams,
    solveParams: p.solveParams,
  };
  return {
    uid: p.uid,
    seq: p.seq,
    truncated: p.truncated,
    unverifiedReason: p.unverifiedReason,
    generation: p.generation,
    taskIndex: p.taskIndex,
    origin: p.origin,
    seedId: p.seedId,
    parentUids: JSON.stringify(p.parentUids),
    templateRef: p.templateRef,
    templateHash: p.templateHash,
    model: p.model,
    mutateKey: p.mutateKey === null ? null : packHex(p.mutateKey),
    genParams: null,
    problem: codec.encode(TEXT_KIND, p.problem),
    solution: '',
    answer: p.answer,
    textHash: packHex(p.textHash),
    subject: p.subject,
    skill: p.skill,
    rawLabel: null,
    labelKey: p.labelKey === null ? null : packHex(p.labelKey),
    labelMalformed: p.labelMalformed ? 1 : 0,
    labelReasks: p.labelReasks,
    level: p.level,
    attemptCount: p.attempts.length,
    attemptsJson: '',
    correct: p.correct,
    solveRate: p.solveRate,
    majorityAnswer: p.majorityAnswer,
    majorityShare: p.majorityShare,
    disputed: p.disputed ? 1 : 0,
    verified: p.verified ? 1 : 0,
    quality: p.quality,
    solveKeys: packHexList(p.solveKeys),
    solveParams: null,
    archiveStatus: p.archiveStatus,
    cell: p.cell,
    body: codec.encode('problem', JSON.stringify(body)),
    nearScreen,
    createdAt: NO_ROW_TIME,
  };
}

/**
 * `created_at` of problems and rejections since schema 12: empty. A task's time is its
 * responses' (`created_ms`, to the millisecond) and its epoch's (`generations`); 24 bytes of ISO
 * text on every row repeated them.
 */
export const NO_ROW_TIME = '';

/** The dictionary kind of problem texts (body-codec.ts). */
const TEXT_KIND = 'text';

/** A `problems.problem` value of any layout as its text. */
export function problemText(stored: unknown, codec: BodyCodec): string {
  return Buffer.isBuffer(stored) ? codec.decode(stored) : (stored as string);
}

/**
 * Registers the SQL function `problem_text(problem)` on `db`, for the run whose dictionaries
 * `codec` reads: the only way SQL should read the problem text (curation's passes over the
 * pool, the contamination examples, lineage).
 */
export function registerProblemText(db: Database.Database, codec: BodyCodec): void {
  db.function('problem_text', { deterministic: true }, (stored: unknown) => problemText(stored, codec));
}

/** A `problems` row (SELECT *) of any layout as a record. */
export function rowToProblem(r: Row, codec: BodyCodec): ProblemRecord {
  const solveKeys = unpackHexList(r.solve_keys);
  const body = Buffer.isBuffer(r.body) ? (JSON.parse(codec.decode(r.body)) as ProblemBody) : legacyBody(r);
  return {
    uid: r.uid as string,
    seq: (r.seq as number | null) ?? -1,
    generation: r.generation as number,
    taskIndex: r.task_index as number,
    origin: r.origin as ProblemRecord['origin'],
    seedId: (r.seed_id as string | null) ?? null,
    parentUids: JSON.parse(r.parent_uids as string),
    templateRef: (r.template_ref as string | null) ?? null,
    templateHash: (r.template_hash as string | null) ?? null,
    model: (r.model as string | null) ?? null,
    mutateKey: r.mutate_key == null ? null : unpackHex(r.mutate_key),
    genParams: body.genParams,
    problem: problemText(r.problem, codec),
    solution: body.solution,
    answer: r.answer as string,
    textHash: unpackHex(r.text_hash),
    subject: (r.subject as string | null) ?? null,
    skill: (r.skill as string | null) ?? null,
    rawLabel: body.rawLabel,
    labelKey: r.label_key == null ? null : unpackHex(r.label_key),
    labelMalformed: r.label_malformed === 1,
    labelReasks: (r.label_reasks as number | null) ?? 0,
    level: (r.level as string | null) ?? null,
    attempts: unpackAttempts(body.attempts, solveKeys),
    correct: r.correct as number,
    truncated: (r.truncated as number | null) ?? 0,
    solveRate: (r.solve_rate as number | null) ?? null,
    majorityAnswer: (r.majority_answer as string | null) ?? null,
    majorityShare: (r.majority_share as number | null) ?? null,
    disputed: r.disputed === 1,
    verified: r.verified === 1,
    unverifiedReason: (r.unverified_reason as ProblemRecord['unverifiedReason']) ?? null,
    quality: (r.quality as number | null) ?? null,
    solveKeys,
    solveParams: body.solveParams,
    archiveStatus: (r.archive_status as ProblemRecord['archiveStatus']) ?? null,
    cell: (r.cell as string | null) ?? null,
  };
}

/** The same fields from their own columns (rows written before schema 8). */
function legacyBody(r: Row): ProblemBody {
  return {
    solution: r.solution as string,
    attempts: JSON.parse(r.attempts_json as string) as PackedAttempt[],
    rawLabel: (r.raw_label as string | null) ?? null,
    genParams: r.gen_params ? JSON.parse(r.gen_params as string) : null,
    solveParams: r.solve_params ? JSON.parse(r.solve_params as string) : null,
  };
}

/** Attempts are kept inline with their problem: one row per attempt would mean 10^8 rows at paper scale. */
function packAttempts(attempts: AttemptRecord[], keys: string[]): PackedAttempt[] {
  return attempts.map((a): PackedAttempt => {
    const packed: PackedAttempt = [a.answer, a.correct ? 1 : 0, a.rule, keys.indexOf(a.requestKey), a.choice];
    if (a.finishReason !== 'stop' || !a.counted || a.judge)
      packed.push(a.finishReason === 'stop' ? null : a.finishReason);
    if (!a.counted || a.judge) packed.push(a.counted ? 1 : 0);
    if (a.judge) packed.push([a.judge.model, a.judge.requestKey]);
    return packed;
  });
}

function unpackAttempts(packed: PackedAttempt[], keys: string[]): AttemptRecord[] {
  return packed.map(([answer, correct, rule, key, choice, finish, counted, judge], idx) => ({
    idx,
    requestKey: keys[key] ?? '',
    choice,
    answer,
    correct: correct === 1,
    rule,
    finishReason: finish ?? 'stop',
    counted: counted !== 0,
    ...(judge ? { judge: { model: judge[0], requestKey: judge[1] } } : {}),
  }));
}
