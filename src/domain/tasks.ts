/**
 * The run's task sequence. Task numbers (`seq`) start with the seeds (one evaluation task per
 * seed), then mutation tasks; outcomes are told to the core in this order. A mutation task's
 * place in reporting is its epoch ("generation", 1-based, `generation.batch_size` tasks each)
 * and its index within the epoch, which also name its problem: `g<generation>-t<index>`.
 */
import { z } from 'zod';
import type { EpochTally } from '../core/metrics.js';
import type { ParentRef } from '../core/selection.js';
import type { Operator } from './records.js';

export interface SeedTaskSpec {
  kind: 'seed';
  seq: number;
  /** Index into the run's (sampled) seed list. */
  seedIndex: number;
}

export interface MutationTaskSpec {
  kind: 'mutate';
  seq: number;
  generation: number;
  index: number;
  operator: Operator;
  parents: ParentRef[];
  /** Told count when the task was asked: its proposal and duplicate check see tasks < askedAt. */
  askedAt: number;
  /** Tokens the told tasks had used when it was asked: what the token budget judges it by. */
  tokensAtAsk: number;
}

export type TaskSpec = SeedTaskSpec | MutationTaskSpec;

/** Where mutation task `seq` sits in reporting, given the number of seed tasks before it. */
export function mutationPlace(
  seq: number,
  seedTasks: number,
  batchSize: number,
): { generation: number; index: number } {
  const m = seq - seedTasks;
  return { generation: 1 + Math.floor(m / batchSize), index: m % batchSize };
}

/**
 * What the scheduler commits with each told prefix, beside the core state: the mutation tasks
 * already asked but not yet told (their proposals were drawn from earlier archives, so a resume
 * must reuse them, not ask again), and the open epoch's tallies.
 */
export interface SchedulerState {
  version: 1;
  told: number;
  /** Seed tasks at the head of the sequence, fixed when the run started. */
  seedTasks: number;
  /** The window the run's proposals were asked with. */
  window: number;
  open: MutationTaskSpec[];
  epoch: EpochTally;
}

const cell = z.object({ subject: z.string(), skill: z.string(), band: z.number().int().nullable() });
const parent = z.union([
  z.object({ uid: z.string(), source: z.literal('archive'), cell }),
  z.object({ uid: z.string(), source: z.literal('fallback') }),
]);
const statusCounts = z.object({ NEW: z.number(), IMPROVED: z.number(), NOT_ADDED: z.number() });
const schedulerStateSchema = z.object({
  version: z.literal(1),
  told: z.number().int().min(0),
  seedTasks: z.number().int().min(0),
  window: z.number().int().positive(),
  open: z.array(
    z.object({
      kind: z.literal('mutate'),
      seq: z.number().int().min(0),
      generation: z.number().int().min(1),
      index: z.number().int().min(0),
      operator: z.enum(['vary', 'harder', 'combine']),
      parents: z.array(parent),
      askedAt: z.number().int().min(0),
      tokensAtAsk: z.number().min(0),
    }),
  ),
  epoch: z.object({
    generation: z.number().int().min(0),
    startedAt: z.string(),
    evaluated: z.number(),
    rejected: z.number(),
    verified: z.number(),
    disputed: z.number(),
    solveRateZero: z.number(),
    solveRateOne: z.number(),
    allTruncated: z.number(),
    truncatedAttempts: z.number(),
    histogram: z.array(z.number()),
    inserted: statusCounts,
    usage: z.object({ requests: z.number(), promptTokens: z.number(), completionTokens: z.number() }),
  }),
});

/** Reads a stored scheduler state; throws with what is wrong when it is not valid. */
export function parseSchedulerState(value: unknown): SchedulerState {
  const parsed = schedulerStateSchema.safeParse(value);
  if (!parsed.success)
    throw new Error(
      `the stored scheduler state is not valid: ${parsed.error.issues[0]?.message ?? 'unknown'}`,
    );
  return parsed.data;
}
