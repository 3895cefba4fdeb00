/**
 * Caps requests in flight. Waiters are served by priority (lowest first, then arrival order),
 * not first come first served: the scheduler tells outcomes in task order, so a request of the
 * oldest live task is the one whose delay holds everything else back, and it goes first.
 */
export class PriorityLimiter {
  private available: number;
  /** A binary min-heap of waiters by (priority, arrival). */
  private readonly heap: { priority: number; order: number; wake: () => void }[] = [];
  private arrivals = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
    this.available = capacity;
  }

  get inFlight(): number {
    return this.capacity - this.available;
  }

  get waiting(): number {
    return this.heap.length;
  }

  /** Takes a free slot if there is one and nobody waits for it. */
  tryAcquire(): boolean {
    if (this.available > 0 && this.heap.length === 0) {
      this.available--;
      return true;
    }
    return false;
  }

  /** Resolves (at once when a slot is free) with a slot that must be given back with `release`. */
  acquire(priority: number): Promise<void> | undefined {
    if (this.tryAcquire()) return undefined;
    return new Promise((wake) => this.push({ priority, order: this.arrivals++, wake }));
  }

  release(): void {
    const next = this.pop();
    if (next) next.wake();
    else this.available++;
  }

  private less(a: number, b: number): boolean {
    const x = this.heap[a]!;
    const y = this.heap[b]!;
    return x.priority < y.priority || (x.priority === y.priority && x.order < y.order);
  }

  private push(w: { priority: number; order: number; wake: () => void }): void {
    this.heap.push(w);
    this.siftUp(this.heap.length - 1);
  }

  private pop(): { wake: () => void } | undefined {
    if (this.heap.length === 0) return undefined;
    const top = this.heap[0]!;
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) return;
      [this.heap[i], this.heap[parent]] = [this.heap[parent]!, this.heap[i]!];
      i = parent;
    }
  }

  private siftDown(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.heap.length && this.less(l, m)) m = l;
      if (r < this.heap.length && this.less(r, m)) m = r;
      if (m === i) return;
      [this.heap[i], this.heap[m]] = [this.heap[m]!, this.heap[i]!];
      i = m;
    }
  }
}
