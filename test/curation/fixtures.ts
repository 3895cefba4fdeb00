/** Synthetic pools written straight into a run database, for curation tests without a model. */
import { cellKey } from '../../src/core/cells.js';
import type { ProblemRecord, RejectionRecord } from '../../src/domain/records.js';
import { problemTextHash } from '../../src/engine/mutation-output.js';
import { SqliteRunStore } from '../../src/storage/sqlite-store.js';
import { commitEpoch } from '../helpers/commit.js';

export function makeProblem(uid: string, overrides: Partial<ProblemRecord> = {}): ProblemRecord {
  const problem = overrides.problem ?? `Problem ${uid}: find the value of $x$ in the equation number ${uid}.`;
  const solveRate = overrides.solveRate === undefined ? 0.5 : overrides.solveRate;
  const verified = overrides.verified ?? (solveRate !== null && solveRate > 0);
  return {
    uid,
    seq: 0,
    generation: 1,
    taskIndex: 0,
    origin: 'vary',
    seedId: null,
    parentUids: ['seed:s0'],
    templateRef: 'vary@1',
    templateHash: 'abc',
    model: 'sim-1',
    mutateKey: `mutate-${uid}`,
    genParams: { n: 1, temperature: 1 },
    solution: `We compute. The answer is $\\boxed{${uid.length}}$.`,
    answer: String(uid.length),
    subject: 'Algebra',
    skill: 'linear equations',
    rawLabel: 'linear equations',
    labelKey: `label-${uid}`,
    labelMalformed: false,
    labelReasks: 0,
    level: null,
    attempts: [],
    correct: solveRate === null ? 0 : Math.round(solveRate * 8),
    truncated: 0,
    unverifiedReason: verified ? null : 'no_correct_attempt',
    majorityAnswer: null,
    majorityShare: null,
    disputed: false,
    quality: verified && solveRate !== null ? 1 - solveRate : null,
    solveKeys: [`solve-${uid}`],
    solveParams: { n: 8, temperature: 0.7 },
    archiveStatus: null,
    ...overrides,
    // As a run stores it: every problem with a subject has the core's cell key.
    cell:
      overrides.cell !== undefined
        ? overrides.cell
        : overrides.subject === null
          ? null
          : cellKey({
              subject: overrides.subject ?? 'Algebra',
              skill: overrides.skill ?? 'linear equations',
              band: null,
            }),
    problem,
    textHash: problemTextHash(problem),
    solveRate,
    verified,
  };
}

export function makeRejection(uid: string, overrides: Partial<RejectionRecord> = {}): RejectionRecord {
  return {
    uid,
    seq: 0,
    generation: 1,
    taskIndex: 0,
    operator: 'vary',
    parentUids: ['seed:s0'],
    reason: 'no_final_answer',
    detail: null,
    rawOutput: null,
    requestKey: `mutate-${uid}`,
    ...overrides,
  };
}

/**
 * Writes `problems` (and `rejections`) into a new run database at `dir`, one generation per
 * distinct generation number, with a config snapshot naming `seedsPath`.
 */
export function writePool(
  dir: string,
  problems: ProblemRecord[],
  seedsPath = 'bundled:math_train',
  rejections: RejectionRecord[] = [],
): void {
  const store = SqliteRunStore.open(dir, { create: true });
  try {
    store.setMeta('run_id', 'testrun00001');
    store.saveConfigSnapshot({
      configJson: JSON.stringify({ model: { model: 'sim-1' }, seeds: { path: seedsPath }, solver: { k: 8 } }),
      configHash: 'cfghash',
      sparqVersion: '0.1.0',
      detectedJson: null,
    });
    const generations = [
      ...new Set([...problems.map((p) => p.generation), ...rejections.map((r) => r.generation)]),
    ].sort((a, b) => a - b);
    for (const generation of generations) {
      commitEpoch(store, {
        generation,
        startedAt: new Date().toISOString(),
        problems: problems
          .filter((p) => p.generation === generation)
          .map((p, i) => ({ ...p, taskIndex: p.taskIndex || i })),
        rejections: rejections.filter((r) => r.generation === generation),
        counters: {},
      });
    }
  } finally {
    store.close();
  }
}
