/**
 * Everything the report shows, aggregated from the run database on the server side: the size of
 * the report depends on the number of cells and (down-sampled) generations, never on the pool.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SparqConfig } from '../config/schema.js';
import type { ArchiveState } from '../core/archive.js';
import { cellKey, OTHER } from '../core/cells.js';
import { bandOf } from '../core/solve-rate.js';
import { type ContaminationExample, contaminationExamples } from '../curation/decontaminate-report.js';
import { type PoolStats, readCuration } from '../curation/stats.js';
import type { ProblemRecord } from '../domain/records.js';
import { SUBJECTS } from '../domain/subjects.js';
import { loadTaxonomy } from '../domain/taxonomy.js';
import type { Cost } from '../engine/cost.js';
import { runCost } from '../engine/status.js';
import { openAnalysisConnection } from '../storage/analysis-connection.js';
import type { EpochMetrics } from '../storage/run-store.js';
import type { SqliteRunStore } from '../storage/sqlite-store.js';

export type GenerationPoint = EpochMetrics;

export interface CellSummary {
  subject: string;
  skill: string;
  elites: number;
  /** Best elite quality in the cell (null: empty cell). */
  maxQuality: number | null;
  meanQuality: number | null;
}

/** Elites of one subject in one difficulty band (solve-rate range), whatever their skill. */
export interface BandSummary {
  subject: string;
  /** The band's solve-rate range, e.g. "[0.25, 0.5)". */
  band: string;
  order: number;
  elites: number;
}

/** The stored deduplication and decontamination results (sparq select / decontaminate). */
export type CurationResults = PoolStats['curation'] & {
  /** The most overlapping problems per evaluation set. */
  examples: Record<string, ContaminationExample[]>;
  /** What reading them met (a results file that cannot be read is shown as none, and said here). */
  notes: string[];
};

export interface OperatorSummary {
  operator: string;
  tasks: number;
  rejected: number;
  unverified: number;
  NEW: number;
  IMPROVED: number;
  NOT_ADDED: number;
}

export interface LineageStep {
  uid: string;
  origin: string;
  generation: number;
  solveRate: number | null;
  problem: string;
}

export interface Sample {
  cell: string;
  record: ProblemRecord;
  /** First-parent chain, nearest first, at most `lineageDepth` steps. */
  lineage: LineageStep[];
  /** The chain goes on past the last step shown. */
  lineageCut: boolean;
}

export interface ReportData {
  dir: string;
  runId: string | null;
  createdAt: string | null;
  sparqVersion: string | null;
  config: Partial<SparqConfig> | null;
  generations: GenerationPoint[];
  /** Generations were down-sampled for the charts when the run had more than this many. */
  generationsTotal: number;
  /** The taxonomy's cells ("other" cells apart, in `otherCells`). */
  cells: CellSummary[];
  otherCells: CellSummary[];
  bands: BandSummary[];
  operators: OperatorSummary[];
  rejectionReasons: { reason: string; count: number }[];
  totals: { problems: number; seeds: number; verified: number; disputed: number; rejected: number };
  counters: Record<string, number>;
  /** Spend in money at the run's `pricing`; null without one. */
  cost: Cost | null;
  /** Null when the results could not be read (then the report says so). */
  curation: CurationResults | null;
  samples: Sample[];
  evals: { file: string; data: Record<string, unknown> }[];
  scaling: { file: string; data: Record<string, unknown> }[];
}

export interface CollectOptions {
  /** Generations plotted at most (evenly spaced, always with the first and the last). */
  maxGenerations?: number;
  /** Sample problems shown at most: the best generated elite of each cell, hardest first. */
  maxSamples?: number;
  lineageDepth?: number;
  evalFiles?: string[];
  scalingFiles?: string[];
}

export function downsample<T>(items: T[], max: number): T[] {
  if (items.length <= max) return items;
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(items[Math.round((i * (items.length - 1)) / (max - 1))]!);
  return out;
}

