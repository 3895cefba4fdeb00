/**
 * The pool's counts and distributions, kept at commit in one small table (`pool_summary`) so
 * that `status`, `stats` and `report` read a few hundred rows instead of scanning millions of
 * problems. Problems and rejections are insert-only, so each commit adds its prefix's deltas;
 * runs from before the table existed are summarised once, by the migration that adds it.
 *
 * Every row is one group of one dimension: problems in it, how many verified / disputed / not
 * evaluated / solved by every attempt, and the sum of the verified problems' solve-rates (their
 * mean is the sum over `verified`). Rejection dimensions use only `problems`, as their count.
 */
import type Database from 'better-sqlite3';

export type SummaryDimension =
  | 'origin'
  | 'subject'
  | 'skill'
  | 'generation'
  | 'generation_origin'
  /** Non-seed problems by operator, archive status and verification. */
  | 'outcome'
  /** Verified problems by exact solve-rate (few distinct values: c/k), so any binning is exact. */
  | 'solve_rate'
  /** What the labeller said when it was mapped to "other". */
  | 'unmapped_label'
  | 'rejection_reason'
  | 'rejection_operator'
  | 'rejection_generation';

/** Separates the parts of a composite key (subject and skill, generation and origin, ...). */
export const KEY_SEP = '\u001f';

export interface SummaryGroup {
  problems: number;
  verified: number;
  disputed: number;
  notEvaluated: number;
  solvedByAll: number;
  /** Sum of the solve-rates of the verified problems. */
  verifiedRateSum: number;
}

/** The fields of a problem row the summary reads. */
export interface SummarisedProblem {
  origin: string;
  subject: string | null;
  skill: string | null;
  generation: number;
  archiveStatus: string | null;
  verified: boolean;
  disputed: boolean;
  solveRate: number | null;
  rawLabel: string | null;
}

export interface SummarisedRejection {
  reason: string;
  operator: string;
  generation: number;
}

const NONE = '(none)';

/** Accumulates the deltas of a batch of rows, then adds them to the table in one statement each. */
export class SummaryDeltas {
  private readonly groups = new Map<string, SummaryGroup>();

  addProblem(p: SummarisedProblem): void {
    const subject = p.subject ?? NONE;
    const keys: [SummaryDimension, string][] = [
      ['origin', p.origin],
      ['subject', subject],
      ['skill', `${subject}${KEY_SEP}${p.skill ?? NONE}`],
      ['generation', String(p.generation)],
      ['generation_origin', `${p.generation}${KEY_SEP}${p.origin}`],
    ];
    if (p.origin !== 'seed')
      keys.push(['outcome', `${p.origin}${KEY_SEP}${p.archiveStatus ?? ''}${KEY_SEP}${p.verified ? 1 : 0}`]);
    if (p.verified && p.solveRate !== null) keys.push(['solve_rate', String(p.solveRate)]);
    if (p.skill === 'other' && p.rawLabel !== null) keys.push(['unmapped_label', p.rawLabel]);
    for (const [dimension, key] of keys) {
      const g = this.group(dimension, key);
      g.problems++;
      if (p.verified) {
        g.verified++;
        g.verifiedRateSum += p.solveRate ?? 0;
      }
      if (p.disputed) g.disputed++;
      if (p.solveRate === null) g.notEvaluated++;
      if (p.verified && p.solveRate !== null && p.solveRate >= 1 - 1e-9) g.solvedByAll++;
    }
  }

  addRejection(r: SummarisedRejection): void {
    this.group('rejection_reason', r.reason).problems++;
    this.group('rejection_operator', r.operator).problems++;
    this.group('rejection_generation', String(r.generation)).problems++;
  }

  /** Adds the deltas to `pool_summary`; call inside the commit's transaction. */
  writeTo(db: Database.Database): void {
    if (this.groups.size === 0) return;
    const upsert = db.prepare(
      `INSERT INTO pool_summary (dimension, key, problems, verified, disputed, not_evaluated, solved_by_all, verified_rate_sum)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (dimension, key) DO UPDATE SET
         problems = problems + excluded.problems, verified = verified + excluded.verified,
         disputed = disputed + excluded.disputed, not_evaluated = not_evaluated + excluded.not_evaluated,
         solved_by_all = solved_by_all + excluded.solved_by_all,
         verified_rate_sum = verified_rate_sum + excluded.verified_rate_sum`,
    );
    for (const [id, g] of this.groups) {
      const at = id.indexOf('\u0000');
      upsert.run(
        id.slice(0, at),
        id.slice(at + 1),
        g.problems,
        g.verified,
        g.disputed,
        g.notEvaluated,
        g.solvedByAll,
        g.verifiedRateSum,
      );
    }
    this.groups.clear();
  }

