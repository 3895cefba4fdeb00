/**
 * The records a run keeps forever. Every problem carries its full provenance: where it came
 * from (seed or operator and parents), which prompt template and model wrote it, with which
 * sampling parameters, and the request keys of every model call that produced its data.
 */

export type Operator = 'vary' | 'harder' | 'combine';
export type Origin = 'seed' | Operator;
export type InsertStatus = 'NEW' | 'IMPROVED' | 'NOT_ADDED';

export interface SamplingParams {
  n: number;
  temperature: number;
  topP?: number;
  maxTokens?: number;
  seed?: number;
}

export interface AttemptRecord {
  idx: number;
  requestKey: string;
  /** Index of the choice within that request's response. */
  choice: number;
  /** Extracted final answer, or null when none was found. */
  answer: string | null;
  correct: boolean;
  /** The answer-checking rule that decided, for audits. */
  rule: string;
  /** Why the model stopped writing this attempt; `length` means it was cut at max_tokens. */
  finishReason: string;
  /** Whether the attempt counts in the solve-rate (a cut attempt, or one with no answer, does not by default). */
  counted: boolean;
  /** Set when the model judge decided (rule `judge`): its model and the key of its request. */
  judge?: { model: string; requestKey: string };
}

/**
 * Why a problem is unverified: no counted attempt was right; every attempt was cut at max_tokens;
 * or no attempt could count and some ended without stating an answer.
 */
export type UnverifiedReason = 'no_correct_attempt' | 'all_truncated' | 'no_answer';

export interface ProblemRecord {
  /** Deterministic identity: `seed:<id>` or `g<generation>-t<task>`; the same after a resume. */
  uid: string;
  /** The task's number in the run's task sequence (seeds first): the order outcomes were told in. */
  seq: number;
  /** Reporting epoch: 0 for the seeds, then one per `generation.batch_size` mutation tasks. */
  generation: number;
  taskIndex: number;
  origin: Origin;
  seedId: string | null;
  parentUids: string[];
  templateRef: string | null;
  templateHash: string | null;
  model: string | null;
  mutateKey: string | null;
  genParams: SamplingParams | null;
  problem: string;
  solution: string;
  /** Reference final answer written by the generator (or the seed file). */
  answer: string;
  /** Hash of the normalized problem text, for exact-duplicate checks. */
  textHash: string;
  subject: string | null;
  skill: string | null;
  /** What the labeller answered, before mapping unknown skills to "other". */
  rawLabel: string | null;
  labelKey: string | null;
  /** The label reply broke the requested format even after `labelReasks` re-asks (malformed content). */
  labelMalformed: boolean;
  /** Times the label was asked again because a reply broke the requested format. */
  labelReasks: number;
  level: string | null;
  attempts: AttemptRecord[];
  correct: number;
  /** Attempts cut at max_tokens. */
  truncated: number;
  /** correct / counted attempts; null when no attempt counted (all were cut or gave no answer). */
  solveRate: number | null;
  majorityAnswer: string | null;
  majorityShare: number | null;
  /** A strong majority of attempts agrees on an answer other than the reference. */
  disputed: boolean;
  /** At least one attempt reproduced the reference answer. */
  verified: boolean;
  /** Null for a verified problem. */
  unverifiedReason: UnverifiedReason | null;
  /** 1 - solve-rate for verified problems, else null. */
  quality: number | null;
  solveKeys: string[];
  solveParams: SamplingParams | null;
  archiveStatus: InsertStatus | null;
  cell: string | null;
}

/**
 * What the run's near-duplicate screen compared (src/engine/near-duplicates.ts): word shingles
 * of `shingleSize` words, MinHash signatures banded for `numHashes` hashes at `threshold`.
 */
export interface NearScreenSettings {
  threshold: number;
  numHashes: number;
  shingleSize: number;
}

export type RejectionReason =
  | 'unparseable'
  | 'no_final_answer'
  | 'several_questions'
  | 'too_long'
  | 'identical_to_parent'
  | 'duplicate'
  /** As similar as `generation.near_duplicate_threshold` to a problem already in the pool. */
  | 'near_duplicate'
  | 'truncated'
  /** A request of this problem did not fit the model's context (refused by the server, or before sending). */
  | 'context_exceeded'
  /** The server refused a request of this problem while answering others. */
  | 'server_rejected';

export interface RejectionRecord {
  uid: string;
  seq: number;
  generation: number;
  taskIndex: number;
  /** `seed` for a seed problem the model could not be asked about (its request was refused). */
  operator: Origin;
  parentUids: string[];
  reason: RejectionReason;
  detail: string | null;
  rawOutput: string | null;
  requestKey: string | null;
}

export interface CachedResponse {
  key: string;
  /** The task (its number in the run's sequence) the request was made for; null outside the task sequence. */
  task: number | null;
  purpose: string;
  model: string;
  templateRef: string | null;
  params: SamplingParams & Record<string, unknown>;
  choices: { text: string; finishReason: string }[];
  promptTokens: number;
  completionTokens: number;
  latencyMs: number;
}
