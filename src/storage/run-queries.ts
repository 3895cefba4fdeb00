/**
 * The read-side questions `sparq status` and `sparq report` ask of a run database, one typed
 * method each, with the statements prepared once per connection. Reads only: safe on a run
 * that a live `sparq run` keeps writing (WAL readers never block the writer).
 *
 * Values come back in the domain's types (origins, operators, reasons, archive statuses) because
 * every row is written by the store from typed records.
 */
import type Database from 'better-sqlite3';
import type { InsertStatus, Operator, Origin, RejectionReason } from '../domain/records.js';

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

/** Rows as SQLite returns them, before the conversion to the interfaces above. */
interface OutcomeRow {
  operator: Operator;
  status: InsertStatus | null;
  verified: number;
  count: number;
}

interface AncestorRow {
  uid: string;
  origin: Origin;
  generation: number;
  solve_rate: number | null;
  problem: string;
  parent_uids: string;
}

export class RunQueries {
  private readonly totals: Database.Statement<[], ProblemTotals>;
  private readonly byOrigin: Database.Statement<[], OriginCount>;
  private readonly byReason: Database.Statement<[], ReasonCount>;
  private readonly outcomes: Database.Statement<[], OutcomeRow>;
  private readonly rejectionsPerOperator: Database.Statement<[], OperatorRejections>;
  private readonly ancestor: Database.Statement<[string], AncestorRow>;

  constructor(db: Database.Database) {
    this.totals = db.prepare<[], ProblemTotals>(
      `SELECT COUNT(*) AS total, COALESCE(SUM(origin = 'seed'), 0) AS seeds, COALESCE(SUM(verified), 0) AS verified,
              COALESCE(SUM(disputed), 0) AS disputed FROM problems`,
    );
    this.byOrigin = db.prepare<[], OriginCount>(
      'SELECT origin, COUNT(*) AS count FROM problems GROUP BY origin ORDER BY origin',
    );
    this.byReason = db.prepare<[], ReasonCount>(
      'SELECT reason, COUNT(*) AS count FROM rejections GROUP BY reason ORDER BY count DESC',
    );
    this.outcomes = db.prepare<[], OutcomeRow>(
      `SELECT origin AS operator, archive_status AS status, verified, COUNT(*) AS count FROM problems
       WHERE origin != 'seed' GROUP BY origin, archive_status, verified`,
    );
    this.rejectionsPerOperator = db.prepare<[], OperatorRejections>(
      'SELECT operator, COUNT(*) AS count FROM rejections GROUP BY operator',
    );
    this.ancestor = db.prepare<[string], AncestorRow>(
      'SELECT uid, origin, generation, solve_rate, problem, parent_uids FROM problems WHERE uid = ?',
    );
  }

  problemTotals(): ProblemTotals {
    // An aggregate without GROUP BY always returns exactly one row.
    return this.totals.get()!;
  }

  /** Problems per origin (seed and each operator), by origin name. */
  problemsByOrigin(): OriginCount[] {
    return this.byOrigin.all();
  }

  /** Rejections per reason, most frequent first. */
  rejectionsByReason(): ReasonCount[] {
    return this.byReason.all();
  }

  operatorOutcomes(): OperatorOutcome[] {
    return this.outcomes.all().map((r) => ({ ...r, verified: r.verified !== 0 }));
  }

  /** Rejections per operator, in no particular order. */
  rejectionsByOperator(): OperatorRejections[] {
    return this.rejectionsPerOperator.all();
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
