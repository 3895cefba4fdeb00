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
  private end: number;

  constructor(readonly budgetMs: number) {
    this.end = performance.now() + budgetMs;
  }

  expired(): boolean {
    return performance.now() > this.end;
  }

  /**
   * Run `fn` without charging its time to this check: one-off setup such as creating the CAS
   * engine (about 200 ms) must not make the first check of a process time out.
   */
  excluding<T>(fn: () => T): T {
    const start = performance.now();
    try {
      return fn();
    } finally {
      this.end += performance.now() - start;
    }
  }

  /** Throws `DeadlineExceeded` once the budget is spent. */
  check(): void {
    if (performance.now() > this.end) throw new DeadlineExceeded();
  }
}

/** A deadline that never expires, for callers (tests, grouping) that need none. */
export const NO_DEADLINE: Deadline = new Deadline(Number.POSITIVE_INFINITY);
