/** Requests by purpose (mutate, label, solve, judge) and outcome, as this process made them: for /metrics. */
export type RequestOutcome = 'answered' | 'cached' | 'failed';

export class RequestTally {
  private readonly counts = new Map<string, { purpose: string; outcome: RequestOutcome; count: number }>();

  add(purpose: string, outcome: RequestOutcome): void {
    const key = `${purpose}\u0000${outcome}`;
    const entry = this.counts.get(key);
    if (entry) entry.count++;
    else this.counts.set(key, { purpose, outcome, count: 1 });
  }

  samples(): { purpose: string; outcome: RequestOutcome; count: number }[] {
    return [...this.counts.values()].sort((a, b) =>
      a.purpose === b.purpose ? (a.outcome < b.outcome ? -1 : 1) : a.purpose < b.purpose ? -1 : 1,
    );
  }
}
