/**
 * The scheduler keeps the model busy and the run exact. It decides when to ask the QD core for a
 * task, when to tell it an outcome and when to commit.
 *
 * - A window of at most W live tasks (asked, not yet told). Task i is asked against the archive
 *   as it stood once tasks 0..i-W were told, and a mutation not before all seeds are told
 *   (`askAt(i)`), so a proposal never depends on timing. A task starts as soon as it is asked
 *   (budgets allowing); its requests wait for a slot in the gateway by task number, oldest first.
 * - Outcomes are told to the core strictly in task order: a task that finishes early waits for
 *   the ones before it. Its duplicate check and archive placement happen then.
 * - The told prefix is committed in small transactions (every N tasks or T seconds) together
 *   with the core state and the proposals already asked but not yet told. A run killed at any
 *   moment resumes at its last commit, re-asks nothing, replays finished requests from the
 *   cache, and ends with the same pool as an uninterrupted run.
 * - `steady` asks each task as soon as the window allows; `generations` asks a whole epoch at
 *   once, when the previous epoch has been told (the barrier scheduler of sparq 0.1).
 * - Budgets only decide which asked tasks may start, from the told prefix and the task itself,
 *   so they stop at the same task whatever the timing; the run finishes what is running, and the
 *   proposals past the budget are kept, so a larger budget continues exactly.
 */
import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import { cellKey } from '../core/cells.js';
import { generationMetrics, newTally, tallyOutcome } from '../core/metrics.js';
import type { QDCore } from '../core/qd-core.js';
import type { ProblemRecord, RejectionRecord } from '../domain/records.js';
import { type MutationTaskSpec, mutationPlace, type SchedulerState, type TaskSpec } from '../domain/tasks.js';
import type { SeedProblem } from '../seeds/load.js';
import type { EpochMetrics, PrefixCommit, RunStore, StoredProgress } from '../storage/run-store.js';
import { LruCache } from '../util/lru.js';
import type { SpendLedger } from './gateway/ledger.js';
import { MAX_CANDIDATES, type NearDuplicateScreen, nearDuplicateDetail } from './near-duplicates.js';
import { DUPLICATE_DETAIL, rejection, type TaskPipeline, type TaskResult } from './pipeline.js';
import type { ProgressReporter } from './progress.js';
import { isNoAnswer } from './solver.js';

export type SchedulerKind = 'steady' | 'generations';

export interface SchedulerSettings {
  kind: SchedulerKind;
  window: number;
  /** Set by the user: it overrides the window a resumed run started with. */
  windowExplicit: boolean;
  commitTasks: number;
  commitMs: number;
  batchSize: number;
  /** Most requests one task can make (mutate, label, and every solve request). */
  maxRequestsPerTask: number;
  budget: {
    generations: number | null;
    problems: number | null;
    requests: number | null;
    tokens: number | null;
  };
}

export interface SchedulerDeps {
  store: RunStore;
  core: QDCore;
  pipeline: TaskPipeline;
  /** The run's seeds, in task order (task i < seeds.length evaluates seed i). */
  seeds: readonly SeedProblem[];
  ledger: SpendLedger;
  settings: SchedulerSettings;
  progress: ProgressReporter;
  logger: Logger;
  /** Where the last commit left the run; null for a new run. */
  resumeFrom: StoredProgress | null;
  /** Requests in flight right now, for the progress line. */
  inFlight?: () => number;
  /** Request slots (model.max_concurrency), for the share busy that `sparq watch` shows; absent in batch mode. */
  slots?: number;
  signal?: AbortSignal;
  /** The near-duplicate screen at tell time; null or absent: none. */
  nearDuplicates?: NearDuplicateScreen | null;
  /** Batch mode: the requests waiting for batch files. Once every running task waits on them, the round ends. */
  batch?: BatchRound | null;
}

/** What the scheduler watches of a batch round to tell when it can go no further. */
export interface BatchRound {
  /** Requests that cannot be answered before the next round. */
  blocked(): number;
  /** Changes whenever a request is dispatched. */
  activity(): number;
  /** Requests sent online meanwhile (the judge's), which the round waits for. */
  otherInFlight(): number;
}

/** Why the tasks still running when a batch round ends are stopped: they run again next round. */
class RoundEnded extends Error {
  constructor() {
    super('the batch round ended');
    this.name = 'RoundEnded';
  }
}

