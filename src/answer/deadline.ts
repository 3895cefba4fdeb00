/**
 * Cooperative time limit for the synchronous checker. JavaScript cannot interrupt a running
 * function, so the checker calls `check()` between steps (after parsing, between random points,
 * inside set matching) and the pool's worker termination covers anything that still gets stuck.
 */
export class DeadlineExceeded extends Error {
  constructor() {
    super('answer check exceeded its time limit');
    this.name = 'DeadlineExceeded';
  }
}

export class Deadline {
  private readonly end: number;

  constructor(readonly budgetMs: number) {
    this.end = performance.now() + budgetMs;
  }

  expired(): boolean {
    return performance.now() > this.end;
  }

  /** Throws `DeadlineExceeded` once the budget is spent. */
  check(): void {
    if (performance.now() > this.end) throw new DeadlineExceeded();
  }
}

/** A deadline that never expires, for callers (tests, grouping) that need none. */
export const NO_DEADLINE: Deadline = new Deadline(Number.POSITIVE_INFINITY);
