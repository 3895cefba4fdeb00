/**
 * The archive's cell space: subject x skill, optionally x difficulty band. Each subject also has
 * an "other" skill for labels outside the taxonomy, so that no verified problem is left without a
 * cell. A cell is a value (`Cell`); `cellKey` is the one function that turns it into the string
 * stored with problems and used as a map key. Nothing parses a key back: code that needs the
 * subject or skill of a cell carries the `Cell`.
 */
import { bandOf } from './solve-rate.js';

export interface CellSpace {
  /** Skills per subject, without "other" (added here). */
  skills: ReadonlyMap<string, readonly string[]>;
  /** Solve-rate cut points when the difficulty band is a dimension, else null. */
  bands: readonly number[] | null;
}

export interface Cell {
  subject: string;
  skill: string;
  /** Index of the difficulty band (0..cuts.length) when bands are a dimension, else null. */
  band: number | null;
}

/** A cell's identity as a string: the same cell always has the same key. */
export type CellKey = string;

export const OTHER = 'other';

export function cellKey(cell: Cell): CellKey {
  const base = `${cell.subject} / ${cell.skill}`;
  return cell.band === null ? base : `${base} / band ${cell.band}`;
}

export function totalCells(space: CellSpace): number {
  let cells = 0;
  for (const list of space.skills.values()) cells += list.length + 1;
  return cells * (space.bands ? space.bands.length + 1 : 1);
}

/** The "other" cells of the grid: one per subject (and band). */
export function otherCells(space: CellSpace): number {
  return space.skills.size * (space.bands ? space.bands.length + 1 : 1);
}

/** The measures of an evaluated problem, from which the core places it. */
export interface Measures {
  subject: string | null;
  skill: string | null;
  solveRate: number;
  verified: boolean;
}

/** The cell a problem with these measures belongs to; null when it has no subject of the space. */
export function cellOf(space: CellSpace, m: Measures): Cell | null {
  if (m.subject === null) return null;
  const known = space.skills.get(m.subject);
  if (!known) return null;
  const skill = m.skill !== null && known.includes(m.skill) ? m.skill : OTHER;
  return { subject: m.subject, skill, band: space.bands ? bandOf(m.solveRate, space.bands) : null };
}

/** Distinct (subject, skill) pairs of the taxonomy among cells, ignoring the band and "other". */
export function distinctSkills(cells: Iterable<Cell>): number {
  const seen = new Set<string>();
  for (const c of cells)
    if (c.skill !== OTHER) seen.add(cellKey({ subject: c.subject, skill: c.skill, band: null }));
  return seen.size;
}