/** The running process as `sparq watch` sees it (meta key `live`, written at each commit). */
export interface LiveState {
  at: string;
  pid: number;
  told: number;
  liveTasks: number;
  inFlight: number;
  /** Request slots; null in batch mode or when unknown. */
  slots: number | null;
  /** Over the last minute. */
  tasksPerSecond: number;
  requestsPerSecond: number;
  stoppedBy: string | null;
}

export interface RunResult {
  /** Epochs completed by this process. */
  generationsRun: number;
  lastGeneration: number | null;
  stoppedBy: string;
  told: number;
  /** Batch mode: the run went as far as it can until batch files come back. */
  waitingForBatches: boolean;
}

/** Totals of the told prefix that budgets are decided on (requests and tokens as the tasks used them). */
interface ToldTotals {
  generated: number;
  requests: number;
  tokens: number;
}

export class Scheduler {
  private readonly s: SchedulerSettings;
  private readonly seedTasks: number;
  private readonly window: number;
  private told: number;
  /** Next task number to ask. */
  private next: number;
  /** Asked and not yet told, by task number: running, or waiting for a budget to allow it. */
  private readonly open = new Map<number, TaskSpec>();
  /** The promises of the running tasks, settled before the run returns. */
  private readonly pending = new Map<number, Promise<unknown>>();
  /** Recently used parent records: the same elites are drawn again and again. */
  private readonly parents = new LruCache<string, ProblemRecord>(4096);
  /**
   * Open tasks start in task order and are told in task order, so the running ones are exactly
   * tasks told .. nextToStart-1.
   */
  private nextToStart: number;
  /** Finished and waiting for their turn to be told. */
  private readonly finished = new Map<number, TaskResult>();
  /** Told and not yet committed. */
  private buffer: {
    problems: ProblemRecord[];
    rejections: RejectionRecord[];
    epochs: PrefixCommit['epochs'];
    nearDuplicateKeys: NonNullable<PrefixCommit['nearDuplicateKeys']>;
  } = {
    problems: [],
    rejections: [],
    epochs: [],
    nearDuplicateKeys: [],
  };
  /** Band key -> told problems not yet committed with that key, for the near-duplicate screen. */
  private readonly bufferedBands = new Map<number, ProblemRecord[]>();
  private readonly bufferedByUid = new Map<string, ProblemRecord>();
  /** Text hash -> first task number among told problems not yet committed. */
  private readonly bufferedHashes = new Map<string, number>();
  private counters: Record<string, number> = {};
  private committedTold: number;
  private lastCommitAt = Date.now();
  private epoch: SchedulerState['epoch'];
  private lastEpochEnd = Date.now();
  private readonly totals: ToldTotals;
  private stoppedBy: string | null = null;
  /** Most requests one task can make; the request budget never lets running tasks exceed what is left. */
  private readonly maxRequestsPerTask: number;
  private failure: unknown = null;
  private generationsRun = 0;
  private lastGeneration: number | null;
  private lastVerifiedShare = 0;
  /**
   * One abort controller per running task: undici adds a listener to a request's signal, and
   * Node's EventTarget walks all of a signal's listeners on every add, so one signal shared by
   * thousands of requests in flight made each request cost more the more were running.
   */
  private readonly controllers = new Map<number, AbortController>();
  /** Tasks per abort controller: few enough listeners per signal, few enough controllers. */
  private static readonly ABORT_GROUP = 32;
  /** Uids of the seeds told so far: the fallback parents while the archive is empty. */
  private readonly fallback: string[] = [];
  /**
   * Text hash -> task number of the problems told in the last window of tasks (at least): the
   * duplicate check at tell time covers tasks told after the task was asked, never further back.
   */
  private readonly recentHashes = new Map<string, number>();
  private recentOrder: { seq: number; hash: string }[] = [];
  private recentStart = 0;
  private wake: (() => void) | null = null;
  /** Batch mode: the round ended because every running task waits for batch files. */
  private suspended = false;
  /** What the last tick saw of the round, and for how many ticks in a row nothing moved. */
  private roundSeen = '';
  private idleTicks = 0;

