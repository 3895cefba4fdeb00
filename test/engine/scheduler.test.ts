/**
 * The scheduler and the pipeline in process: the in-process simulated model, a temporary run
 * store, no child process. Timing is varied on purpose (a backend that answers after random,
 * heavy-tailed delays) to show that what a run computes does not depend on it.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { AnswerChecker } from '../../src/answer/index.js';
import { SimBackend } from '../../src/backends/sim-backend.js';
import type { ChatRequest, ChatResponse, ModelBackend } from '../../src/backends/types.js';
import { formatTaxonomy, loadTaxonomy } from '../../src/domain/taxonomy.js';
import { assembleRun } from '../../src/engine/execute.js';
import { createGateway, MemoryCache } from '../../src/engine/gateway/index.js';
import { TaskPipeline } from '../../src/engine/pipeline.js';
import type { ProgressReporter } from '../../src/engine/progress.js';
import type { RunConfig } from '../../src/engine/run-settings.js';
import { defaultWindow, pipelineSettings } from '../../src/engine/run-settings.js';
import { loadTemplate } from '../../src/prompts/templates.js';
import type { RunStore } from '../../src/storage/run-store.js';
import { DB_FILE, SqliteRunStore } from '../../src/storage/sqlite-store.js';
import { Rng } from '../../src/util/hash.js';
import { tempDir } from '../helpers/cli.js';
import { runConfig } from '../helpers/config.js';
import { poolContent } from '../helpers/pool.js';

const silent: ProgressReporter = { update() {}, line() {}, warn() {}, close() {} };
const logger = pino({ level: 'silent' });

function config(extra: Record<string, unknown> = {}): RunConfig {
  return runConfig({
    seed: 7,
    model: { kind: 'sim', max_concurrency: 6 },
    seeds: { sample: 24 },
    generation: { batch_size: 10 },
    solver: { k: 4 },
    budget: { generations: 5 },
    scheduler: { kind: 'steady', window: 6, commit_tasks: 7, commit_seconds: 3600 },
    ...extra,
  });
}

/** The simulated model, answering after a random delay (mostly short, sometimes 20x longer). */
class JitteryBackend implements ModelBackend {
  readonly description = 'jittery sim';
  readonly supportsN: boolean;
  private readonly sim = new SimBackend();
  private readonly rng: Rng;
  constructor(seed: number, supportsN = true) {
    this.rng = Rng.from(seed, 'jitter');
    this.supportsN = supportsN;
  }
  get model() {
    return this.sim.model;
  }
  async send(request: ChatRequest): Promise<ChatResponse> {
    const ms = this.rng.next() < 0.1 ? 20 + this.rng.int(0, 20) : this.rng.int(0, 3);
    await new Promise((r) => setTimeout(r, ms));
    return this.sim.send(request);
  }
  async close() {}
}

/** Stands in for a process killed at a moment: after `commits` commits, every call fails. */
class CrashingStore implements RunStore {
  private commitsLeft: number;
  crashed = false;
  constructor(
    private readonly inner: SqliteRunStore,
    commits: number,
  ) {
    this.commitsLeft = commits;
  }
  private alive(): SqliteRunStore {
    if (this.crashed) throw new Error('killed');
    return this.inner;
  }
  commit(c: Parameters<RunStore['commit']>[0]) {
    if (this.commitsLeft-- <= 0) {
      this.crashed = true;
      throw new Error('killed');
    }
    this.alive().commit(c);
  }
  getResponse(key: string, task: number | null) {
    return this.alive().getResponse(key, task);
  }
  putResponse(r: Parameters<RunStore['putResponse']>[0]) {
    this.alive().putResponse(r);
  }
  getMeta(key: string) {
    return this.alive().getMeta(key);
  }
  setMeta(key: string, value: string) {
    this.alive().setMeta(key, value);
  }
  saveConfigSnapshot(snapshot: Parameters<RunStore['saveConfigSnapshot']>[0]) {
    this.alive().saveConfigSnapshot(snapshot);
  }
  latestConfig() {
    return this.alive().latestConfig();
  }
  trackSpend(ledger: Parameters<RunStore['trackSpend']>[0]) {
    this.alive().trackSpend(ledger);
  }
  flush() {
    this.alive().flush();
  }
  nearDuplicateCandidates(keys: readonly number[], limit: number) {
    return this.alive().nearDuplicateCandidates(keys, limit);
  }
  loadProgress() {
    return this.alive().loadProgress();
  }
  getProblems(uids: readonly string[]) {
    return this.alive().getProblems(uids);
  }
  hasProblemText(hash: string, before: number) {
    return this.alive().hasProblemText(hash, before);
  }
  textHashesFrom(seq: number) {
    return this.alive().textHashesFrom(seq);
  }
  generations() {
    return this.alive().generations();
  }
  counters() {
    return this.alive().counters();
  }
  close() {}
}

