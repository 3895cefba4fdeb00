/**
 * The pure quality-diversity core, driven ask/tell one task at a time. `ask(seq)` proposes task
 * `seq` (operator and parents); the caller does the model calls and storage, then `tell`s the core
 * what came of each task, strictly in task order (the core refuses anything else). The core owns
 * the cell space: from a problem's measures (subject, skill, solve-rate, verified) it decides the
 * cell, the quality and whether the problem may compete for a cell at all.
 *
 * Guarantee: no I/O, and every random choice of task `seq` comes from a stream seeded by
 * (run seed, seq). So a proposal depends only on the archive it is asked against and its number,
 * which is what lets a scheduler with many tasks in flight (and a resumed run) propose exactly
 * what an uninterrupted run proposes, as long as it asks each task against the same told prefix.
 */
import { z } from 'zod';
import type { InsertStatus, Operator } from '../domain/records.js';
import { minhash } from '../text/minhash.js';
import { Rng } from '../util/hash.js';
import { Archive, type ArchiveState, type ArchiveStats } from './archive.js';
import {
  type Cell,
  type CellKey,
  type CellSpace,
  cellKey,
  cellOf,
  distinctSkills,
  type Measures,
  otherCells,
  totalCells,
} from './cells.js';
import {
  CURIOSITY_PENALTY,
  CURIOSITY_REWARD,
  type ParentRef,
  type SelectionStrategy,
  selectParent,
} from './selection.js';

/** MinHash signature length of the problem texts the archive compares for novelty. */
export const FINGERPRINT_HASHES = 32;

export interface CoreConfig {
  seed: number;
  capacity: number;
  space: CellSpace;
  strategy: SelectionStrategy;
  frontier: readonly [number, number];
  operators: Readonly<Record<Operator, number>>;
}

export interface MutationTask {
  /** The task's number in the run's task sequence. */
  seq: number;
  operator: Operator;
  parents: ParentRef[];
}

/** What came of one task, as the core needs to know it. */
export interface Outcome {
  uid: string;
  parents: readonly ParentRef[];
  /** The evaluated problem, or null when the task produced none (a rejected mutation). */
  problem: { text: string; measures: Measures } | null;
}

/** Where the core put a told problem. */
export interface Placement {
  /** The problem's cell (null without a subject), whether or not it was eligible for it. */
  cell: Cell | null;
  /** 1 - solve-rate for a verified problem, else null. */
  quality: number | null;
  /** Archive status; null when the problem was not eligible (unverified, no cell) or none was told. */
  status: InsertStatus | null;
}

export interface CoreState {
  version: 2;
  /** Outcomes told so far: the next tell must be for task `told`. */
  told: number;
  archive: ArchiveState;
  curiosity: { cell: Cell; score: number }[];
}

const OPERATORS: Operator[] = ['vary', 'harder', 'combine'];

export class QDCore {
  readonly archive: Archive;
  /** Curiosity score per cell, and the cell each key stands for (for the state). */
  private readonly curiosity = new Map<CellKey, number>();
  private readonly curiosityCells = new Map<CellKey, Cell>();
  private toldCount = 0;

  constructor(
    readonly config: CoreConfig,
    state?: CoreState,
  ) {
    this.archive = state
      ? Archive.fromState(state.archive, otherCells(config.space))
      : new Archive(config.capacity, totalCells(config.space), otherCells(config.space));
    if (state) {
      this.toldCount = state.told;
      for (const c of state.curiosity) {
        this.curiosity.set(cellKey(c.cell), c.score);
        this.curiosityCells.set(cellKey(c.cell), { ...c.cell });
      }
    }
  }

  /** Outcomes told so far. */
  get told(): number {
    return this.toldCount;
  }

