/**
 * Per-generation metrics of a run, computed from what the generation evaluated and the archive.
 */
import type { ArchiveStats } from './archive.js';

export interface EvaluatedSummary {
  solveRate: number;
  verified: boolean;
  disputed: boolean;
}

export interface GenerationMetrics extends ArchiveStats {
  generation: number;
  /** Problems evaluated this generation (accepted by the screen). */
  evaluated: number;
  rejected: number;
  /** Accepted / (accepted + rejected): how often the generator's output was usable. */
  parseValidRate: number;
  verifiedShare: number;
  disputedShare: number;
  /** Share of evaluated problems with solve-rate exactly 0, and exactly 1. */
  solveRateZeroShare: number;
  solveRateOneShare: number;
  /** Counts per solve-rate bin: [0], (0, 0.1], (0.1, 0.2], ..., (0.9, 1]. */
  solveRateHistogram: number[];
  distinctSkills: number;
  inserted: { NEW: number; IMPROVED: number; NOT_ADDED: number };
}

export const HISTOGRAM_LABELS = [
  '0',
  ...Array.from({ length: 10 }, (_, i) => `(${(i / 10).toFixed(1)}, ${((i + 1) / 10).toFixed(1)}]`),
];

export function histogramBin(solveRate: number): number {
  if (solveRate <= 0) return 0;
  return Math.min(10, Math.ceil(solveRate * 10 - 1e-9));
}

export function generationMetrics(
  generation: number,
  evaluated: readonly EvaluatedSummary[],
  rejected: number,
  archive: ArchiveStats,
  distinctSkills: number,
  inserted: GenerationMetrics['inserted'],
): GenerationMetrics {
  const n = evaluated.length;
  const share = (pred: (e: EvaluatedSummary) => boolean) => (n === 0 ? 0 : evaluated.filter(pred).length / n);
  const histogram = new Array<number>(11).fill(0);
  for (const e of evaluated) histogram[histogramBin(e.solveRate)]!++;
  return {
    generation,
    ...archive,
    evaluated: n,
    rejected,
    parseValidRate: n + rejected === 0 ? 0 : n / (n + rejected),
    verifiedShare: share((e) => e.verified),
    disputedShare: share((e) => e.disputed),
    solveRateZeroShare: share((e) => e.solveRate === 0),
    solveRateOneShare: share((e) => e.solveRate === 1),
    solveRateHistogram: histogram,
    distinctSkills,
    inserted,
  };
}