export function collectReportData(
  store: SqliteRunStore,
  dir: string,
  options: CollectOptions = {},
): ReportData {
  const maxGenerations = options.maxGenerations ?? 200;
  const maxSamples = options.maxSamples ?? 60;
  const snapshot = store.latestConfig();
  const config = snapshot ? (JSON.parse(snapshot.configJson) as SparqConfig) : null;
  const allGenerations = generationPoints(store);
  const archive = archiveState(store);
  const totals = store.queries.problemTotals();
  const cells = cellSummaries(archive, config);
  const counters = store.counters();

  return {
    dir,
    runId: store.getMeta('run_id') ?? null,
    createdAt: store.getMeta('created_at') ?? null,
    sparqVersion: snapshot?.sparqVersion ?? null,
    config,
    generations: downsample(allGenerations, maxGenerations),
    generationsTotal: allGenerations.length,
    cells: cells.filter((c) => c.skill !== OTHER),
    otherCells: cells.filter((c) => c.skill === OTHER),
    bands: bandSummaries(archive, config?.archive?.difficulty_bands ?? [0.25, 0.5, 0.75]),
    operators: operatorSummaries(store),
    rejectionReasons: store.queries.rejectionsByReason(),
    totals: {
      problems: totals.total,
      seeds: totals.seeds,
      verified: totals.verified,
      disputed: totals.disputed,
      rejected: store.queries.rejectionTotal(),
    },
    counters,
    cost: runCost(snapshot?.configJson ?? null, counters),
    curation: curationResults(dir),
    samples: archive ? samples(store, archive, maxSamples, options.lineageDepth ?? 6) : [],
    evals: readJsonFiles([...(options.evalFiles ?? []), ...jsonFilesIn(join(dir, 'evals'))]),
    scaling: readJsonFiles([...(options.scalingFiles ?? []), ...jsonFilesIn(join(dir, 'scaling'))]),
  };
}

/** The metrics of every committed epoch ("generation"). */
function generationPoints(store: SqliteRunStore): GenerationPoint[] {
  return store.generations().map((g) => ({ ...g.metrics, generation: g.generation }));
}

/** The archive as of the last commit (null before anything was committed). */
function archiveState(store: SqliteRunStore): ArchiveState | null {
  return store.coreState()?.archive ?? null;
}

function cellSummaries(archive: ArchiveState | null, config: SparqConfig | null): CellSummary[] {
  const byCell = new Map<string, { subject: string; skill: string; qualities: number[] }>();
  // Every cell of the grid, so that empty cells show as gaps in coverage.
  try {
    const taxonomy = loadTaxonomy(config?.taxonomy ?? 'bundled:v1');
    for (const subject of SUBJECTS) {
      for (const skill of [...(taxonomy.skills.get(subject) ?? []), 'other'])
        byCell.set(cellKey({ subject, skill, band: null }), { subject, skill, qualities: [] });
    }
  } catch {
    // The taxonomy file moved since the run: show the occupied cells only.
  }
  for (const { cell, elites } of archive?.cells ?? []) {
    // Difficulty bands are folded into their (subject, skill) cell.
    const { subject, skill } = cell;
    const id = cellKey({ subject, skill, band: null });
    const entry = byCell.get(id) ?? { subject, skill, qualities: [] };
    entry.qualities.push(...elites.map((e) => e.quality));
    byCell.set(id, entry);
  }
  return [...byCell.values()].map((c) => ({
    subject: c.subject,
    skill: c.skill,
    elites: c.qualities.length,
    maxQuality: c.qualities.length ? Math.max(...c.qualities) : null,
    meanQuality: c.qualities.length ? c.qualities.reduce((a, b) => a + b, 0) / c.qualities.length : null,
  }));
}

