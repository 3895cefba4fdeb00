/**
 * Which pool problems may be selected. By default a fine-tuning set holds only synthetic
 * (non-seed), verified, undisputed problems that overlap no evaluation set, one per duplicate
 * cluster (none when the cluster holds a seed); each exclusion can be lifted by its flag.
 * Everything is SQL over the run database (plus the curation tables), so a pool of millions is
 * filtered without loading it into memory. Tables are named with their schema (`main.`,
 * `curation.`): a run from an older sparq may still hold curation tables of its own in `main`.
 */
import type { AnalysisConnection } from '../storage/analysis-connection.js';
import type { PoolSnapshot } from './analysis-store.js';

export interface SelectionFilters {
  includeSeeds: boolean;
  includeUnverified: boolean;
  includeDisputed: boolean;
  includeDuplicates: boolean;
  includeContaminated: boolean;
}

export const DEFAULT_FILTERS: SelectionFilters = {
  includeSeeds: false,
  includeUnverified: false,
  includeDisputed: false,
  includeDuplicates: false,
  includeContaminated: false,
};

/** In the order they are tested: a problem excluded for several reasons counts under the first. */
export const EXCLUSION_REASONS = ['seed', 'unverified', 'disputed', 'duplicate', 'contaminated'] as const;
export type ExclusionReason = (typeof EXCLUSION_REASONS)[number];

export const REASON_FLAG: Record<ExclusionReason, string> = {
  seed: '--include-seeds',
  unverified: '--include-unverified',
  disputed: '--include-disputed',
  duplicate: '--include-duplicates',
  contaminated: '--include-contaminated',
};

export const REASON_TEXT: Record<ExclusionReason, string> = {
  seed: 'seeds (original data, not synthetic)',
  unverified: 'unverified (no attempt reproduced the reference answer)',
  disputed: 'disputed (a majority of attempts disagrees with the reference answer)',
  duplicate: 'duplicates (their cluster keeps a seed or an earlier qualifying member)',
  contaminated: 'contaminated (n-gram overlap with an evaluation set)',
};

function enabled(filters: SelectionFilters): ExclusionReason[] {
  return EXCLUSION_REASONS.filter(
    (r) =>
      !{
        seed: filters.includeSeeds,
        unverified: filters.includeUnverified,
        disputed: filters.includeDisputed,
        duplicate: filters.includeDuplicates,
        contaminated: filters.includeContaminated,
      }[r],
  );
}

/** The SQL test of one exclusion reason, for problem alias `a` (`p`, or `q` in a subquery). */
function condition(reason: Exclude<ExclusionReason, 'duplicate'>, a: string): string {
  switch (reason) {
    case 'seed':
      return `${a}.origin = 'seed'`;
    case 'unverified':
      return `${a}.verified = 0`;
    case 'disputed':
      return `${a}.disputed = 1`;
    case 'contaminated':
      return `EXISTS (SELECT 1 FROM curation.curation_contamination c WHERE c.uid = ${a}.uid)`;
  }
}

/**
 * A problem is a duplicate when its cluster keeps an earlier member instead: a seed (in the pool
 * or in the seed file: a copy of the original data is not new data), or an earlier problem that
 * passes the other filters. So a cluster whose first member is unverified, disputed or
 * contaminated still contributes its first member that is not.
 */
function duplicateCondition(filters: SelectionFilters): string {
  const quality = enabled(filters).filter(
    (r): r is 'unverified' | 'disputed' | 'contaminated' => r !== 'seed' && r !== 'duplicate',
  );
  const keepable =
    quality.length === 0
      ? '1'
      : `q.origin = 'seed' OR NOT (${quality.map((r) => condition(r, 'q')).join(' OR ')})`;
  // A problem the analysis has no row for (none exists when fresh) is not called a duplicate.
  return `(d.cluster IS NOT NULL AND d.cluster <> p.uid AND (d.cluster LIKE 'seedfile:%' OR EXISTS (
    SELECT 1 FROM curation.curation_clusters d2 JOIN main.problems q ON q.uid = d2.uid
    WHERE d2.cluster = d.cluster AND q.id < p.id AND (${keepable}))))`;
}

/** The FROM clause: problems `p`, joined with their duplicate cluster `d` when that filter is on. */
export function poolFrom(filters: SelectionFilters): string {
  return filters.includeDuplicates
    ? 'main.problems p'
    : 'main.problems p LEFT JOIN curation.curation_clusters d ON d.uid = p.uid';
}

/** A CASE expression: the first reason that excludes the problem, or NULL when it qualifies. */
export function exclusionCase(filters: SelectionFilters): string {
  const reasons = enabled(filters);
  if (reasons.length === 0) return 'NULL';
  const test = (r: ExclusionReason) => (r === 'duplicate' ? duplicateCondition(filters) : condition(r, 'p'));
  return `CASE ${reasons.map((r) => `WHEN ${test(r)} THEN '${r}'`).join(' ')} ELSE NULL END`;
}

/**
 * The cell a problem counts in for diversity: the core's cell key, stored with every problem that
 * has a subject; the few without one (no subject) share one pseudo-group here, never a cell.
 */
export const CELL_KEY = "COALESCE(p.cell, '(no cell)')";

export interface ExclusionCounts {
  total: number;
  eligible: number;
  excluded: Partial<Record<ExclusionReason, number>>;
}

export function countExclusions(
  conn: AnalysisConnection,
  filters: SelectionFilters,
  snapshot: PoolSnapshot,
): ExclusionCounts {
  const rows = conn.db
    .prepare(
      `SELECT ${exclusionCase(filters)} AS reason, COUNT(*) AS n FROM ${poolFrom(filters)} WHERE p.id <= ? GROUP BY reason`,
    )
    .all(snapshot.maxId) as { reason: ExclusionReason | null; n: number }[];
  const out: ExclusionCounts = { total: 0, eligible: 0, excluded: {} };
  for (const r of rows) {
    out.total += r.n;
    if (r.reason === null) out.eligible += r.n;
    else out.excluded[r.reason] = r.n;
  }
  return out;
}
