/**
 * The quality-diversity archive: categorical cells (subject x skill, optionally x difficulty
 * band), each keeping its top-c problems by quality = 1 - solve-rate. Ties in quality go to the
 * more novel problem (lower MinHash similarity to the cell's other elites). Every insertion
 * reports NEW (the cell was empty), IMPROVED (it entered an occupied cell) or NOT_ADDED.
 *
 * QD-score is the sum of the qualities of all elites; it never decreases, because an elite is
 * only ever replaced by a problem of higher or equal quality.
 */
import type { InsertStatus } from '../domain/records.js';
import { similarity } from '../text/minhash.js';
import { type Cell, type CellKey, cellKey, OTHER } from './cells.js';

export interface Elite {
  uid: string;
  quality: number;
  solveRate: number;
  /** MinHash signature of the problem text. */
  fingerprint: number[];
}

export interface Candidate extends Elite {
  cell: Cell;
}

export interface InsertResult {
  status: InsertStatus;
  /** The elite pushed out of the cell, if any. */
  replaced: string | null;
}

export interface ArchiveStats {
  /** Cells of the taxonomy (subject x listed skill [x band]): what coverage is a share of. */
  cells: number;
  /** Taxonomy cells holding an elite. */
  occupied: number;
  /** occupied / cells. The per-subject "other" cells are left out: they hold off-list labels, not skills. */
  coverage: number;
  /** "Other" cells (labels outside the taxonomy), occupied and in all. */
  otherOccupied: number;
  otherCells: number;
  elites: number;
  qdScore: number;
  /** QD-score divided by its maximum (every cell full of quality-1 elites), in [0, 1]. */
  normalizedQdScore: number;
  meanQuality: number;
  maxQuality: number;
}

export interface ArchiveState {
  capacity: number;
  totalCells: number;
  /** How many of totalCells are "other" cells; absent in states written before coverage left them out. */
  otherCells?: number;
  /** Occupied cells in insertion order (which selection depends on). */
  cells: { cell: Cell; elites: Elite[] }[];
}

interface Slot {
  cell: Cell;
  elites: Elite[];
}

export class Archive {
  private readonly cells = new Map<CellKey, Slot>();
  /** `slots()` as last built; selection reads it for every task, and it changes only with a NEW cell. */
  private slotList: Slot[] | null = null;

  /**
   * @param capacity top-c problems kept per cell (c >= 1)
   * @param totalCells number of cells in the grid, "other" cells included, for the normalized QD-score
   * @param otherCells how many of them are "other" cells, which coverage leaves out
   */
  constructor(
    readonly capacity: number,
    readonly totalCells: number,
    readonly otherCells = 0,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
    if (!Number.isInteger(totalCells) || totalCells < 1)
      throw new RangeError('totalCells must be a positive integer');
    if (!Number.isInteger(otherCells) || otherCells < 0 || otherCells > totalCells)
      throw new RangeError('otherCells must be an integer in [0, totalCells]');
  }

  /** Offers a verified problem to its cell. */
  add(candidate: Candidate): InsertResult {
    if (!(candidate.quality >= 0 && candidate.quality <= 1))
      throw new RangeError(`quality must be in [0, 1], got ${candidate.quality}`);
    const elite: Elite = {
      uid: candidate.uid,
      quality: candidate.quality,
      solveRate: candidate.solveRate,
      fingerprint: candidate.fingerprint,
    };
    const key = cellKey(candidate.cell);
    const cell = this.cells.get(key)?.elites;
    if (!cell) {
      this.cells.set(key, { cell: { ...candidate.cell }, elites: [elite] });
      this.slotList = null;
      return { status: 'NEW', replaced: null };
    }
    if (cell.some((e) => e.uid === elite.uid)) return { status: 'NOT_ADDED', replaced: null };
    if (cell.length < this.capacity) {
      cell.push(elite);
      return { status: 'IMPROVED', replaced: null };
    }
    const worst = this.weakest(cell);
    const incumbent = cell[worst]!;
    const better =
      elite.quality > incumbent.quality ||
      (elite.quality === incumbent.quality && novelty(elite, cell, worst) > novelty(incumbent, cell, worst));
    if (!better) return { status: 'NOT_ADDED', replaced: null };
    cell[worst] = elite;
    return { status: 'IMPROVED', replaced: incumbent.uid };
  }

  /** Index of the elite to give up: lowest quality, and among those the least novel. */
  private weakest(cell: Elite[]): number {
    let worst = 0;
    for (let i = 1; i < cell.length; i++) {
      const a = cell[i]!;
      const b = cell[worst]!;
      if (a.quality < b.quality || (a.quality === b.quality && novelty(a, cell, i) < novelty(b, cell, worst)))
        worst = i;
    }
    return worst;
  }

  get(cell: Cell): readonly Elite[] {
    return this.cells.get(cellKey(cell))?.elites ?? [];
  }

  /** Occupied cells in a stable order (insertion order), which keeps selection deterministic. */
  occupiedCells(): Cell[] {
    return [...this.cells.values()].map((s) => s.cell);
  }

  /** Occupied cells with their elites, in the same order as `occupiedCells`. */
  slots(): readonly { readonly cell: Cell; readonly elites: readonly Elite[] }[] {
    this.slotList ??= [...this.cells.values()];
    return this.slotList;
  }

  *elites(): Generator<Elite & { cell: Cell }> {
    for (const { cell, elites } of this.cells.values()) for (const e of elites) yield { ...e, cell };
  }

  stats(): ArchiveStats {
    let elites = 0;
    let qd = 0;
    let max = 0;
    let otherOccupied = 0;
    for (const { cell, elites: list } of this.cells.values()) {
      if (this.otherCells > 0 && cell.skill === OTHER) otherOccupied++;
      for (const e of list) {
        elites++;
        qd += e.quality;
        if (e.quality > max) max = e.quality;
      }
    }
    const cells = this.totalCells - this.otherCells;
    const occupied = this.cells.size - otherOccupied;
    return {
      cells,
      occupied,
      // A grid of "other" cells alone (a subject without listed skills) has nothing to cover.
      coverage: cells > 0 ? occupied / cells : 0,
      otherOccupied,
      otherCells: this.otherCells,
      elites,
      qdScore: qd,
      normalizedQdScore: qd / (this.totalCells * this.capacity),
      meanQuality: elites > 0 ? qd / elites : 0,
      maxQuality: max,
    };
  }

  toState(): ArchiveState {
    return {
      capacity: this.capacity,
      totalCells: this.totalCells,
      otherCells: this.otherCells,
      cells: [...this.cells.values()].map((s) => ({
        cell: { ...s.cell },
        elites: s.elites.map((e) => ({ ...e })),
      })),
    };
  }

  /** @param otherCells the grid's "other" cells, for a state written before it recorded them */
  static fromState(state: ArchiveState, otherCells?: number): Archive {
    const archive = new Archive(state.capacity, state.totalCells, state.otherCells ?? otherCells ?? 0);
    for (const { cell, elites } of state.cells)
      archive.cells.set(cellKey(cell), { cell: { ...cell }, elites: elites.map((e) => ({ ...e })) });
    return archive;
  }
}

/** 1 - the highest similarity to the other elites of the cell (index `self` is skipped). */
function novelty(elite: Elite, cell: Elite[], self: number): number {
  let maxSim = 0;
  for (let i = 0; i < cell.length; i++) {
    if (i === self || cell[i]!.uid === elite.uid) continue;
    const s = similarity(elite.fingerprint, cell[i]!.fingerprint);
    if (s > maxSim) maxSim = s;
  }
  return 1 - maxSim;
}