function bandSummaries(archive: ArchiveState | null, cuts: readonly number[]): BandSummary[] {
  const edges = [0, ...cuts, 1];
  const label = (b: number) => `[${edges[b]}, ${edges[b + 1]}${b === cuts.length ? ']' : ')'}`;
  const counts = new Map<string, number>();
  for (const { cell, elites } of archive?.cells ?? [])
    for (const e of elites) {
      const key = `${cell.subject}\u0000${bandOf(e.solveRate, cuts)}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  return SUBJECTS.flatMap((subject) =>
    edges.slice(1).map((_, b) => ({
      subject,
      band: label(b),
      order: b,
      elites: counts.get(`${subject}\u0000${b}`) ?? 0,
    })),
  );
}

/**
 * The curation results stored beside the run, read without computing anything (a 2M-problem
 * pool's analysis takes minutes; `sparq select` or `sparq decontaminate` does it).
 */
function curationResults(dir: string): CurationResults | null {
  const notes: string[] = [];
  try {
    const conn = openAnalysisConnection(dir, { results: 'read', warn: (line) => notes.push(line) });
    try {
      return conn.read(() => {
        const curation = readCuration(conn);
        const sets = curation.decontamination?.summary.sets.map((s) => s.name) ?? [];
        return { ...curation, examples: sets.length ? contaminationExamples(conn, sets, 3) : {}, notes };
      });
    } finally {
      conn.close();
    }
  } catch {
    return null;
  }
}

function operatorSummaries(store: SqliteRunStore): OperatorSummary[] {
  const ops = new Map<string, OperatorSummary>();
  const get = (operator: string) => {
    let o = ops.get(operator);
    if (!o) {
      o = { operator, tasks: 0, rejected: 0, unverified: 0, NEW: 0, IMPROVED: 0, NOT_ADDED: 0 };
      ops.set(operator, o);
    }
    return o;
  };
  for (const row of store.queries.operatorOutcomes()) {
    const o = get(row.operator);
    o.tasks += row.count;
    if (row.status) o[row.status] += row.count;
    else if (!row.verified) o.unverified += row.count;
  }
  for (const row of store.queries.rejectionsByOperator()) {
    const o = get(row.operator);
    o.tasks += row.count;
    o.rejected += row.count;
  }
  return [...ops.values()].sort((a, b) => a.operator.localeCompare(b.operator));
}

/**
 * One sample per cell: its best generated elite, or its best seed when it holds no generated
 * one; generated problems first, each group hardest first. Seeds are the input, not the result.
 */
function samples(store: SqliteRunStore, archive: ArchiveState, max: number, depth: number): Sample[] {
  const records = new Map(
    store.getProblems(archive.cells.flatMap(({ elites }) => elites.map((e) => e.uid))).map((p) => [p.uid, p]),
  );
  // Among equally hard problems, the later generation: the longer path of mutations is the one to read.
  const byQuality = (a: ProblemRecord, b: ProblemRecord) =>
    (b.quality ?? 0) - (a.quality ?? 0) || b.generation - a.generation || a.uid.localeCompare(b.uid);
  const best = archive.cells
    .map(({ cell, elites }) => {
      const members = elites.flatMap((e) => records.get(e.uid) ?? []).sort(byQuality);
      return { cell: cellKey(cell), record: members.find((r) => r.origin !== 'seed') ?? members[0] };
    })
    .filter((c): c is { cell: string; record: ProblemRecord } => c.record !== undefined)
    .sort(
      (a, b) =>
        Number(a.record.origin === 'seed') - Number(b.record.origin === 'seed') ||
        byQuality(a.record, b.record) ||
        a.cell.localeCompare(b.cell),
    )
    .slice(0, max);
  return best.map(({ cell, record }) => {
    const lineage: LineageStep[] = store.queries.lineage(record.parentUids[0], depth).map((row) => ({
      uid: row.uid,
      origin: row.origin,
      generation: row.generation,
      solveRate: row.solveRate,
      problem: row.problem.slice(0, 400),
    }));
    const lineageCut = lineage.length === depth && lineage.at(-1)!.origin !== 'seed';
    return { cell, record, lineage, lineageCut };
  });
}

function jsonFilesIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(dir, f));
}

function readJsonFiles(files: string[]): { file: string; data: Record<string, unknown> }[] {
  return [...new Set(files)].flatMap((file) => {
    try {
      const data = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      return data && typeof data === 'object' && !Array.isArray(data)
        ? [{ file, data: data as Record<string, unknown> }]
        : [];
    } catch {
      return [];
    }
  });
}
