/**
 * The run store port: everything the scheduler writes and reads, typed. SQLite
 * (`SqliteRunStore`) is the implementation; nothing outside src/storage/ writes SQL against a
 * run (curation's analysis queries use their own read-only connection).
 *
 * Write side: responses by request key (the resume cache), and commits of a told prefix of the
 * task sequence, each atomic: its problems and rejections, rewritten epoch rows, the core state,
 * the scheduler state and counter increments. After a crash a run is exactly at its last commit.
 */

import type { GenerationMetrics } from '../core/metrics.js';
import type { CoreState } from '../core/qd-core.js';
import type { NearScreenSettings, ProblemRecord, RejectionRecord } from '../domain/records.js';
import type { SchedulerState } from '../domain/tasks.js';
import type { ResponseCache } from '../engine/gateway/gateway.js';
import type { SpendLedger } from '../engine/gateway/ledger.js';

/** An epoch's metrics as stored: the archive metrics plus what the epoch cost and took. */
export interface EpochMetrics extends GenerationMetrics {
  /** The run stopped inside this epoch; the row is rewritten when a resume completes it. */
  partial: boolean;
  /** What the epoch's tasks used: requests and tokens, answered by the model or the cache. */
  spend: Record<string, number>;
  seconds: number;
  rssMb: number;
  peakRssMb: number;
  heapUsedMb: number;
}

export interface EpochRow {
  generation: number;
  startedAt: string;
  finishedAt: string;
  metrics: EpochMetrics;
}

export interface PrefixCommit {
  problems: ProblemRecord[];
  rejections: RejectionRecord[];
  epochs: Omit<EpochRow, 'finishedAt'>[];
  coreState: CoreState;
  scheduler: SchedulerState;
  /** Counter increments (spend, faults, rejection reasons) to add atomically with the prefix. */
  counters: Record<string, number>;
  /**
   * The near-duplicate screen's band keys of the prefix's problems, by task number (absent:
   * none). `screened`: the problem was verified against every candidate the screen found among
   * the problems told before it (none left out for the candidate bound), so `sparq select` can
   * take the screen's verdict for those pairs instead of verifying them again.
   */
  nearDuplicateKeys?: { seq: number; keys: number[]; screened?: boolean }[];
  /**
   * The settings of the screen that told the prefix's problems (absent: the screen is off). Each
   * problem with band keys is marked with it (problems.near_screen): +id when `screened`, -id
   * when the screen only wrote its keys.
   */
  nearDuplicateScreen?: NearScreenSettings;
}

/** Where a run resumes from: the state of its last commit. */
export interface StoredProgress {
  core: CoreState;
  scheduler: SchedulerState;
}

export interface ConfigSnapshot {
  configJson: string;
  configHash: string;
  sparqVersion: string;
  /** The model settings decided at start-up and what the endpoint was found to do (JSON); null before schema 3. */
  detectedJson: string | null;
  createdAt: string;
}

export interface RunStore extends ResponseCache {
  getMeta(key: string): string | undefined;
  setMeta(key: string, value: string): void;
  saveConfigSnapshot(snapshot: Omit<ConfigSnapshot, 'createdAt'>): void;
  latestConfig(): ConfigSnapshot | undefined;
  /** Writes buffered responses (and the spend being tracked) now. */
  flush(): void;
  /**
   * Keeps what `ledger` counts (requests, tokens, faults, retries) in the run's counters, written
   * with the responses within a fraction of a second rather than at commit.
   */
  trackSpend(ledger: SpendLedger): void;
  commit(commit: PrefixCommit): void;
  /** Null for a run that has committed nothing yet. */
  loadProgress(): StoredProgress | null;
  getProblems(uids: readonly string[]): ProblemRecord[];
  /** Whether a problem with this text hash was told before task `beforeSeq`. */
  hasProblemText(textHash: string, beforeSeq: number): boolean;
  /** Text hashes of the problems told from task `fromSeq` on, in task order. */
  textHashesFrom(fromSeq: number): { seq: number; textHash: string }[];
  /** Committed problems sharing any of these band keys, the most recent first, at most `limit`. */
  nearDuplicateCandidates(
    keys: readonly number[],
    limit: number,
  ): { seq: number; uid: string; problem: string }[];
  generations(): EpochRow[];
  counters(): Record<string, number>;
  close(): void;
}