  constructor(private readonly deps: SchedulerDeps) {
    this.s = deps.settings;
    this.seedTasks = deps.seeds.length;
    const resume = deps.resumeFrom?.scheduler;
    if (resume && resume.seedTasks !== this.seedTasks)
      throw new Error(
        `the run started with ${resume.seedTasks} seed tasks but its seed settings now give ${this.seedTasks}: resume with the seed file and seeds.sample it started with`,
      );
    this.window = resume && !this.s.windowExplicit ? resume.window : this.s.window;
    this.told = deps.core.told;
    if (resume && resume.told !== this.told)
      throw new Error(
        `the stored core state (${this.told} told) and scheduler state (${resume.told}) disagree`,
      );
    this.committedTold = this.told;
    for (const spec of resume?.open ?? []) this.open.set(spec.seq, spec);
    this.next = this.told;
    for (const seq of this.open.keys()) if (seq + 1 > this.next) this.next = seq + 1;
    // Seed tasks are not stored with the open proposals: they depend on nothing but their number.
    for (let seq = this.told; seq < Math.min(this.next, this.seedTasks); seq++)
      this.open.set(seq, { kind: 'seed', seq, seedIndex: seq });
    this.nextToStart = this.told;
    this.maxRequestsPerTask = deps.settings.maxRequestsPerTask;
    this.epoch = resume?.epoch ?? newTally(0, new Date().toISOString());
    const c = deps.store.counters();
    this.totals = {
      generated: c.generated_problems ?? 0,
      requests: c.task_requests ?? 0,
      tokens: (c.task_prompt_tokens ?? 0) + (c.task_completion_tokens ?? 0),
    };
    // The open epoch follows the last complete one.
    this.lastGeneration = this.epoch.generation > 0 ? this.epoch.generation - 1 : null;
    // Told seeds in task order, less those whose requests the server refused (not in the pool).
    const toldSeeds = deps.seeds.slice(0, Math.min(this.told, this.seedTasks)).map((s) => `seed:${s.id}`);
    for (const p of deps.store.getProblems(toldSeeds).sort((a, b) => a.seq - b.seq))
      this.fallback.push(p.uid);
    // Open tasks may have been asked under a larger window than today's: reach back to the oldest.
    let from = this.told - this.keepHashes();
    for (const spec of this.open.values())
      if (spec.kind === 'mutate' && spec.askedAt < from) from = spec.askedAt;
    for (const { seq, textHash } of deps.store.textHashesFrom(from)) this.remember(textHash, seq);
  }

  /** Requests in flight now. */
  inFlight(): number {
    return this.deps.inFlight?.() ?? 0;
  }

  /** The live window this run asks with (fixed when the run started). */
  get windowSize(): number {
    return this.window;
  }

