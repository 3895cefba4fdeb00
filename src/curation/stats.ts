/**
 * `sparq stats`: distributions of a pool (difficulty, subjects, skills, generations, rejection
 * reasons), computed by SQL aggregates so memory stays flat, plus the stored curation analyses
 * when there are any. Read-only: it never computes or writes anything, and it reads everything
 * in one read transaction, so a run committing meanwhile cannot make the figures disagree.
 */
import {
  type AnalysisConnection,
  latestRunConfig,
  runGenerationCount,
  runMeta,
} from '../storage/analysis-connection.js';
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

type R = Record<string, unknown>;

function groupRow(r: R): GroupRow {
  return {
    problems: r.problems as number,
    verified: r.verified as number,
    meanSolveRate: (r.mean as number | null) ?? null,
  };
}

const GROUP_COLUMNS =
  'COUNT(*) AS problems, COALESCE(SUM(verified), 0) AS verified, AVG(CASE WHEN verified = 1 THEN solve_rate END) AS mean';

function snapshotIsCurrent(stored: PoolSnapshot, now: PoolSnapshot): boolean {
  return stored.maxId === now.maxId && stored.count === now.count;
}

export function readPoolStats(conn: AnalysisConnection, options: StatsOptions): PoolStats {
  return conn.read(() => readPoolStatsNow(conn, options));
}

function readPoolStatsNow(conn: AnalysisConnection, options: StatsOptions): PoolStats {
  const { db } = conn;
  const all = (sql: string, ...params: unknown[]) => db.prepare(sql).all(...params) as R[];
  const one = (sql: string, ...params: unknown[]) => db.prepare(sql).get(...params) as R;
  const config = latestRunConfig(conn);

  const flags = one(
    `SELECT COUNT(*) AS total, COALESCE(SUM(verified), 0) AS verified, COALESCE(SUM(disputed), 0) AS disputed,
       COALESCE(SUM(solve_rate IS NULL), 0) AS notEvaluated,
       COALESCE(SUM(verified = 1 AND solve_rate >= 1 - 1e-9), 0) AS solvedByAll,
       AVG(CASE WHEN verified = 1 THEN solve_rate END) AS mean FROM main.problems`,
  );
  const byOrigin: Record<string, number> = {};
  for (const r of all('SELECT origin, COUNT(*) AS n FROM main.problems GROUP BY origin ORDER BY origin'))
    byOrigin[r.origin as string] = r.n as number;

  const bins: Bin[] = Array.from({ length: options.bins }, (_, i) => ({
    lo: i / options.bins,
    hi: (i + 1) / options.bins,
    count: 0,
  }));
  for (const r of all(
    `SELECT MIN(CAST(solve_rate * ? + 1e-9 AS INTEGER), ? - 1) AS b, COUNT(*) AS n
     FROM main.problems WHERE verified = 1 AND solve_rate IS NOT NULL GROUP BY b`,
    options.bins,
    options.bins,
  ))
    bins[Math.max(0, r.b as number)]!.count += r.n as number;

  const total = flags.total as number;
  const verified = flags.verified as number;
  const skillRows = all(
    `SELECT COALESCE(subject, '(none)') AS subject, COALESCE(skill, '(none)') AS skill, ${GROUP_COLUMNS}
     FROM main.problems GROUP BY 1, 2 ORDER BY problems DESC, subject, skill`,
  );
  const rejectionsByGeneration = new Map<number, number>();
  for (const r of all('SELECT generation, COUNT(*) AS n FROM main.rejections GROUP BY generation'))
    rejectionsByGeneration.set(r.generation as number, r.n as number);
  const originsByGeneration = new Map<number, Record<string, number>>();
  for (const r of all(
    'SELECT generation, origin, COUNT(*) AS n FROM main.problems GROUP BY generation, origin',
  )) {
    const g = r.generation as number;
    const m = originsByGeneration.get(g) ?? {};
    m[r.origin as string] = r.n as number;
    originsByGeneration.set(g, m);
  }

  return {
    run: {
      runId: runMeta(conn, 'run_id'),
      model: config
        ? ((JSON.parse(config.configJson) as { model?: { model?: string } }).model?.model ?? null)
        : null,
      generations: runGenerationCount(conn),
    },
    problems: { total, byOrigin, verified, unverified: total - verified, disputed: flags.disputed as number },
    difficulty: {
      bins,
      verified,
      unverified: total - verified - (flags.notEvaluated as number),
      notEvaluated: flags.notEvaluated as number,
      solvedByAll: flags.solvedByAll as number,
      meanSolveRate: (flags.mean as number | null) ?? null,
    },
    subjects: all(
      `SELECT COALESCE(subject, '(none)') AS subject, ${GROUP_COLUMNS} FROM main.problems GROUP BY 1 ORDER BY problems DESC, subject`,
    ).map((r) => ({ subject: r.subject as string, ...groupRow(r) })),
    skills: {
      distinct: skillRows.length,
      shown: (options.top > 0 ? skillRows.slice(0, options.top) : skillRows).map((r) => ({
        subject: r.subject as string,
        skill: r.skill as string,
        ...groupRow(r),
      })),
    },
    unmappedLabels: all(
      `SELECT raw_label AS label, COUNT(*) AS n FROM main.problems WHERE skill = 'other' AND raw_label IS NOT NULL
       GROUP BY raw_label ORDER BY n DESC, raw_label LIMIT 10`,
    ).map((r) => ({ label: r.label as string, count: r.n as number })),
    generations: all(
      `SELECT generation, ${GROUP_COLUMNS} FROM main.problems GROUP BY generation ORDER BY generation`,
    ).map((r) => ({
      generation: r.generation as number,
      ...groupRow(r),
      byOrigin: originsByGeneration.get(r.generation as number) ?? {},
      rejections: rejectionsByGeneration.get(r.generation as number) ?? 0,
    })),
    rejections: {
      total: one('SELECT COUNT(*) AS n FROM main.rejections').n as number,
      byReason: all(
        'SELECT reason, COUNT(*) AS n FROM main.rejections GROUP BY reason ORDER BY n DESC, reason',
      ).map((r) => ({ reason: r.reason as string, count: r.n as number })),
    },
    curation: readCuration(conn),
  };
}

function readCuration(conn: AnalysisConnection): PoolStats['curation'] {
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
