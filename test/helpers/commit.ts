import type { ArchiveState } from '../../src/core/archive.js';
import { generationMetrics, newTally } from '../../src/core/metrics.js';
import type { CoreState } from '../../src/core/qd-core.js';
import type { ProblemRecord, RejectionRecord } from '../../src/domain/records.js';
import type { EpochMetrics } from '../../src/storage/run-store.js';
import type { SqliteRunStore } from '../../src/storage/sqlite-store.js';

const EMPTY_ARCHIVE: ArchiveState = { capacity: 1, totalCells: 1, cells: [] };

/** Problems with the fields a hand-made record may leave out filled in (seq from the task index). */
export function withRunFields<T extends Partial<ProblemRecord>>(
  p: T,
): T & Pick<ProblemRecord, 'seq' | 'truncated' | 'unverifiedReason'> {
  return {
    seq: p.seq ?? p.taskIndex ?? 0,
    truncated: p.truncated ?? 0,
    unverifiedReason: p.unverifiedReason ?? (p.verified === false ? 'no_correct_attempt' : null),
    ...p,
  };
}

/**
 * Commits hand-made records as one epoch, the way a run's scheduler would: a test fixture for
 * stores, reports and curation that need a pool without running the engine.
 */
export function commitEpoch(
  store: SqliteRunStore,
  c: {
    generation: number;
    startedAt?: string;
    problems: ProblemRecord[];
    rejections: RejectionRecord[];
    metrics?: Partial<EpochMetrics>;
    archive?: ArchiveState;
    counters?: Record<string, number>;
  },
): void {
  const archive = c.archive ?? EMPTY_ARCHIVE;
  const told = Math.max(0, ...c.problems.map((p) => p.seq + 1), ...c.rejections.map((r) => r.seq + 1));
  const core: CoreState = { version: 2, told, archive, curiosity: [] };
  const base = generationMetrics(
    newTally(c.generation, ''),
    {
      cells: archive.totalCells,
      occupied: archive.cells.length,
      coverage: 0,
      otherOccupied: 0,
      otherCells: 0,
      elites: 0,
      qdScore: 0,
      normalizedQdScore: 0,
      meanQuality: 0,
      maxQuality: 0,
    },
    0,
  );
  const metrics: EpochMetrics = {
    ...base,
    partial: false,
    spend: {},
    seconds: 0,
    rssMb: 0,
    peakRssMb: 0,
    heapUsedMb: 0,
    ...c.metrics,
  };
  store.commit({
    problems: c.problems,
    rejections: c.rejections,
    epochs: [{ generation: c.generation, startedAt: c.startedAt ?? new Date().toISOString(), metrics }],
    coreState: core,
    scheduler: { version: 1, told, seedTasks: 0, window: 1, open: [], epoch: newTally(c.generation + 1, '') },
    counters: c.counters ?? {},
  });
}
