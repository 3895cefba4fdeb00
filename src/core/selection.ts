/**
 * Parent selection strategies over the archive. All draw from the injected Rng, so the same
 * archive and seed always give the same parents.
 */
import type { Rng } from '../util/hash.js';
import type { Archive } from './archive.js';

export type SelectionStrategy = 'uniform' | 'curiosity' | 'frontier';

export interface ParentRef {
  uid: string;
  cell: string;
}

export interface SelectionContext {
  archive: Archive;
  rng: Rng;
  /** Curiosity score per cell: rises when its children are accepted, falls when they are not. */
  curiosity: ReadonlyMap<string, number>;
  /** Solve-rate band [lo, hi] the frontier strategy prefers. */
  frontier: readonly [number, number];
}

/** Picks one parent, from a cell other than `excludeCell` when one is given; null if none exists. */
export function selectParent(
  strategy: SelectionStrategy,
  ctx: SelectionContext,
  excludeCell?: string,
): ParentRef | null {
  const cells = ctx.archive.occupiedCells().filter((c) => c !== excludeCell);
  if (cells.length === 0) return null;
  if (strategy === 'frontier') {
    const [lo, hi] = ctx.frontier;
    const inBand: ParentRef[] = [];
    for (const cell of cells) {
      for (const e of ctx.archive.get(cell))
        if (e.solveRate >= lo && e.solveRate <= hi) inBand.push({ uid: e.uid, cell });
    }
    if (inBand.length > 0) return ctx.rng.pick(inBand);
  }
  const cell =
    strategy === 'curiosity'
      ? cells[ctx.rng.weighted(cells.map((c) => Math.max(0, ctx.curiosity.get(c) ?? 0) + 1))]!
      : ctx.rng.pick(cells);
  return { uid: ctx.rng.pick(ctx.archive.get(cell)).uid, cell };
}

/** Curiosity update (Cully and Demiris 2018): reward a parent's cell for accepted children. */
export const CURIOSITY_REWARD = 1;
export const CURIOSITY_PENALTY = 0.5;
