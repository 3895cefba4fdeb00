/**
 * A pool of worker threads running the checker, with a hard time limit. The synchronous
 * checker's deadline is cooperative: a single CAS call that never returns cannot be stopped from
 * inside. Here each check has a wall-clock limit; a worker that exceeds it is terminated and
 * replaced, the stuck pair gets `{ equivalent: false, rule: 'timeout' }`, and the rest of its
 * chunk goes back to the queue.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CheckerOptions, Verdict } from './checker.js';
import type { Extraction } from './extract.js';

export interface PoolPair {
  gold: string;
  predicted: string;
  /** Treat `predicted` as a full model output and extract its answer first. */
  extract?: boolean;
}

export type PoolVerdict = Verdict & { extracted?: Extraction };

export interface PoolOptions {
  /** Worker threads (default: available cores, at most 8). */
  workers?: number;
  /** Hard wall-clock limit per check, in milliseconds (default 2000). */
  timeoutMs?: number;
  /** Hard limit for a whole `checkMany` call; unfinished pairs become timeouts. Default none. */
  batchTimeoutMs?: number;
  /** Pairs sent to a worker at a time (default 64): amortizes messaging, bounds requeued work. */
  chunkSize?: number;
  /** Verdict cache size inside each worker. */
  cacheSize?: number;
  absTol?: number;
  relTol?: number;
  /** Worker script speaking the same protocol; for tests and custom checkers. */
  workerUrl?: URL;
}

/** Messages between the pool and its workers. */
export type ToWorker = { type: 'chunk'; items: PoolPair[] };
export type FromWorker = { type: 'ready' } | { type: 'results'; from: number; verdicts: PoolVerdict[] };

interface Batch {
  results: Array<PoolVerdict | undefined>;
  remaining: number;
  resolve: (v: PoolVerdict[]) => void;
  timer?: NodeJS.Timeout;
}

interface Job {
  batch: Batch;
  index: number;
  pair: PoolPair;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  chunk: Job[] | null;
  next: number;
  timer?: NodeJS.Timeout;
}

const MAX_START_FAILURES = 3;

/**
 * Where the compiled worker lives. From `dist/answer/pool.js` it is the sibling file; when this
 * module runs from `src/answer/pool.ts` (vitest, tsx) the compiled `dist/answer/worker.js` is
 * used, so the package must have been built.
 */
export function defaultWorkerUrl(): URL {
  const here = import.meta.url;
  if (here.endsWith('.ts'))
    return new URL(here.replace(/\/src\/answer\/[^/]+\.ts$/, '/dist/answer/worker.js'));
  return new URL('./worker.js', here);
}

export class CheckerPool {
  readonly size: number;
  readonly timeoutMs: number;
  private readonly batchTimeoutMs: number | undefined;
  private readonly chunkSize: number;
  private readonly workerUrl: URL;
  private readonly workerData: CheckerOptions;
  private slots: Slot[] = [];
  private queue: Job[] = [];
  private closed = false;
  private startFailures = 0;

  constructor(opts: PoolOptions = {}) {
    this.size = Math.max(1, Math.floor(opts.workers ?? Math.min(8, availableParallelism())));
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.batchTimeoutMs = opts.batchTimeoutMs;
    this.chunkSize = Math.max(1, opts.chunkSize ?? 64);
    this.workerUrl = opts.workerUrl ?? defaultWorkerUrl();
    if (!existsSync(fileURLToPath(this.workerUrl))) {
      throw new Error(
        `CheckerPool: worker script not found at ${fileURLToPath(this.workerUrl)} (run \`npm run build\` first)`,
      );
    }
    // The in-worker cooperative limit fires first; the hard limit is the backstop.
    this.workerData = {
      timeoutMs: Math.max(1, Math.floor(this.timeoutMs * 0.8)),
      cacheSize: opts.cacheSize,
      absTol: opts.absTol,
      relTol: opts.relTol,
    };
  }

