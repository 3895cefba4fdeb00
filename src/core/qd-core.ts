/**
 * The pure quality-diversity core, driven ask/tell. `ask` proposes the work of a generation
 * (operator and parents per task); the caller does the model calls and storage, then `tell`s the
 * core what came of each task, in task order. No I/O; every random choice comes from a stream
 * seeded by (run seed, generation), so the same history always gives the same proposals, which
 * is what makes resumed runs identical to uninterrupted ones.
 */
import type { Operator } from '../domain/records.js';
import { Rng } from '../util/hash.js';
import { Archive, type ArchiveState, type ArchiveStats, type InsertResult } from './archive.js';
import {
  CURIOSITY_PENALTY,
  CURIOSITY_REWARD,
  type ParentRef,
  type SelectionStrategy,
  selectParent,
} from './selection.js';

export interface CoreConfig {
  seed: number;
  capacity: number;
  totalCells: number;
  strategy: SelectionStrategy;
  frontier: readonly [number, number];
  operators: Readonly<Record<Operator, number>>;
}

export interface MutationTask {
  taskIndex: number;
  operator: Operator;
  parents: ParentRef[];
}

/** What became of one evaluated problem, as the core needs to know it. */
export interface Outcome {
  uid: string;
  /** Cells of the parents (empty for seeds), credited or debited by curiosity. */
  parentCells: string[];
  /** The problem's cell; null when it is not eligible (unverified). */
  cell: string | null;
  quality: number | null;
  solveRate: number;
  fingerprint: number[];
}

export interface CoreState {
  archive: ArchiveState;
  curiosity: [string, number][];
}

const OPERATORS: Operator[] = ['vary', 'harder', 'combine'];

export class QDCore {
  readonly archive: Archive;
  private readonly curiosity = new Map<string, number>();

  constructor(
    readonly config: CoreConfig,
    state?: CoreState,
  ) {
    this.archive = state ? Archive.fromState(state.archive) : new Archive(config.capacity, config.totalCells);
    if (state) for (const [cell, score] of state.curiosity) this.curiosity.set(cell, score);
  }

  /**
   * The tasks of one generation. `fallback` supplies parents while the archive is empty (no seed
   * verified yet); combine needs two occupied cells and otherwise falls back to harder.
   */
  ask(generation: number, batchSize: number, fallback: readonly ParentRef[] = []): MutationTask[] {
    const rng = Rng.from(this.config.seed, 'ask', generation);
    const weights = OPERATORS.map((op) => this.config.operators[op]);
    const ctx = { archive: this.archive, rng, curiosity: this.curiosity, frontier: this.config.frontier };
    const tasks: MutationTask[] = [];
    for (let taskIndex = 0; taskIndex < batchSize; taskIndex++) {
      let operator = OPERATORS[rng.weighted(weights)]!;
      const first =
        selectParent(this.config.strategy, ctx) ?? (fallback.length > 0 ? rng.pick(fallback) : null);
      if (!first) break;
      const parents = [first];
      if (operator === 'combine') {
        const second = selectParent(this.config.strategy, ctx, first.cell);
        if (second) parents.push(second);
        else
          operator = this.config.operators.harder > 0 || this.config.operators.vary === 0 ? 'harder' : 'vary';
      }
      tasks.push({ taskIndex, operator, parents });
    }
    return tasks;
  }

  /** Inserts the outcomes in the order given; returns each one's status (null when not eligible). */
  tell(outcomes: readonly Outcome[]): (InsertResult | null)[] {
    return outcomes.map((o) => {
      const result =
        o.cell !== null && o.quality !== null
          ? this.archive.add({
              uid: o.uid,
              cell: o.cell,
              quality: o.quality,
              solveRate: o.solveRate,
              fingerprint: o.fingerprint,
            })
          : null;
      const accepted = result !== null && result.status !== 'NOT_ADDED';
      for (const cell of o.parentCells) {
        const score = this.curiosity.get(cell) ?? 0;
        this.curiosity.set(
          cell,
          accepted ? score + CURIOSITY_REWARD : Math.max(0, score - CURIOSITY_PENALTY),
        );
      }
      return result;
    });
  }

  stats(): ArchiveStats {
    return this.archive.stats();
  }

  distinctSkills(): number {
    const skills = new Set<string>();
    for (const cell of this.archive.occupiedCells()) skills.add(cell.split(' / ').slice(0, 2).join(' / '));
    return skills.size;
  }

  state(): CoreState {
    return { archive: this.archive.toState(), curiosity: [...this.curiosity.entries()] };
  }
}
