/**
 * `sparq stats`: distributions of a pool (difficulty, subjects, skills, generations, rejection
 * reasons), computed by SQL aggregates so memory stays flat, plus the stored curation analyses
 * when there are any. Read-only: it never computes or writes anything, and it reads everything
 * in one read transaction, so a run committing meanwhile cannot make the figures disagree.
 */
import { solveRateBin } from '../core/metrics.js';
import {
  type AnalysisConnection,
  latestRunConfig,
  runGenerationCount,
  runMeta,
} from '../storage/analysis-connection.js';
import { KEY_SEP, PoolSummaryReader, type SummaryRow } from '../storage/pool-summary.js';
import { type PoolSnapshot, poolSnapshot, readAnalysis } from './analysis-store.js';
import type {
  DecontaminationSummary,
  DedupSummary,
  StoredDecontaminationSettings,
  StoredDedupSettings,
} from './analyze.js';

export interface Bin {
  lo: number;
  hi: number;
  count: number;
}

export interface GroupRow {
  problems: number;
  verified: number;
  /** Mean solve-rate of the verified problems, or null when none. */
  meanSolveRate: number | null;
}

export interface PoolStats {
  run: { runId: string | null; model: string | null; generations: number };
  problems: {
    total: number;
    byOrigin: Record<string, number>;
    verified: number;
    unverified: number;
    disputed: number;
  };
  difficulty: {
    /** Verified problems by solve-rate; the last bin includes 1. */
    bins: Bin[];
    verified: number;
    unverified: number;
    notEvaluated: number;
    solvedByAll: number;
    meanSolveRate: number | null;
  };
  subjects: (GroupRow & { subject: string })[];
  skills: { distinct: number; shown: (GroupRow & { subject: string; skill: string })[] };
  /** What the labeller answered for problems mapped to the "other" skill (model text). */
  unmappedLabels: { label: string; count: number }[];
  generations: (GroupRow & { generation: number; byOrigin: Record<string, number>; rejections: number })[];
  rejections: { total: number; byReason: { reason: string; count: number }[] };
  curation: {
    dedup: {
      settings: StoredDedupSettings;
      summary: DedupSummary;
      current: boolean;
      createdAt: string;
    } | null;
    decontamination: {
      settings: StoredDecontaminationSettings;
      summary: DecontaminationSummary;
      current: boolean;
      createdAt: string;
    } | null;
  };
}

export interface StatsOptions {
  bins: number;
  /** Skills shown at most (0 = all). */
  top: number;
}

function groupRow(r: SummaryRow): GroupRow {
  return {
    problems: r.problems,
    verified: r.verified,
    meanSolveRate: r.verified === 0 ? null : r.verifiedRateSum / r.verified,
  };
}

