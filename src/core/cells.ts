/**
 * Cell descriptors: subject x skill, optionally x difficulty band. Each subject also has an
 * "other" skill for labels outside the taxonomy, so that no verified problem is left without a cell.
 */
import { bandOf } from './solve-rate.js';

export interface CellSpace {
  /** Skills per subject, without "other" (added here). */
  skills: ReadonlyMap<string, readonly string[]>;
  /** Solve-rate cut points when the difficulty band is a dimension, else null. */
  bands: readonly number[] | null;
}

export const OTHER = 'other';

export function totalCells(space: CellSpace): number {
  let cells = 0;
  for (const list of space.skills.values()) cells += list.length + 1;
  return cells * (space.bands ? space.bands.length + 1 : 1);
}

export function cellOf(space: CellSpace, subject: string, skill: string, solveRate: number): string {
  const base = `${subject} / ${skill}`;
  return space.bands ? `${base} / band ${bandOf(solveRate, space.bands)}` : base;
}
