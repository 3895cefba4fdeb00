/**
 * The read-side questions `sparq status` and `sparq report` ask of a run database, one typed
 * method each, with the statements prepared once per connection. Counts come from the pool
 * summary kept at commit (pool-summary.ts), so they cost the same at 20M problems as at 20k. Reads only: safe on a run
 * that a live `sparq run` keeps writing (WAL readers never block the writer).
 *
 * Values come back in the domain's types (origins, operators, reasons, archive statuses) because
 * every row is written by the store from typed records.
 */
import type Database from 'better-sqlite3';
import type { InsertStatus, Operator, Origin, RejectionReason } from '../domain/records.js';
import { KEY_SEP, PoolSummaryReader } from './pool-summary.js';

/** Sizes of the pool; `verified` and `disputed` count problems with that flag set. */
export interface ProblemTotals {
  total: number;
  seeds: number;
  verified: number;
  disputed: number;
}

export interface OriginCount {
  origin: Origin;
  count: number;
}

export interface ReasonCount {
  reason: RejectionReason;
  count: number;
}

/** Mutants (non-seed problems) grouped by operator, archive status and verification. */
export interface OperatorOutcome {
  operator: Operator;
  /** The archive's verdict on insertion, null when the problem was not offered to the archive. */
  status: InsertStatus | null;
  verified: boolean;
  count: number;
}

export interface OperatorRejections {
  operator: Operator;
  count: number;
}

/** One ancestor on a first-parent lineage. */
export interface LineageRow {
  uid: string;
  origin: Origin;
  generation: number;
  solveRate: number | null;
  problem: string;
  parentUids: string[];
}

/** A lineage row as SQLite returns it, before the conversion to `LineageRow`. */
interface AncestorRow {
  uid: string;
  origin: Origin;
  generation: number;
  solve_rate: number | null;
  problem: string;
  parent_uids: string;
}

export class RunQueries {
  private readonly summary: PoolSummaryReader;
  private readonly ancestor: Database.Statement<[string], AncestorRow>;

  constructor(db: Database.Database) {
    this.summary = new PoolSummaryReader(db);
    this.ancestor = db.prepare<[string], AncestorRow>(
      'SELECT uid, origin, generation, solve_rate, problem_text(problem) AS problem, parent_uids FROM problems WHERE uid = ?',
    );
  }

  problemTotals(): ProblemTotals {
    const t = this.summary.totals();
    const seeds = this.summary.rows('origin').find((r) => r.key === 'seed')?.problems ?? 0;
    return { total: t.problems, seeds, verified: t.verified, disputed: t.disputed };
  }

  /** Problems per origin (seed and each operator), by origin name. */
  problemsByOrigin(): OriginCount[] {
    return this.summary
      .rows('origin')
      .map((r) => ({ origin: r.key as Origin, count: r.problems }))
      .sort((a, b) => (a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : 0));
  }

  /** Rejections per reason, most frequent first. */
  rejectionsByReason(): ReasonCount[] {
    return this.summary
      .rows('rejection_reason')
      .map((r) => ({ reason: r.key as RejectionReason, count: r.problems }))
      .sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : 1));
  }

  rejectionTotal(): number {
    return this.summary.rows('rejection_reason').reduce((n, r) => n + r.problems, 0);
  }

  operatorOutcomes(): OperatorOutcome[] {
    return this.summary.rows('outcome').map((r) => {
      const [operator, status, verified] = r.key.split(KEY_SEP) as [Operator, string, string];
      return {
        operator,
        status: status === '' ? null : (status as InsertStatus),
        verified: verified === '1',
        count: r.problems,
      };
    });
  }

  /** Rejections per operator, in no particular order. */
  rejectionsByOperator(): OperatorRejections[] {
    return this.summary
      .rows('rejection_operator')
      .map((r) => ({ operator: r.key as Operator, count: r.problems }));
  }

  /**
   * The first-parent lineage starting at `uid` (itself first), at most `depth` problems; it stops
   * at a problem without parents or at a parent the pool does not hold.
   */
  lineage(uid: string | undefined, depth: number): LineageRow[] {
    const out: LineageRow[] = [];
    let next = uid;
    while (next && out.length < depth) {
      const row = this.ancestor.get(next);
      if (!row) break;
      const parentUids = JSON.parse(row.parent_uids) as string[];
      out.push({
        uid: row.uid,
        origin: row.origin,
        generation: row.generation,
        solveRate: row.solve_rate,
        problem: row.problem,
        parentUids,
      });
      next = parentUids[0];
    }
    return out;
  }
}