function byProblemsThen<T extends SummaryRow>(...keys: ((r: T) => string)[]): (a: T, b: T) => number {
  return (a, b) => {
    if (a.problems !== b.problems) return b.problems - a.problems;
    for (const key of keys) {
      const x = key(a);
      const y = key(b);
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  };
}

function snapshotIsCurrent(stored: PoolSnapshot, now: PoolSnapshot): boolean {
  return stored.maxId === now.maxId && stored.count === now.count;
}

export function readPoolStats(conn: AnalysisConnection, options: StatsOptions): PoolStats {
  return conn.read(() => readPoolStatsNow(conn, options));
}

/** Every count comes from the pool summary kept at commit: a few hundred rows at any pool size. */
function readPoolStatsNow(conn: AnalysisConnection, options: StatsOptions): PoolStats {
  const summary = new PoolSummaryReader(conn.db);
  const config = latestRunConfig(conn);
  const totals = summary.totals();
  const byOrigin: Record<string, number> = {};
  for (const r of summary.rows('origin').sort((a, b) => (a.key < b.key ? -1 : 1)))
    byOrigin[r.key] = r.problems;

  const bins: Bin[] = Array.from({ length: options.bins }, (_, i) => ({
    lo: i / options.bins,
    hi: (i + 1) / options.bins,
    count: 0,
  }));
  // Solve-rates are kept by exact value, so any binning is exact.
  for (const r of summary.rows('solve_rate'))
    bins[solveRateBin(Number(r.key), options.bins)]!.count += r.problems;

  const total = totals.problems;
  const verified = totals.verified;
  const skillRows = summary
    .rows('skill')
    .map((r) => {
      const [subject, skill] = r.key.split(KEY_SEP) as [string, string];
      return { ...r, subject, skill };
    })
    .sort(
      byProblemsThen(
        (r) => r.subject,
        (r) => r.skill,
      ),
    );
  const rejectionsByGeneration = new Map<number, number>();
  for (const r of summary.rows('rejection_generation')) rejectionsByGeneration.set(Number(r.key), r.problems);
  const originsByGeneration = new Map<number, Record<string, number>>();
  for (const r of summary.rows('generation_origin')) {
    const [g, origin] = r.key.split(KEY_SEP) as [string, string];
    const m = originsByGeneration.get(Number(g)) ?? {};
    m[origin] = r.problems;
    originsByGeneration.set(Number(g), m);
  }
  const reasons = summary.rows('rejection_reason').sort(byProblemsThen((r) => r.key));

  return {
    run: {
      runId: runMeta(conn, 'run_id'),
      model: config
        ? ((JSON.parse(config.configJson) as { model?: { model?: string } }).model?.model ?? null)
        : null,
      generations: runGenerationCount(conn),
    },
    problems: { total, byOrigin, verified, unverified: total - verified, disputed: totals.disputed },
    difficulty: {
      bins,
      verified,
      unverified: total - verified - totals.notEvaluated,
      notEvaluated: totals.notEvaluated,
      solvedByAll: totals.solvedByAll,
      meanSolveRate: verified === 0 ? null : totals.verifiedRateSum / verified,
    },
    subjects: summary
      .rows('subject')
      .sort(byProblemsThen((r) => r.key))
      .map((r) => ({ subject: r.key, ...groupRow(r) })),
    skills: {
      distinct: skillRows.length,
      shown: (options.top > 0 ? skillRows.slice(0, options.top) : skillRows).map((r) => ({
        subject: r.subject,
        skill: r.skill,
        ...groupRow(r),
      })),
    },
    unmappedLabels: summary
      .rows('unmapped_label')
      .sort(byProblemsThen((r) => r.key))
      .slice(0, 10)
      .map((r) => ({ label: r.key, count: r.problems })),
    generations: summary
      .rows('generation')
      .sort((a, b) => Number(a.key) - Number(b.key))
      .map((r) => ({
        generation: Number(r.key),
        ...groupRow(r),
        byOrigin: originsByGeneration.get(Number(r.key)) ?? {},
        rejections: rejectionsByGeneration.get(Number(r.key)) ?? 0,
      })),
    rejections: {
      total: reasons.reduce((n, r) => n + r.problems, 0),
      byReason: reasons.map((r) => ({ reason: r.key, count: r.problems })),
    },
    curation: readCuration(conn),
  };
}

/** The stored deduplication and decontamination results, and whether the pool has changed since. */
export function readCuration(conn: AnalysisConnection): PoolStats['curation'] {
  const now = poolSnapshot(conn);
  const dedup = readAnalysis<StoredDedupSettings, DedupSummary>(conn, 'dedup');
  const decontamination = readAnalysis<StoredDecontaminationSettings, DecontaminationSummary>(
    conn,
    'decontamination',
  );
  return {
    dedup: dedup
      ? {
          settings: dedup.settings,
          summary: dedup.summary,
          current: snapshotIsCurrent(dedup.snapshot, now),
          createdAt: dedup.createdAt,
        }
      : null,
    decontamination: decontamination
      ? {
          settings: decontamination.settings,
          summary: decontamination.summary,
          current: snapshotIsCurrent(decontamination.snapshot, now),
          createdAt: decontamination.createdAt,
        }
      : null,
  };
}
