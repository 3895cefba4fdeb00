/**
 * Everything the report shows, aggregated from the run database on the server side: the size of
 * the report depends on the number of cells and (down-sampled) generations, never on the pool.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SparqConfig } from '../config/schema.js';
import type { ArchiveState } from '../core/archive.js';
import { cellKey } from '../core/cells.js';
import type { ProblemRecord } from '../domain/records.js';
import { SUBJECTS } from '../domain/subjects.js';
import { loadTaxonomy } from '../domain/taxonomy.js';
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
  lineage: LineageStep[];
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
  cells: CellSummary[];
  operators: OperatorSummary[];
  rejectionReasons: { reason: string; count: number }[];
  totals: { problems: number; seeds: number; verified: number; disputed: number; rejected: number };
  counters: Record<string, number>;
  samples: Sample[];
  evals: { file: string; data: Record<string, unknown> }[];
  scaling: { file: string; data: Record<string, unknown> }[];
}

export interface CollectOptions {
  /** Generations plotted at most (evenly spaced, always with the first and the last). */
  maxGenerations?: number;
  /** Sample problems shown at most, best elite of each cell first. */
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

  return {
    dir,
    runId: store.getMeta('run_id') ?? null,
    createdAt: store.getMeta('created_at') ?? null,
    sparqVersion: snapshot?.sparqVersion ?? null,
    config,
    generations: downsample(allGenerations, maxGenerations),
    generationsTotal: allGenerations.length,
    cells: cellSummaries(archive, config),
    operators: operatorSummaries(store),
    rejectionReasons: store.queries.rejectionsByReason(),
    totals: {
      problems: totals.total,
      seeds: totals.seeds,
      verified: totals.verified,
      disputed: totals.disputed,
      rejected: store.queries.rejectionTotal(),
    },
    counters: store.counters(),
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

function samples(store: SqliteRunStore, archive: ArchiveState, max: number, depth: number): Sample[] {
  const best = archive.cells
    .map(({ cell, elites }) => ({
      cell: cellKey(cell),
      elite: [...elites].sort((a, b) => b.quality - a.quality || a.uid.localeCompare(b.uid))[0]!,
    }))
    .filter((c) => c.elite !== undefined)
    .sort((a, b) => b.elite.quality - a.elite.quality || a.cell.localeCompare(b.cell))
    .slice(0, max);
  const records = new Map(store.getProblems(best.map((b) => b.elite.uid)).map((p) => [p.uid, p]));
  return best.flatMap(({ cell, elite }) => {
    const record = records.get(elite.uid);
    if (!record) return [];
    const lineage: LineageStep[] = store.queries.lineage(record.parentUids[0], depth).map((row) => ({
      uid: row.uid,
      origin: row.origin,
      generation: row.generation,
      solveRate: row.solveRate,
      problem: row.problem.slice(0, 400),
    }));
    return [{ cell, record, lineage }];
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