  private group(dimension: SummaryDimension, key: string): SummaryGroup {
    const id = `${dimension}\u0000${key}`;
    let g = this.groups.get(id);
    if (!g) {
      g = { problems: 0, verified: 0, disputed: 0, notEvaluated: 0, solvedByAll: 0, verifiedRateSum: 0 };
      this.groups.set(id, g);
    }
    return g;
  }
}

export const CREATE_POOL_SUMMARY = `
  CREATE TABLE pool_summary (
    dimension TEXT NOT NULL,
    key TEXT NOT NULL,
    problems INTEGER NOT NULL,
    verified INTEGER NOT NULL,
    disputed INTEGER NOT NULL,
    not_evaluated INTEGER NOT NULL,
    solved_by_all INTEGER NOT NULL,
    verified_rate_sum REAL NOT NULL,
    PRIMARY KEY (dimension, key)
  ) WITHOUT ROWID;
`;

/** Rows read per query by the backfill: memory stays bounded whatever the pool. */
const BACKFILL_PAGE = 20_000;

/** Summarises the rows a run already has, page by page: the migration that adds the table. */
export function backfillPoolSummary(db: Database.Database): void {
  db.exec(CREATE_POOL_SUMMARY);
  const deltas = new SummaryDeltas();
  const problems = db.prepare(
    `SELECT id, origin, subject, skill, generation, archive_status, verified, disputed, solve_rate, raw_label
     FROM problems WHERE id > ? ORDER BY id LIMIT ${BACKFILL_PAGE}`,
  );
  for (let after = 0; ; ) {
    const page = problems.all(after) as Record<string, unknown>[];
    if (page.length === 0) break;
    for (const r of page)
      deltas.addProblem({
        origin: r.origin as string,
        subject: (r.subject as string | null) ?? null,
        skill: (r.skill as string | null) ?? null,
        generation: r.generation as number,
        archiveStatus: (r.archive_status as string | null) ?? null,
        verified: r.verified === 1,
        disputed: r.disputed === 1,
        solveRate: (r.solve_rate as number | null) ?? null,
        rawLabel: (r.raw_label as string | null) ?? null,
      });
    after = page.at(-1)!.id as number;
    deltas.writeTo(db);
  }
  const rejections = db.prepare(
    `SELECT id, reason, operator, generation FROM rejections WHERE id > ? ORDER BY id LIMIT ${BACKFILL_PAGE}`,
  );
  for (let after = 0; ; ) {
    const page = rejections.all(after) as (SummarisedRejection & { id: number })[];
    if (page.length === 0) break;
    for (const r of page) deltas.addRejection(r);
    after = page.at(-1)!.id;
    deltas.writeTo(db);
  }
}

export interface SummaryRow extends SummaryGroup {
  key: string;
}

/** Reads the summary; prepared once per connection. */
export class PoolSummaryReader {
  private readonly byDimension: Database.Statement<[string], Record<string, unknown>>;

  constructor(db: Database.Database) {
    this.byDimension = db.prepare(
      'SELECT key, problems, verified, disputed, not_evaluated, solved_by_all, verified_rate_sum FROM pool_summary WHERE dimension = ?',
    );
  }

  rows(dimension: SummaryDimension): SummaryRow[] {
    return this.byDimension.all(dimension).map((r) => ({
      key: r.key as string,
      problems: r.problems as number,
      verified: r.verified as number,
      disputed: r.disputed as number,
      notEvaluated: r.not_evaluated as number,
      solvedByAll: r.solved_by_all as number,
      verifiedRateSum: r.verified_rate_sum as number,
    }));
  }

  /** The totals of one dimension that covers every problem once (origin does). */
  totals(): SummaryGroup {
    const t: SummaryGroup = {
      problems: 0,
      verified: 0,
      disputed: 0,
      notEvaluated: 0,
      solvedByAll: 0,
      verifiedRateSum: 0,
    };
    for (const r of this.rows('origin')) {
      t.problems += r.problems;
      t.verified += r.verified;
      t.disputed += r.disputed;
      t.notEvaluated += r.notEvaluated;
      t.solvedByAll += r.solvedByAll;
      t.verifiedRateSum += r.verifiedRateSum;
    }
    return t;
  }
}
