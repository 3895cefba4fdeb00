/**
 * Per-epoch metrics of a run ("generation" in status, the report and the progress line): what
 * the epoch's tasks evaluated, tallied as they are told, together with the archive's statistics
 * when the epoch's last task was told. Pure.
 */
import type { InsertStatus } from '../domain/records.js';
import type { ArchiveStats } from './archive.js';

export interface EvaluatedSummary {
  /** Null when no attempt counted (all were cut at max_tokens). */
  solveRate: number | null;
  verified: boolean;
  disputed: boolean;
  /** Attempts cut at max_tokens. */
  truncated: number;
}

/** Running counts of one epoch; serializable, so an epoch can span a resume. */
export interface EpochTally {
  generation: number;
  startedAt: string;
  evaluated: number;
  rejected: number;
  verified: number;
  disputed: number;
  solveRateZero: number;
  solveRateOne: number;
  /** Problems none of whose attempts counted. */
  allTruncated: number;
  truncatedAttempts: number;
  histogram: number[];
  inserted: Record<InsertStatus, number>;
  /** What the epoch's tasks cost: requests and tokens, whether answered by the model or the cache. */
  usage: { requests: number; promptTokens: number; completionTokens: number };
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
  /** Counts per solve-rate bin: [0], (0, 0.1], (0.1, 0.2], ..., (0.9, 1]; problems with no counted attempt are left out. */
  solveRateHistogram: number[];
  /** Attempts cut at max_tokens, and problems all of whose attempts were cut. */
  truncatedAttempts: number;
  allTruncated: number;
  distinctSkills: number;
  inserted: Record<InsertStatus, number>;
}

export const HISTOGRAM_LABELS = [
  '0',
  ...Array.from({ length: 10 }, (_, i) => `(${(i / 10).toFixed(1)}, ${((i + 1) / 10).toFixed(1)}]`),
];

/**
 * The one binning of solve-rates (stats, the report, watch, /metrics): n bins closed above,
 * [0, 1/n], (1/n, 2/n], ..., ((n-1)/n, 1], so that a problem solved 4 times in 10 counts in
 * (0.3, 0.4].
 */
export function solveRateBin(solveRate: number, bins: number): number {
  return Math.max(0, Math.min(bins - 1, Math.ceil(solveRate * bins - 1e-9) - 1));
}

/** The epoch histogram's bin: [0] alone (problems no attempt solved), then solveRateBin's ten. */
export function histogramBin(solveRate: number): number {
  if (solveRate <= 0) return 0;
  return 1 + solveRateBin(solveRate, 10);
}

export function newTally(generation: number, startedAt: string): EpochTally {
  return {
    generation,
    startedAt,
    evaluated: 0,
    rejected: 0,
    verified: 0,
    disputed: 0,
    solveRateZero: 0,
    solveRateOne: 0,
    allTruncated: 0,
    truncatedAttempts: 0,
    histogram: new Array<number>(11).fill(0),
    inserted: { NEW: 0, IMPROVED: 0, NOT_ADDED: 0 },
    usage: { requests: 0, promptTokens: 0, completionTokens: 0 },
  };
}

/** Adds one told problem (or, with `null`, one rejection) to the tally. */
export function tallyOutcome(t: EpochTally, e: EvaluatedSummary | null, status: InsertStatus | null): void {
  if (e === null) {
    t.rejected++;
    return;
  }
  t.evaluated++;
  if (e.verified) t.verified++;
  if (e.disputed) t.disputed++;
  t.truncatedAttempts += e.truncated;
  if (e.solveRate === null) t.allTruncated++;
  else {
    if (e.solveRate === 0) t.solveRateZero++;
    if (e.solveRate === 1) t.solveRateOne++;
    t.histogram[histogramBin(e.solveRate)]!++;
  }
  if (status) t.inserted[status]++;
}

export function generationMetrics(
  t: EpochTally,
  archive: ArchiveStats,
  distinctSkills: number,
): GenerationMetrics {
  const n = t.evaluated;
  const share = (x: number) => (n === 0 ? 0 : x / n);
  return {
    generation: t.generation,
    ...archive,
    evaluated: n,
    rejected: t.rejected,
    parseValidRate: n + t.rejected === 0 ? 0 : n / (n + t.rejected),
    verifiedShare: share(t.verified),
    disputedShare: share(t.disputed),
    solveRateZeroShare: share(t.solveRateZero),
    solveRateOneShare: share(t.solveRateOne),
    solveRateHistogram: [...t.histogram],
    truncatedAttempts: t.truncatedAttempts,
    allTruncated: t.allTruncated,
    distinctSkills,
    inserted: { ...t.inserted },
  };
}