  /** Check all pairs; verdicts come back in input order. Never rejects. */
  checkMany(pairs: PoolPair[]): Promise<PoolVerdict[]> {
    if (this.closed)
      return Promise.resolve(pairs.map(() => ({ equivalent: false, rule: 'error:pool-closed' })));
    if (pairs.length === 0) return Promise.resolve([]);
    this.ensureWorkers();
    return new Promise((resolve) => {
      const batch: Batch = { results: new Array(pairs.length), remaining: pairs.length, resolve };
      pairs.forEach((pair, index) => {
        this.queue.push({ batch, index, pair });
      });
      if (this.batchTimeoutMs !== undefined)
        batch.timer = setTimeout(() => this.expireBatch(batch), this.batchTimeoutMs);
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots;
    this.slots = [];
    for (const job of this.queue) this.deliver(job, { equivalent: false, rule: 'error:pool-closed' });
    this.queue = [];
    for (const slot of slots) {
      clearTimeout(slot.timer);
      for (const job of slot.chunk ?? []) this.deliver(job, { equivalent: false, rule: 'error:pool-closed' });
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private ensureWorkers(): void {
    while (this.slots.length < this.size) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const worker = new Worker(this.workerUrl, { workerData: this.workerData });
    const slot: Slot = { worker, ready: false, chunk: null, next: 0 };
    worker.on('message', (msg: FromWorker) => this.onMessage(slot, msg));
    worker.on('error', (err) =>
      this.onFailure(slot, `error:worker-${err instanceof Error ? err.name : 'crash'}`),
    );
    worker.on('exit', () => this.onFailure(slot, 'error:worker-exit'));
    return slot;
  }

  private onMessage(slot: Slot, msg: FromWorker): void {
    if (!this.slots.includes(slot)) return;
    if (msg.type === 'ready') {
      slot.ready = true;
      this.startFailures = 0;
      this.pump();
      return;
    }
    const chunk = slot.chunk;
    if (!chunk) return;
    msg.verdicts.forEach((verdict, j) => {
      const job = chunk[msg.from + j];
      if (job) this.deliver(job, verdict);
    });
    slot.next = msg.from + msg.verdicts.length;
    if (slot.next >= chunk.length) {
      clearTimeout(slot.timer);
      slot.chunk = null;
      this.pump();
    } else this.arm(slot);
  }

  /** A worker died on its own: the pair it was on gets an error verdict, the rest is retried. */
  private onFailure(slot: Slot, rule: string): void {
    if (!this.slots.includes(slot)) return;
    if (!slot.ready) this.startFailures++;
    this.replace(slot, rule);
  }

  private arm(slot: Slot): void {
    clearTimeout(slot.timer);
    slot.timer = setTimeout(() => this.replace(slot, 'timeout'), this.timeoutMs);
  }

  /** Terminate a worker, give its current pair `rule`, requeue the rest of its chunk. */
  private replace(slot: Slot, rule: string): void {
    clearTimeout(slot.timer);
    const at = this.slots.indexOf(slot);
    if (at < 0) return;
    const chunk = slot.chunk ?? [];
    const stuck = chunk[slot.next];
    if (stuck) this.deliver(stuck, { equivalent: false, rule });
    this.queue.unshift(...chunk.slice(slot.next + 1));
    slot.chunk = null;
    slot.worker.removeAllListeners('exit');
    void slot.worker.terminate();
    if (this.closed) return;
    if (this.startFailures >= MAX_START_FAILURES) {
      this.slots.splice(at, 1);
      if (this.slots.length === 0) {
        for (const job of this.queue) this.deliver(job, { equivalent: false, rule: 'error:worker-start' });
        this.queue = [];
      }
      return;
    }
    this.slots[at] = this.spawn();
    this.pump();
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (!slot.ready || slot.chunk) continue;
      const jobs: Job[] = [];
      while (jobs.length < this.chunkSize && this.queue.length > 0) {
        const job = this.queue.shift()!;
        if (job.batch.results[job.index] === undefined) jobs.push(job);
      }
      if (jobs.length === 0) break;
      slot.chunk = jobs;
      slot.next = 0;
      const msg: ToWorker = { type: 'chunk', items: jobs.map((j) => j.pair) };
      slot.worker.postMessage(msg);
      this.arm(slot);
    }
    // Idle workers must not keep the process alive (a forgotten close() would hang a CLI);
    // workers with pending work must, or the process could exit mid-batch.
    const pending = this.queue.length > 0;
    for (const slot of this.slots) {
      if (pending || slot.chunk) slot.worker.ref();
      else slot.worker.unref();
    }
  }

  private deliver(job: Job, verdict: PoolVerdict): void {
    const batch = job.batch;
    if (batch.results[job.index] !== undefined) return;
    batch.results[job.index] = verdict;
    batch.remaining--;
    if (batch.remaining === 0) {
      clearTimeout(batch.timer);
      batch.resolve(batch.results as PoolVerdict[]);
    }
  }

  /** The batch ran out of time: unfinished pairs time out, workers busy on it are replaced. */
  private expireBatch(batch: Batch): void {
    this.queue = this.queue.filter((job) => {
      if (job.batch !== batch) return true;
      this.deliver(job, { equivalent: false, rule: 'timeout' });
      return false;
    });
    for (const slot of [...this.slots]) {
      if (slot.chunk?.some((job) => job.batch === batch)) {
        const rest = slot.chunk.slice(slot.next);
        for (const job of rest)
          if (job.batch === batch) this.deliver(job, { equivalent: false, rule: 'timeout' });
        // Pairs of other batches in the same chunk are not at fault: they go back to the queue.
        this.queue.unshift(...rest.filter((job) => job.batch !== batch));
        slot.chunk = null;
        this.replace(slot, 'timeout');
      }
    }
    this.pump();
  }
}