  async run(): Promise<RunResult> {
    const outer = this.deps.signal;
    const onAbort = () => this.fail(outer?.reason ?? new Error('interrupted'));
    outer?.addEventListener('abort', onAbort, { once: true });
    if (outer?.aborted) onAbort();
    const ticker = setInterval(() => this.tick(), 250);
    const watcher = this.deps.batch ? setInterval(() => this.watchRound(), Scheduler.ROUND_WATCH_MS) : null;
    try {
      // Tasks asked before the last commit and not yet told start again, in order, as budgets allow.
      this.askMore();
      while (this.failure === null && !this.suspended && this.runningCount() > 0) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = null;
        this.tellReady();
        this.maybeCommit();
      }
      if (this.failure === null && this.stoppedBy === null) {
        if (this.open.size === 0 && this.fallback.length === 0)
          // Every seed was refused (over the context, say): a run that cannot start is a failure.
          this.failure = new Error(
            `no seed could be evaluated: all ${this.seedTasks} were rejected (\`sparq status\` shows the reasons), so there is nothing to mutate`,
          );
        else this.stoppedBy = 'nothing left to run';
      }
    } catch (err) {
      // A failure on the loop itself (the store, the core): stop the tasks like any other failure.
      this.fail(err);
    } finally {
      clearInterval(ticker);
      if (watcher) clearInterval(watcher);
      outer?.removeEventListener('abort', onAbort);
    }
    // Nothing may still be writing to the cache when the caller closes the store.
    await Promise.allSettled(this.pending.values());
    // Everything told is complete and safe to keep, whether the run ended or failed.
    try {
      this.flushEpoch();
      this.commit();
    } catch (err) {
      if (this.failure === null) throw err;
      // The failure was probably the store's own: report that one, not its echo.
    }
    if (this.failure !== null) throw this.failure;
    const stoppedBy = this.stoppedBy ?? 'done';
    this.deps.logger.info({ stoppedBy, told: this.told }, 'run finished');
    return {
      generationsRun: this.generationsRun,
      lastGeneration: this.lastGeneration,
      stoppedBy,
      told: this.told,
      waitingForBatches: this.suspended,
    };
  }

  // --- asking ------------------------------------------------------------------------------------

  /**
   * The told count at which task `seq` is asked: the window rule, and for mutations not before the
   * seeds (generation 0) are all told, so the first parents come from the whole evaluated seed
   * set rather than the few seeds that happened to come first.
   */
  private askAt(seq: number): number {
    if (this.s.kind === 'generations') {
      if (seq < this.seedTasks) return 0;
      const { generation } = mutationPlace(seq, this.seedTasks, this.s.batchSize);
      return this.seedTasks + (generation - 1) * this.s.batchSize;
    }
    // Mutations start from the evaluated seed set: none is asked before every seed is told.
    return seq < this.seedTasks
      ? Math.max(0, seq - this.window + 1)
      : Math.max(this.seedTasks, seq - this.window + 1);
  }

  /**
   * Asks every task whose turn has come, then starts what the budgets allow. Proposals follow the
   * window rule alone, budgets or not: a task past a budget is asked on schedule and kept, so
   * that a run resumed with a larger budget continues exactly as one that never stopped.
   */
  private askMore(): void {
    while (this.failure === null && this.askAt(this.next) <= this.told) {
      const seq = this.next;
      if (seq < this.seedTasks) {
        this.open.set(seq, { kind: 'seed', seq, seedIndex: seq });
        this.next++;
        continue;
      }
      // Null only when no seed was verified and there is no seed at all to fall back on.
      const task = this.deps.core.ask(seq, this.fallback);
      if (!task) break;
      this.open.set(seq, {
        kind: 'mutate',
        ...task,
        ...mutationPlace(seq, this.seedTasks, this.s.batchSize),
        askedAt: this.told,
        tokensAtAsk: this.totals.tokens,
      });
      this.next++;
    }
    this.startMore();
  }

  private runningCount(): number {
    return this.nextToStart - this.told;
  }

  private startMore(): void {
    while (this.failure === null && this.nextToStart < this.next) {
      const spec = this.open.get(this.nextToStart)!;
      const blocked = spec.kind === 'mutate' ? this.budgetReached(spec) : null;
      if (blocked) {
        this.stoppedBy = blocked;
        return;
      }
      this.stoppedBy = null;
      this.nextToStart++;
      this.start(spec);
    }
  }

  /**
   * Whether a budget keeps mutation task `spec` from starting now. Each rule depends only on the
   * told prefix and the task itself, and only ever loosens as tasks are told (or, for tokens, is
   * fixed when the task is asked), so the tasks that run do not depend on when their predecessors
   * finished, nor on where a run was killed.
   */
  private budgetReached(spec: MutationTaskSpec): string | null {
    const { budget } = this.s;
    if (budget.generations !== null && spec.generation > budget.generations)
      return `budget.generations (${budget.generations})`;
    const runningMutations = Math.max(0, this.nextToStart - Math.max(this.told, this.seedTasks));
    if (budget.problems !== null && this.totals.generated + runningMutations >= budget.problems)
      return `budget.problems (${budget.problems})`;
    if (
      budget.requests !== null &&
      this.totals.requests + (this.runningCount() + 1) * this.maxRequestsPerTask > budget.requests
    )
      return `budget.requests (${budget.requests})`;
    // Judged on the tokens told when the task was asked, which never decrease from task to task.
    if (budget.tokens !== null && spec.tokensAtAsk >= budget.tokens)
      return `budget.tokens (${budget.tokens})`;
    return null;
  }

  private start(spec: TaskSpec): void {
    const group = Math.floor(spec.seq / Scheduler.ABORT_GROUP);
    let controller = this.controllers.get(group);
    if (!controller) {
      controller = new AbortController();
      // A group's requests each listen on it: dozens of listeners are expected, not a leak.
      setMaxListeners(0, controller.signal);
      this.controllers.set(group, controller);
    }
    const run =
      spec.kind === 'seed'
        ? this.deps.pipeline.runSeed(spec, this.deps.seeds[spec.seedIndex]!, controller.signal)
        : this.runMutation(spec, controller.signal);
    this.pending.set(
      spec.seq,
      run.then(
        (result) => {
          this.pending.delete(spec.seq);
          this.finished.set(spec.seq, result);
          if (spec.seq === this.told) this.wake?.();
        },
        (err: unknown) => {
          this.pending.delete(spec.seq);
          // Stopped with its round: it runs again, from the cache, in the next one.
          if (this.suspended) return;
          this.fail(this.failure === null ? inTask(spec, err) : err);
        },
      ),
    );
  }

  private async runMutation(spec: MutationTaskSpec, signal: AbortSignal): Promise<TaskResult> {
    // The duplicate check sees the pool as it stood when the task was asked: told tasks < askedAt.
    const before = spec.askedAt;
    return this.deps.pipeline.runMutation(
      spec,
      this.parentRecords(spec),
      (hash) =>
        (this.bufferedHashes.get(hash) ?? Number.POSITIVE_INFINITY) < before ||
        this.deps.store.hasProblemText(hash, before),
      signal,
    );
  }

  /** Records are final once told, so a cached one is always current. */
  private parentRecords(spec: MutationTaskSpec): ProblemRecord[] {
    const known = (uid: string) => this.bufferedByUid.get(uid) ?? this.parents.get(uid);
    const missing = spec.parents.filter((p) => !known(p.uid)).map((p) => p.uid);
    for (const p of this.deps.store.getProblems(missing)) this.parents.set(p.uid, p);
    return spec.parents.map((p) => {
      const record = known(p.uid);
      if (!record)
        throw new Error(
          `parent ${p.uid} of task ${spec.seq} is not in the pool: the run database is inconsistent`,
        );
      return record;
    });
  }

  private fail(err: unknown): void {
    if (this.failure !== null) return;
    this.failure = err;
    for (const c of this.controllers.values()) c.abort(err);
    this.controllers.clear();
    this.wake?.();
  }

  // --- telling -----------------------------------------------------------------------------------

  /**
   * Tells every finished task whose turn has come. Asking follows each single tell, so a task is
   * always asked at the first told count its rule allows, whatever else has finished meanwhile.
   */
  private tellReady(): void {
    for (;;) {
      const result = this.finished.get(this.told);
      if (!result) return;
      this.finished.delete(this.told);
      const spec = this.open.get(this.told)!;
      this.open.delete(this.told);
      // A group's controller is dropped once its last task is told.
      if ((this.told + 1) % Scheduler.ABORT_GROUP === 0)
        this.controllers.delete(Math.floor(this.told / Scheduler.ABORT_GROUP));
      this.tell(spec, result);
      this.askMore();
    }
  }

  private tell(spec: TaskSpec, result: TaskResult): void {
    const seq = spec.seq;
    let outcome = result;
    if (outcome.kind === 'problem' && spec.kind === 'mutate') {
      const hash = outcome.record.textHash;
      // Written by an earlier task still open when this one was asked: the later one is the duplicate.
      const told = this.recentHashes.get(hash);
      if (told !== undefined && told >= spec.askedAt)
        outcome = this.rejectTold(spec, outcome, 'duplicate', DUPLICATE_DETAIL);
    }
    const screen = this.deps.nearDuplicates;
    let bandKeys: number[] = [];
    let screened = false;
    if (screen && outcome.kind === 'problem') {
      bandKeys = screen.keys(outcome.record.problem);
      if (spec.kind === 'mutate') {
        const told = this.nearestTold(screen, outcome.record.problem, bandKeys);
        if (told.match)
          outcome = this.rejectTold(spec, outcome, 'near_duplicate', nearDuplicateDetail(told.match));
        else screened = told.complete;
      }
    }
    const parents = spec.kind === 'mutate' ? spec.parents : [];
    const usage = outcome.usage;
    this.add('task_requests', usage.requests);
    this.add('task_prompt_tokens', usage.promptTokens);
    this.add('task_completion_tokens', usage.completionTokens);
    this.totals.requests += usage.requests;
    this.totals.tokens += usage.promptTokens + usage.completionTokens;
    const u = this.epoch.usage;
    u.requests += usage.requests;
    u.promptTokens += usage.promptTokens;
    u.completionTokens += usage.completionTokens;

    if (outcome.kind === 'rejection') {
      this.deps.core.tell(seq, { uid: outcome.record.uid, parents, problem: null });
      this.buffer.rejections.push(outcome.record);
      this.add(`rejected_${outcome.record.reason}`, 1);
      tallyOutcome(this.epoch, null, null);
    } else {
      const p = outcome.record;
      const placement = this.deps.core.tell(seq, {
        uid: p.uid,
        parents,
        problem: {
          text: p.problem,
          measures: { subject: p.subject, skill: p.skill, solveRate: p.solveRate ?? 0, verified: p.verified },
        },
      });
      p.cell = placement.cell ? cellKey(placement.cell) : null;
      p.quality = placement.quality;
      p.archiveStatus = placement.status;
      this.buffer.problems.push(p);
      this.bufferedByUid.set(p.uid, p);
      if (bandKeys.length > 0) {
        this.buffer.nearDuplicateKeys.push({ seq, keys: bandKeys, screened });
        for (const key of bandKeys) {
          const list = this.bufferedBands.get(key);
          if (list) list.push(p);
          else this.bufferedBands.set(key, [p]);
        }
      }
      if (!this.bufferedHashes.has(p.textHash)) this.bufferedHashes.set(p.textHash, seq);
      this.remember(p.textHash, seq);
      if (p.origin === 'seed') this.fallback.push(p.uid);
      if (p.skill === 'other') this.add('unknown_labels', 1);
      this.add('truncated_attempts', p.truncated);
      if (p.unverifiedReason === 'all_truncated') this.add('all_truncated', 1);
      // Malformed content: attempts that stated no answer, labels that broke the requested format.
      this.add('no_answer_attempts', p.attempts.filter(isNoAnswer).length);
      const judged = p.attempts.filter((a) => a.rule === 'judge');
      this.add('judged_attempts', judged.length);
      this.add('judge_accepted', judged.filter((a) => a.correct).length);
      if (p.unverifiedReason === 'no_answer') this.add('no_answer_problems', 1);
      if (p.labelMalformed) this.add('malformed_labels', 1);
      this.add('label_reasks', p.labelReasks);
      if (p.origin !== 'seed') {
        this.totals.generated++;
        this.add('generated_problems', 1);
      }
      tallyOutcome(
        this.epoch,
        { solveRate: p.solveRate, verified: p.verified, disputed: p.disputed, truncated: p.truncated },
        placement.status,
      );
    }
    this.told = seq + 1;
    if (this.told === this.epochEnd(this.epoch.generation)) this.closeEpoch();
  }

  /** A generated problem found, when told, to repeat one already in the pool. */
  private rejectTold(
    spec: MutationTaskSpec,
    outcome: Extract<TaskResult, { kind: 'problem' }>,
    reason: 'duplicate' | 'near_duplicate',
    detail: string,
  ): TaskResult {
    return {
      kind: 'rejection',
      usage: outcome.usage,
      record: rejection(
        spec,
        outcome.record.uid,
        this.parentRecords(spec),
        reason,
        detail,
        outcome.rawOutput,
        outcome.record.mutateKey,
      ),
    };
  }

  /**
   * The closest problem told before this one at the screen's threshold (committed, or told
   * since), and whether every candidate sharing a band key was verified (none left out for
   * MAX_CANDIDATES: the result may then not be complete).
   */
  private nearestTold(screen: NearDuplicateScreen, text: string, keys: number[]) {
    const buffered = new Map<number, ProblemRecord>();
    for (const key of keys) for (const p of this.bufferedBands.get(key) ?? []) buffered.set(p.seq, p);
    const recent = [...buffered.values()].sort((a, b) => b.seq - a.seq).slice(0, MAX_CANDIDATES);
    const committed = this.deps.store.nearDuplicateCandidates(keys, MAX_CANDIDATES - recent.length);
    const candidates = [...recent, ...committed];
    return { match: screen.nearest(text, candidates), complete: candidates.length < MAX_CANDIDATES };
  }

  /** Keeps the hashes of at least the last window of told tasks (generations: the last epoch). */
  private remember(hash: string, seq: number): void {
    if (!this.recentHashes.has(hash)) this.recentHashes.set(hash, seq);
    this.recentOrder.push({ seq, hash });
    const keep = this.keepHashes();
    while (
      this.recentStart < this.recentOrder.length &&
      this.recentOrder[this.recentStart]!.seq < seq - keep
    ) {
      const old = this.recentOrder[this.recentStart++]!;
      if (this.recentHashes.get(old.hash) === old.seq) this.recentHashes.delete(old.hash);
    }
    // Drop the consumed head now and then instead of shifting on every call.
    if (this.recentStart > 4096 && this.recentStart * 2 > this.recentOrder.length) {
      this.recentOrder = this.recentOrder.slice(this.recentStart);
      this.recentStart = 0;
    }
  }

  private keepHashes(): number {
    return Math.max(this.window, this.s.batchSize) + 1;
  }

  private add(name: string, value: number): void {
    if (value !== 0) this.counters[name] = (this.counters[name] ?? 0) + value;
  }

  // --- epochs ------------------------------------------------------------------------------------

  /** The task number just after epoch `generation`. */
  private epochEnd(generation: number): number {
    return this.seedTasks + generation * this.s.batchSize;
  }

  private epochMetrics(partial: boolean): EpochMetrics {
    const m = generationMetrics(this.epoch, this.deps.core.stats(), this.deps.core.distinctSkills());
    return {
      ...m,
      partial,
      spend: {
        requests: this.epoch.usage.requests,
        prompt_tokens: this.epoch.usage.promptTokens,
        completion_tokens: this.epoch.usage.completionTokens,
      },
      seconds: (Date.now() - this.lastEpochEnd) / 1000,
      // Memory of the orchestrator, so long runs can be watched for growth.
      rssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 2 ** 10),
      heapUsedMb: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
    };
  }

  private closeEpoch(): void {
    const metrics = this.epochMetrics(false);
    this.buffer.epochs.push({ generation: this.epoch.generation, startedAt: this.epoch.startedAt, metrics });
    this.lastGeneration = this.epoch.generation;
    this.lastVerifiedShare = metrics.verifiedShare;
    this.generationsRun++;
    this.lastEpochEnd = Date.now();
    this.epoch = newTally(this.epoch.generation + 1, new Date().toISOString());
    this.announce(metrics);
  }

  /** The generation's line and log record, as soon as its last task is told (its row commits next). */
  private announce(metrics: EpochMetrics): void {
    this.deps.progress.line(
      `generation ${metrics.generation}: ${metrics.evaluated} problems (${(metrics.verifiedShare * 100).toFixed(0)}% verified), ${metrics.rejected} rejected, ` +
        `coverage ${(metrics.coverage * 100).toFixed(1)}%, QD-score ${metrics.qdScore.toFixed(2)}, mean elite quality ${metrics.meanQuality.toFixed(3)}`,
    );
    this.deps.logger.info({ event: 'generation', ...metrics }, 'generation complete');
  }

  /** A run that stops inside an epoch records what it has so far; a resume rewrites the row. */
  private flushEpoch(): void {
    if (this.epoch.evaluated + this.epoch.rejected === 0) return;
    this.buffer.epochs.push({
      generation: this.epoch.generation,
      startedAt: this.epoch.startedAt,
      metrics: this.epochMetrics(true),
    });
  }

  // --- commits -----------------------------------------------------------------------------------

  private maybeCommit(): void {
    const due =
      this.told - this.committedTold >= this.s.commitTasks ||
      (this.told > this.committedTold && Date.now() - this.lastCommitAt >= this.s.commitMs);
    if (due) this.commit();
  }

  private commit(): void {
    // Spend is not part of it: the store writes it as it happens (RunStore.trackSpend).
    const counters = { ...this.counters };
    const open = [...this.open.values()]
      .filter((t): t is MutationTaskSpec => t.kind === 'mutate')
      .sort((a, b) => a.seq - b.seq);
    this.deps.store.commit({
      ...this.buffer,
      coreState: this.deps.core.state(),
      scheduler: {
        version: 1,
        told: this.told,
        seedTasks: this.seedTasks,
        window: this.window,
        open,
        epoch: this.epoch,
      },
      counters,
      ...(this.deps.nearDuplicates ? { nearDuplicateScreen: this.deps.nearDuplicates.settings } : {}),
    });
    this.deps.store.setMeta('live', JSON.stringify(this.liveState()));
    this.buffer = { problems: [], rejections: [], epochs: [], nearDuplicateKeys: [] };
    this.bufferedByUid.clear();
    this.bufferedHashes.clear();
    this.bufferedBands.clear();
    this.counters = {};
    this.committedTold = this.told;
    this.lastCommitAt = Date.now();
  }

  // --- progress ----------------------------------------------------------------------------------

  private readonly rate: { t: number; told: number; requests: number }[] = [];
  private perSecond = { tasks: 0, requests: 0 };

  /** What `sparq watch` shows of the running process, written with each commit. */
  private liveState(): LiveState {
    return {
      at: new Date().toISOString(),
      pid: process.pid,
      told: this.told,
      liveTasks: this.runningCount(),
      inFlight: this.deps.inFlight?.() ?? 0,
      slots: this.deps.slots ?? null,
      tasksPerSecond: this.perSecond.tasks,
      requestsPerSecond: this.perSecond.requests,
      stoppedBy: this.stoppedBy,
    };
  }

  /** How often a batch round is watched, and for how many looks in a row nothing may move. */
  private static readonly ROUND_WATCH_MS = 50;
  private static readonly ROUND_IDLE_LOOKS = 3;

  /**
   * Ends a batch round once nothing has moved for a few looks while requests wait for batch
   * files: no request dispatched, no task finished or told, nothing online in flight.
   * Everything a task does between two requests is synchronous (the answer checks, the store),
   * so a timer that fires at all finds the tasks waiting; the looks in a row are a margin.
   */
  private watchRound(): void {
    const batch = this.deps.batch;
    if (!batch || this.suspended || this.failure !== null) return;
    const seen = `${batch.activity()}:${this.told}:${this.pending.size}:${this.finished.size}`;
    const still = seen === this.roundSeen && batch.blocked() > 0 && batch.otherInFlight() === 0;
    this.roundSeen = seen;
    this.idleTicks = still ? this.idleTicks + 1 : 0;
    if (this.idleTicks < Scheduler.ROUND_IDLE_LOOKS) return;
    this.suspended = true;
    this.stoppedBy = 'waiting for batch results';
    const reason = new RoundEnded();
    for (const c of this.controllers.values()) c.abort(reason);
    this.controllers.clear();
    this.wake?.();
  }

  private tick(): void {
    this.maybeCommitFromTimer();
    const now = Date.now();
    const requests = this.deps.ledger.totals().requestsSent;
    this.rate.push({ t: now, told: this.told, requests });
    while (this.rate.length > 2 && now - this.rate[0]!.t > 60_000) this.rate.shift();
    const first = this.rate[0]!;
    const perSecond = now > first.t ? ((this.told - first.told) * 1000) / (now - first.t) : 0;
    this.perSecond = {
      tasks: perSecond,
      requests: now > first.t ? ((requests - first.requests) * 1000) / (now - first.t) : 0,
    };
    const budget = this.s.budget.generations;
    const remaining = budget === null ? null : Math.max(0, this.epochEnd(budget) - this.told);
    const stats = this.deps.core.stats();
    const generation = this.epoch.generation;
    const start = generation === 0 ? 0 : this.epochEnd(generation - 1);
    const end = this.epochEnd(generation);
    this.deps.progress.update({
      generation,
      lastGeneration: this.s.budget.generations,
      tasksDone: this.told - start,
      tasksTotal: end - start,
      problems: this.totals.generated + Math.min(this.told, this.seedTasks),
      requestsSent: this.deps.ledger.totals().requestsSent,
      verifiedShare: this.lastVerifiedShare,
      coverage: stats.coverage,
      liveTasks: this.runningCount(),
      inFlight: this.deps.inFlight?.() ?? null,
      etaSeconds: remaining === null || perSecond <= 0 ? null : remaining / perSecond,
    });
  }

  private maybeCommitFromTimer(): void {
    // Commits happen on the main loop; the timer only wakes it when one is due.
    if (this.told > this.committedTold && Date.now() - this.lastCommitAt >= this.s.commitMs) this.wake?.();
  }
}

/** A task's failure, named: which task, so a run that stops on it says where. */
function inTask(spec: TaskSpec, err: unknown): Error {
  if (!(err instanceof Error)) return new Error(`task ${spec.seq}: ${String(err)}`);
  const what =
    spec.kind === 'seed'
      ? `seed task ${spec.seq}`
      : `task ${spec.seq} (g${spec.generation}-t${spec.index}, ${spec.operator})`;
  const named = new Error(`${what}: ${err.message}`, { cause: err });
  named.name = err.name;
  return named;
}