async function runIn(
  dir: string,
  cfg: RunConfig,
  backend: ModelBackend = new SimBackend(),
  wrap?: (s: SqliteRunStore) => RunStore,
) {
  const inner = SqliteRunStore.open(dir);
  const store = wrap ? wrap(inner) : inner;
  try {
    return await assembleRun({ config: cfg, store, backend, progress: silent, logger }).run();
  } finally {
    // A "killed" store is left as the process would leave it: nothing flushed, nothing closed.
    if (!(store instanceof CrashingStore && store.crashed)) inner.close();
  }
}

function query<T>(dir: string, sql: string): T[] {
  const db = new Database(join(dir, DB_FILE), { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

/** Every task: its number, its epoch and its parents' task numbers. */
function lineage(
  dir: string,
): { seq: number; generation: number; parents: { seq: number; generation: number }[] }[] {
  const rows = query<{ uid: string; seq: number; generation: number; parent_uids: string }>(
    dir,
    'SELECT uid, seq, generation, parent_uids FROM problems UNION ALL SELECT uid, seq, generation, parent_uids FROM rejections',
  );
  const byUid = new Map(rows.map((r) => [r.uid, r]));
  return rows.map((r) => ({
    seq: r.seq,
    generation: r.generation,
    parents: (JSON.parse(r.parent_uids) as string[]).map((u) => ({
      seq: byUid.get(u)!.seq,
      generation: byUid.get(u)!.generation,
    })),
  }));
}

describe('steady-state scheduler', () => {
  it('computes the same pool whatever the timing of the responses', async () => {
    const pools = [];
    for (const backend of [new SimBackend(), new JitteryBackend(1), new JitteryBackend(2)]) {
      const dir = tempDir();
      const result = await runIn(dir, config(), backend);
      expect(result.stoppedBy).toBe('budget.generations (5)');
      pools.push(poolContent(dir));
    }
    expect(pools[1]).toEqual(pools[0]);
    expect(pools[2]).toEqual(pools[0]);
  });

  it('tells in task order: a task sees only the outcomes of tasks at least W before it (or the seeds)', async () => {
    const dir = tempDir();
    await runIn(dir, config(), new JitteryBackend(3));
    const tasks = lineage(dir);
    expect(tasks).toHaveLength(24 + 5 * 10);
    const window = 6;
    let checked = 0;
    for (const t of tasks)
      for (const p of t.parents) {
        // Asked once tasks 0..seq-W were told, and a mutation not before all 24 seeds were.
        expect(p.seq).toBeLessThanOrEqual(Math.max(t.seq - window, 24 - 1));
        checked++;
      }
    expect(checked).toBeGreaterThan(40);
    // Steady state does not wait for epochs: some task used a parent from its own epoch's predecessor.
    expect(
      tasks.some((t) => t.parents.some((p) => p.generation === t.generation - 1 && t.generation > 1)),
    ).toBe(true);
  });

  it('reports epochs of generation.batch_size tasks, seeds as epoch 0', async () => {
    const dir = tempDir();
    await runIn(dir, config(), new JitteryBackend(4));
    const epochs = query<{ generation: number; metrics_json: string }>(
      dir,
      'SELECT generation, metrics_json FROM generations ORDER BY generation',
    ).map((r) => ({ generation: r.generation, ...JSON.parse(r.metrics_json) }));
    expect(epochs.map((e) => e.generation)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(epochs[0].evaluated + epochs[0].rejected).toBe(24);
    for (const e of epochs.slice(1)) expect(e.evaluated + e.rejected).toBe(10);
    expect(epochs.every((e) => e.partial === false)).toBe(true);
    for (let i = 1; i < epochs.length; i++)
      expect(epochs[i].qdScore).toBeGreaterThanOrEqual(epochs[i - 1].qdScore);
  });

  it('killed after any commit, then resumed: the pool equals an uninterrupted run', async () => {
    const cfg = config();
    const reference = tempDir();
    await runIn(reference, cfg, new JitteryBackend(5));
    for (const commits of [0, 1, 3, 6]) {
      const dir = tempDir();
      await expect(
        runIn(dir, cfg, new JitteryBackend(10 + commits), (s) => new CrashingStore(s, commits)),
      ).rejects.toThrow('killed');
      await runIn(dir, cfg, new JitteryBackend(20 + commits));
      expect(poolContent(dir), `killed after ${commits} commits`).toEqual(poolContent(reference));
    }
  });

  it('killed twice, with k as separate requests (no n>1): still the same pool', async () => {
    const cfg = config({ model: { kind: 'sim', max_concurrency: 6, supports_n: false } });
    const reference = tempDir();
    await runIn(reference, cfg, new JitteryBackend(6, false));
    const dir = tempDir();
    await expect(
      runIn(dir, cfg, new JitteryBackend(7, false), (s) => new CrashingStore(s, 2)),
    ).rejects.toThrow();
    await expect(
      runIn(dir, cfg, new JitteryBackend(8, false), (s) => new CrashingStore(s, 2)),
    ).rejects.toThrow();
    await runIn(dir, cfg, new JitteryBackend(9, false));
    expect(poolContent(dir)).toEqual(poolContent(reference));
  });

  it('a budget of problems stops at exactly that many generated problems, the same after a kill', async () => {
    const cfg = config({ budget: { generations: null, problems: 23 } });
    const a = tempDir();
    const result = await runIn(a, cfg, new JitteryBackend(11));
    expect(result.stoppedBy).toBe('budget.problems (23)');
    expect(query<{ n: number }>(a, "SELECT COUNT(*) AS n FROM problems WHERE origin != 'seed'")[0]!.n).toBe(
      23,
    );
    const b = tempDir();
    await expect(runIn(b, cfg, new JitteryBackend(12), (s) => new CrashingStore(s, 2))).rejects.toThrow();
    await runIn(b, cfg, new JitteryBackend(13));
    expect(poolContent(b)).toEqual(poolContent(a));
  });

  it('a budget of requests counts what the told tasks used, so a resumed run stops at the same task', async () => {
    const cfg = config({ budget: { generations: null, requests: 150 } });
    const a = tempDir();
    const result = await runIn(a, cfg, new JitteryBackend(14));
    expect(result.stoppedBy).toBe('budget.requests (150)');
    const used = query<{ value: number }>(a, "SELECT value FROM counters WHERE name = 'task_requests'")[0]!
      .value;
    // Never over: a task starts only if every running task could use its most (3 requests here)
    // and still fit; the run ends once not even one more task fits.
    expect(used).toBeLessThanOrEqual(150);
    expect(used).toBeGreaterThan(150 - 3);
    const b = tempDir();
    await expect(runIn(b, cfg, new JitteryBackend(15), (s) => new CrashingStore(s, 3))).rejects.toThrow();
    await runIn(b, cfg, new JitteryBackend(16));
    expect(poolContent(b)).toEqual(poolContent(a));
  });

  it('resuming a finished run asks nothing more; a larger budget continues it', async () => {
    const dir = tempDir();
    await runIn(dir, config({ budget: { generations: 2 } }));
    const again = await runIn(dir, config({ budget: { generations: 2 } }));
    expect(again.told).toBe(24 + 2 * 10);
    expect(again.generationsRun).toBe(0);
    await runIn(dir, config({ budget: { generations: 5 } }));
    const reference = tempDir();
    await runIn(reference, config());
    expect(poolContent(dir)).toEqual(poolContent(reference));
  });
});

describe('generations scheduler', () => {
  it('asks each epoch from the archive of the epochs before it, the same whatever the timing', async () => {
    const cfg = config({ scheduler: { kind: 'generations', commit_tasks: 7 } });
    const a = tempDir();
    const b = tempDir();
    await runIn(a, cfg, new JitteryBackend(21));
    await expect(runIn(b, cfg, new JitteryBackend(22), (s) => new CrashingStore(s, 4))).rejects.toThrow();
    await runIn(b, cfg, new JitteryBackend(23));
    expect(poolContent(b)).toEqual(poolContent(a));
    for (const t of lineage(a)) for (const p of t.parents) expect(p.generation).toBeLessThan(t.generation);
  });
});

describe('the default window', () => {
  it('grows with the request slots, and is smaller when each attempt is its own request', () => {
    const w = (model: Record<string, unknown>) => defaultWindow(runConfig({ model }));
    expect(w({ max_concurrency: 256 })).toBeGreaterThan(w({ max_concurrency: 64 }));
    expect(w({ max_concurrency: 64, supports_n: false })).toBeLessThan(w({ max_concurrency: 64 }));
    expect(w({ max_concurrency: 1 })).toBeGreaterThanOrEqual(1);
  });
});

describe('task pipeline', () => {
  const taxonomy = loadTaxonomy('bundled:v1');
  const pipelineOver = (backend: ModelBackend, cfg = config()) =>
    new TaskPipeline({
      gateway: createGateway(cfg.model, backend, new MemoryCache()).gateway,
      checker: new AnswerChecker(),
      templates: {
        vary: loadTemplate('vary'),
        harder: loadTemplate('harder'),
        combine: loadTemplate('combine'),
        solve: loadTemplate('solve'),
        label: loadTemplate('label'),
      },
      taxonomy,
      taxonomyText: formatTaxonomy(taxonomy),
      settings: pipelineSettings(cfg, taxonomy),
    });
  const seed = {
    id: 's1',
    problem: 'Find the greatest common divisor of $84$ and $126$.',
    solution: '$\\boxed{42}$',
    answer: '42',
    subject: 'Number Theory' as const,
    level: 'Level 2',
  };

  it('labels and solves at the same time: the label is still waiting when the solve request arrives', async () => {
    const sim = new SimBackend();
    let releaseLabel: () => void = () => {};
    const labelWaits = new Promise<void>((r) => {
      releaseLabel = r;
    });
    const events: string[] = [];
    const backend: ModelBackend = {
      description: 'ordering probe',
      model: sim.model,
      supportsN: true,
      async send(request) {
        const kind = request.responseFormat ? 'label' : 'solve';
        events.push(`${kind} sent`);
        if (kind === 'solve') releaseLabel();
        // The label answers only once a solve request was sent (or after 2 s, if none ever comes).
        else await Promise.race([labelWaits, new Promise((r) => setTimeout(r, 2000))]);
        events.push(`${kind} answered`);
        return sim.send(request);
      },
      async close() {},
    };
    const result = await pipelineOver(backend).runSeed({ kind: 'seed', seq: 0, seedIndex: 0 }, seed);
    expect(result.kind).toBe('problem');
    expect(events.slice(0, 2).sort()).toEqual(['label sent', 'solve sent']);
  });

  it('rejects a mutation cut at max_tokens as truncated, with what it cost', async () => {
    const cfg = config({ generation: { batch_size: 10, max_tokens: 5 } });
    const pipeline = pipelineOver(new SimBackend(), cfg);
    const parent = (await pipeline.runSeed({ kind: 'seed', seq: 0, seedIndex: 0 }, seed)).record;
    const result = await pipeline.runMutation(
      {
        kind: 'mutate',
        seq: 30,
        generation: 1,
        index: 6,
        operator: 'vary',
        parents: [{ uid: 'seed:s1', source: 'fallback' }],
        askedAt: 1,
        tokensAtAsk: 0,
      },
      [parent as never],
      () => false,
    );
    expect(result.kind).toBe('rejection');
    expect(result.record).toMatchObject({ reason: 'truncated', uid: 'g1-t6', seq: 30 });
    expect(result.usage.requests).toBe(1);
  });
});

describe('truncation in a run', () => {
  it('counts cut attempts apart: solve-rates over the attempts that finished, all-cut problems unverified', async () => {
    const dir = tempDir();
    // The sim writes worked solutions of varying length: at 60 tokens some are cut and some are not.
    await runIn(dir, config({ solver: { k: 4, max_tokens: 60 }, budget: { generations: 2 } }));
    const rows = query<{
      attempts_json: string;
      correct: number;
      truncated: number;
      solve_rate: number | null;
      verified: number;
      unverified_reason: string | null;
    }>(
      dir,
      'SELECT attempts_json, correct, truncated, solve_rate, verified, unverified_reason FROM problems',
    );
    const cut = rows.reduce((s, r) => s + r.truncated, 0);
    expect(cut).toBeGreaterThan(0);
    expect(cut).toBeLessThan(rows.length * 4);
    for (const r of rows) {
      const counted = 4 - r.truncated;
      if (counted === 0) {
        expect(r.solve_rate).toBeNull();
        expect(r.verified).toBe(0);
        expect(r.unverified_reason).toBe('all_truncated');
      } else expect(r.solve_rate).toBeCloseTo(r.correct / counted, 10);
    }
    const counters = Object.fromEntries(
      query<{ name: string; value: number }>(dir, 'SELECT name, value FROM counters').map((c) => [
        c.name,
        c.value,
      ]),
    );
    expect(counters.truncated_attempts).toBe(cut);
  });
});