  /**
   * Proposes task `seq` against the archive as it stands. `fallback` supplies parents while the
   * archive is empty (no problem verified yet); combine needs two occupied cells and otherwise
   * falls back to harder (or vary). Null when there is no parent to take at all.
   */
  ask(seq: number, fallback: readonly string[] = []): MutationTask | null {
    const rng = Rng.from(this.config.seed, 'ask', seq);
    const weights = OPERATORS.map((op) => this.config.operators[op]);
    const ctx = { archive: this.archive, rng, curiosity: this.curiosity, frontier: this.config.frontier };
    let operator = OPERATORS[rng.weighted(weights)]!;
    const first: ParentRef | null =
      selectParent(this.config.strategy, ctx) ??
      (fallback.length > 0 ? { uid: rng.pick(fallback), source: 'fallback' } : null);
    if (!first) return null;
    const parents = [first];
    if (operator === 'combine') {
      const second = first.source === 'archive' ? selectParent(this.config.strategy, ctx, first.cell) : null;
      if (second) parents.push(second);
      else
        operator = this.config.operators.harder > 0 || this.config.operators.vary === 0 ? 'harder' : 'vary';
    }
    return { seq, operator, parents };
  }

  /** Tells the outcome of task `seq`, which must be the next one in order. */
  tell(seq: number, outcome: Outcome): Placement {
    if (seq !== this.toldCount)
      throw new RangeError(`outcomes are told in task order: expected task ${this.toldCount}, got ${seq}`);
    this.toldCount++;
    let placement: Placement = { cell: null, quality: null, status: null };
    if (outcome.problem) {
      const m = outcome.problem.measures;
      const cell = cellOf(this.config.space, m);
      const quality = m.verified ? 1 - m.solveRate : null;
      placement = { cell, quality, status: null };
      // Only verified problems compete for a cell: solve-rate 0 may mean a wrong reference.
      if (cell !== null && quality !== null) {
        placement.status = this.archive.add({
          uid: outcome.uid,
          cell,
          quality,
          solveRate: m.solveRate,
          fingerprint: [...minhash(outcome.problem.text, FINGERPRINT_HASHES)],
        }).status;
      }
    }
    const accepted = placement.status === 'NEW' || placement.status === 'IMPROVED';
    for (const parent of outcome.parents) {
      if (parent.source !== 'archive') continue;
      const key = cellKey(parent.cell);
      const score = this.curiosity.get(key) ?? 0;
      this.curiosity.set(key, accepted ? score + CURIOSITY_REWARD : Math.max(0, score - CURIOSITY_PENALTY));
      if (!this.curiosityCells.has(key)) this.curiosityCells.set(key, { ...parent.cell });
    }
    return placement;
  }

  stats(): ArchiveStats {
    return this.archive.stats();
  }

  distinctSkills(): number {
    return distinctSkills(this.archive.occupiedCells());
  }

  state(): CoreState {
    return {
      version: 2,
      told: this.toldCount,
      archive: this.archive.toState(),
      curiosity: [...this.curiosity].map(([key, score]) => ({
        cell: { ...this.curiosityCells.get(key)! },
        score,
      })),
    };
  }
}

const cellSchema = z.object({ subject: z.string(), skill: z.string(), band: z.number().int().nullable() });
const coreStateSchema = z.object({
  version: z.literal(2),
  told: z.number().int().min(0),
  archive: z.object({
    capacity: z.number().int().positive(),
    totalCells: z.number().int().positive(),
    otherCells: z.number().int().min(0).optional(),
    cells: z.array(
      z.object({
        cell: cellSchema,
        elites: z.array(
          z.object({
            uid: z.string(),
            quality: z.number(),
            solveRate: z.number(),
            fingerprint: z.array(z.number()),
          }),
        ),
      }),
    ),
  }),
  curiosity: z.array(z.object({ cell: cellSchema, score: z.number() })),
});

/** Reads a stored core state; throws with what is wrong when it is not one this core can resume. */
export function parseCoreState(value: unknown): CoreState {
  const parsed = coreStateSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const isObject = typeof value === 'object' && value !== null;
  if (isObject && !('version' in value) && 'archive' in value)
    throw new Error(
      'the archive state was written by sparq 0.1 (generation scheduler, before cell types): finish or read this run with sparq 0.1, or start a new run directory',
    );
  throw new Error(`the stored archive state is not valid: ${parsed.error.issues[0]?.message ?? 'unknown'}`);
}
