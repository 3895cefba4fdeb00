/**
 * Parent selection strategies over the archive. All draw from the injected Rng, so the same
 * archive and seed always give the same parents.
 */
import type { Rng } from '../util/hash.js';
import type { Archive } from './archive.js';
import { type Cell, type CellKey, cellKey } from './cells.js';

export type SelectionStrategy = 'uniform' | 'curiosity' | 'frontier';

/**
 * A parent of a mutation task: an elite of an archive cell, or (while no problem is verified
 * yet) a fallback problem, which belongs to no cell and earns no curiosity credit.
 */
export type ParentRef = { uid: string; source: 'archive'; cell: Cell } | { uid: string; source: 'fallback' };

export interface SelectionContext {
  archive: Archive;
  rng: Rng;
  /** Curiosity score per cell: rises when its children are accepted, falls when they are not. */
  curiosity: ReadonlyMap<CellKey, number>;
  /** Solve-rate band [lo, hi] the frontier strategy prefers. */
  frontier: readonly [number, number];
}

/** Picks one parent, from a cell other than `excludeCell` when one is given; null if none exists. */
export function selectParent(
  strategy: SelectionStrategy,
  ctx: SelectionContext,
  excludeCell?: Cell,
): ParentRef | null {
  const excluded = excludeCell ? cellKey(excludeCell) : null;
  const all = ctx.archive.slots();
  const slots = excluded === null ? all : all.filter((s) => cellKey(s.cell) !== excluded);
  if (slots.length === 0) return null;
  if (strategy === 'frontier') {
    const [lo, hi] = ctx.frontier;
    const inBand: ParentRef[] = [];
    for (const { cell, elites } of slots) {
      for (const e of elites)
        if (e.solveRate >= lo && e.solveRate <= hi) inBand.push({ uid: e.uid, source: 'archive', cell });
    }
    if (inBand.length > 0) return ctx.rng.pick(inBand);
  }
  const slot =
    strategy === 'curiosity'
      ? slots[ctx.rng.weighted(slots.map((s) => Math.max(0, ctx.curiosity.get(cellKey(s.cell)) ?? 0) + 1))]!
      : ctx.rng.pick(slots);
  return { uid: ctx.rng.pick(slot.elites).uid, source: 'archive', cell: slot.cell };
}

/** Curiosity update (Cully and Demiris 2018): reward a parent's cell for accepted children. */
export const CURIOSITY_REWARD = 1;
export const CURIOSITY_PENALTY = 0.5;
