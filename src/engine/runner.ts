/**
 * `sparq run`: grows the pool generation by generation. Generation 0 evaluates the seeds (labels
 * and solve-rates, like any problem); every later generation asks the QD core for tasks, runs each
 * task (mutate -> parse and screen -> label -> solve), tells the core the outcomes in task order,
 * and commits everything the generation produced in one transaction.
 *
 * Resume: model responses are cached by request key as they arrive; the archive and counters are
 * committed with each generation. A run killed at any moment restarts at the first uncommitted
 * generation, replays that generation's requests from the cache, and ends identical to a run
 * that was never interrupted (given a deterministic model).
 */
import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import { AnswerChecker } from '../answer/index.js';
import type { ModelBackend } from '../backends/types.js';
import type { SparqConfig } from '../config/schema.js';
import { type CellSpace, cellOf, totalCells } from '../core/cells.js';
import { type GenerationMetrics, generationMetrics } from '../core/metrics.js';
import { type CoreState, type MutationTask, type Outcome, QDCore } from '../core/qd-core.js';
import type { ParentRef } from '../core/selection.js';
import type { Operator, ProblemRecord, RejectionRecord } from '../domain/records.js';
import { parseSubject, type Subject } from '../domain/subjects.js';
import { formatTaxonomy, loadTaxonomy, type Taxonomy } from '../domain/taxonomy.js';
import { loadTemplate, type PromptTemplate, renderTemplate } from '../prompts/templates.js';
import { loadSeeds, type SeedProblem } from '../seeds/load.js';
import { CachingClient } from '../storage/request-cache.js';
import type { SqliteRunStore } from '../storage/sqlite-store.js';
import { minhash } from '../text/minhash.js';
import { hash32, Rng } from '../util/hash.js';
import { labelResponseFormat, parseLabel } from './labels.js';
import { parseMutationOutput, problemTextHash, screen } from './mutation-output.js';
import type { ProgressReporter } from './progress.js';
import { type SolveSettings, solve } from './solver.js';

export const FINGERPRINT_HASHES = 32;

export interface RunDeps {
  store: SqliteRunStore;
  config: SparqConfig;
  backend: ModelBackend;
  logger: Logger;
  progress: ProgressReporter;
  signal?: AbortSignal;
}

export interface RunResult {
  generationsRun: number;
  lastGeneration: number | null;
  stoppedBy: string;
  metrics: GenerationMetrics | null;
}

/** A task's product; `parentCells` lets curiosity credit or debit the cells the parents came from. */
type TaskResult =
  | { kind: 'problem'; record: ProblemRecord; parentCells: string[] }
  | { kind: 'rejection'; record: RejectionRecord; parentCells: string[] };

interface Templates {
  vary: PromptTemplate;
  harder: PromptTemplate;
  combine: PromptTemplate;
  solve: PromptTemplate;
  label: PromptTemplate;
}

export class SparqRun {
  private readonly client: CachingClient;
  private readonly checker = new AnswerChecker();
  private readonly taxonomy: Taxonomy;
  private readonly taxonomyText: string;
  private readonly templates: Templates;
  private readonly space: CellSpace;
  private readonly core: QDCore;
  private readonly solveSettings: SolveSettings;
  private readonly labelFormat: ReturnType<typeof labelResponseFormat> | undefined;
  private lastGeneration: number | null;
  private readonly committed = {
    sent: 0,
    cacheHits: 0,
    retries: 0,
    failures: 0,
    promptTokens: 0,
    completionTokens: 0,
    faults: {} as Record<string, number>,
  };
  private tasksDone = 0;
  /** Pool size, kept here so progress never has to count a table of millions of rows. */
  private poolSize: number;
  private generatedProblems: number;
  private lastVerifiedShare = 0;
  private tasksTotal = 0;
  private generationStarted = Date.now();
  private readonly generationSeconds: number[] = [];

  constructor(private readonly deps: RunDeps) {
    const { config, store } = deps;
    this.client = new CachingClient(deps.backend, store);
    this.taxonomy = loadTaxonomy(config.taxonomy);
    this.taxonomyText = formatTaxonomy(this.taxonomy);
    this.labelFormat = config.model.json_schema ? labelResponseFormat(this.taxonomy) : undefined;
    const t = (id: string) => loadTemplate(id, config.prompts_dir);
    this.templates = {
      vary: t('vary'),
      harder: t('harder'),
      combine: t('combine'),
      solve: t('solve'),
      label: t('label'),
    };
    this.space = {
      skills: this.taxonomy.skills,
      bands: config.archive.difficulty_dimension ? config.archive.difficulty_bands : null,
    };
    const last = store.lastGeneration();
    this.lastGeneration = last?.generation ?? null;
    this.poolSize = store.count('problems');
    this.generatedProblems = store.count('problems', "origin != 'seed'");
    this.core = new QDCore(
      {
        seed: config.seed,
        capacity: config.archive.cell_capacity,
        totalCells: totalCells(this.space),
        strategy: config.selection.strategy,
        frontier: config.selection.frontier,
        operators: config.generation.operators,
      },
      last ? (last.coreState as CoreState) : undefined,
    );
    this.solveSettings = {
      k: config.solver.k,
      temperature: config.solver.temperature,
      topP: config.solver.top_p,
      maxTokens: config.solver.max_tokens,
      disputedMajority: config.solver.disputed_majority,
      adaptive: {
        enabled: config.solver.adaptive.enabled,
        roundSize: config.solver.adaptive.round_size,
        maxK: config.solver.adaptive.max_k,
        confidence: config.solver.adaptive.confidence,
      },
      bands: config.archive.difficulty_bands,
    };
  }

  /** Runs generations until a budget is met (or the signal aborts). */
  async run(): Promise<RunResult> {
    const { logger, progress } = this.deps;
    let generationsRun = 0;
    let metrics: GenerationMetrics | null = null;
    // The seed texts are needed for generation 0 only; later generations need just their ids.
    let seeds: SeedProblem[] | null = this.loadSeeds();
    const fallback = this.fallbackParents(seeds);
    for (;;) {
      const stop = this.budgetReached();
      if (stop) {
        logger.info({ stoppedBy: stop, lastGeneration: this.lastGeneration }, 'run finished');
        return { generationsRun, lastGeneration: this.lastGeneration, stoppedBy: stop, metrics };
      }
      this.deps.signal?.throwIfAborted();
      const generation = this.lastGeneration === null ? 0 : this.lastGeneration + 1;
      this.generationStarted = Date.now();
      const startedAt = new Date().toISOString();
      const results =
        generation === 0
          ? await this.evaluateSeeds(seeds ?? this.loadSeeds())
          : await this.runTasks(
              generation,
              this.core.ask(generation, this.deps.config.generation.batch_size, fallback),
            );
      seeds = null;
      metrics = this.commit(generation, startedAt, results);
      this.lastGeneration = generation;
      generationsRun++;
      this.generationSeconds.push((Date.now() - this.generationStarted) / 1000);
      progress.line(
        `generation ${generation}: ${metrics.evaluated} problems (${(metrics.verifiedShare * 100).toFixed(0)}% verified), ${metrics.rejected} rejected, ` +
          `coverage ${(metrics.coverage * 100).toFixed(1)}%, QD-score ${metrics.qdScore.toFixed(2)}, mean elite quality ${metrics.meanQuality.toFixed(3)}`,
      );
      logger.info({ event: 'generation', ...metrics }, 'generation committed');
    }
  }

  private loadSeeds(): SeedProblem[] {
    const { config, logger, progress } = this.deps;
    const loaded = loadSeeds(config.seeds.path, { skipInvalid: config.seeds.skip_invalid });
    if (loaded.skipped.length > 0) {
      progress.line(
        `seeds: skipped ${loaded.skipped.length} invalid line(s) of ${loaded.file} (first: line ${loaded.skipped[0]!.line}: ${loaded.skipped[0]!.reason})`,
      );
      logger.warn({ file: loaded.file, skipped: loaded.skipped }, 'invalid seed lines skipped');
    }
    let seeds = loaded.seeds;
    if (config.seeds.sample !== null && config.seeds.sample < seeds.length) {
      const rng = Rng.from(config.seed, 'seed-sample');
      const order = seeds.map((_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = rng.int(0, i);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      const keep = new Set(order.slice(0, config.seeds.sample));
      seeds = seeds.filter((_, i) => keep.has(i));
    }
    return seeds;
  }

  private fallbackParents(seeds: SeedProblem[]): ParentRef[] {
    return seeds.map((s) => ({ uid: `seed:${s.id}`, cell: `${s.subject ?? 'unknown'} / seed` }));
  }

  private budgetReached(): string | null {
    const { budget } = this.deps.config;
    const { store } = this.deps;
    if (this.lastGeneration === null) return null;
    if (budget.generations !== null && this.lastGeneration >= budget.generations)
      return `budget.generations (${budget.generations})`;
    if (budget.problems !== null && this.generatedProblems >= budget.problems)
      return `budget.problems (${budget.problems})`;
    const counters = store.counters();
    if (budget.requests !== null && (counters.requests_sent ?? 0) >= budget.requests)
      return `budget.requests (${budget.requests})`;
    if (
      budget.tokens !== null &&
      (counters.prompt_tokens ?? 0) + (counters.completion_tokens ?? 0) >= budget.tokens
    )
      return `budget.tokens (${budget.tokens})`;
    return null;
  }

  private requestSeed(generation: number, task: number, purpose: string): number {
    return hash32(`${this.deps.config.seed}|${generation}|${task}|${purpose}`) & 0x7fffffff;
  }

  // --- generation 0: the seeds ---------------------------------------------------------------

  private async evaluateSeeds(seeds: SeedProblem[]): Promise<TaskResult[]> {
    return this.allTasks(
      seeds.length,
      seeds.map((seed, index) => async (signal: AbortSignal) => {
        const label = await this.label(seed.problem, seed.subject, null, 0, index, signal);
        const summary = await solve(
          this.client,
          this.templates.solve,
          this.checker,
          seed.problem,
          seed.answer,
          this.requestSeed(0, index, 'solve'),
          this.solveSettings,
          signal,
        );
        const record: ProblemRecord = {
          uid: `seed:${seed.id}`,
          generation: 0,
          taskIndex: index,
          origin: 'seed',
          seedId: seed.id,
          parentUids: [],
          templateRef: null,
          templateHash: null,
          model: null,
          mutateKey: null,
          genParams: null,
          problem: seed.problem,
          solution: seed.solution,
          answer: seed.answer,
          textHash: problemTextHash(seed.problem),
          level: seed.level,
          ...this.labelFields(label),
          ...this.solveFields(summary),
          archiveStatus: null,
          cell: null,
        };
        return { kind: 'problem', record, parentCells: [] } satisfies TaskResult;
      }),
    );
  }

  // --- generations >= 1: mutation tasks ------------------------------------------------------

  private async runTasks(generation: number, tasks: MutationTask[]): Promise<TaskResult[]> {
    const parentUids = [...new Set(tasks.flatMap((t) => t.parents.map((p) => p.uid)))];
    const parents = new Map(this.deps.store.getProblems(parentUids).map((p) => [p.uid, p]));
    return this.allTasks(
      tasks.length,
      tasks.map((task) => (signal: AbortSignal) => this.mutationTask(generation, task, parents, signal)),
    );
  }

  private async mutationTask(
    generation: number,
    task: MutationTask,
    parents: Map<string, ProblemRecord>,
    signal: AbortSignal,
  ): Promise<TaskResult> {
    const { config } = this.deps;
    const ps = task.parents.map((p) => {
      const record = parents.get(p.uid);
      if (!record) throw new Error(`parent ${p.uid} is not in the pool: the run database is inconsistent`);
      return record;
    });
    const template = this.templates[task.operator];
    const vars: Record<string, string> = {
      subject: ps[0]!.subject ?? 'unknown',
      skill: ps[0]!.skill ?? 'unknown',
      problem: ps[0]!.problem,
    };
    if (ps[1])
      Object.assign(vars, {
        subject2: ps[1].subject ?? 'unknown',
        skill2: ps[1].skill ?? 'unknown',
        problem2: ps[1].problem,
      });
    const genParams = {
      n: 1,
      temperature: config.generation.temperature,
      topP: config.generation.top_p,
      maxTokens: config.generation.max_tokens,
      seed: this.requestSeed(generation, task.taskIndex, 'mutate'),
    };
    const call = await this.client.call(
      { messages: renderTemplate(template, vars), ...genParams },
      'mutate',
      template.ref,
      signal,
    );
    const text = call.choices[0]?.text ?? '';
    const uid = `g${generation}-t${task.taskIndex}`;
    const parentCells = task.parents.map((p) => p.cell);
    const reject = (reason: RejectionRecord['reason'], detail: string): TaskResult => ({
      kind: 'rejection',
      parentCells,
      record: {
        uid,
        generation,
        taskIndex: task.taskIndex,
        operator: task.operator,
        parentUids: ps.map((p) => p.uid),
        reason,
        detail,
        rawOutput: text.slice(0, 20_000),
        requestKey: call.keys[0]!,
      },
    });
    const parsed = parseMutationOutput(text);
    if (!parsed.ok) return reject(parsed.reason, parsed.detail);
    const screened = screen(parsed.value, {
      maxProblemChars: config.generation.max_problem_chars,
      parentTexts: ps.map((p) => p.problem),
    });
    if (screened) return reject(screened.reason, screened.detail);
    const textHash = problemTextHash(parsed.value.problem);
    if (this.deps.store.hasProblemText(textHash))
      return reject('duplicate', 'the same problem is already in the pool');

    const fallbackSubject = parseSubject(ps[0]!.subject);
    const label = await this.label(
      parsed.value.problem,
      null,
      fallbackSubject,
      generation,
      task.taskIndex,
      signal,
    );
    const summary = await solve(
      this.client,
      this.templates.solve,
      this.checker,
      parsed.value.problem,
      parsed.value.answer,
      this.requestSeed(generation, task.taskIndex, 'solve'),
      this.solveSettings,
      signal,
    );
    const record: ProblemRecord = {
      uid,
      generation,
      taskIndex: task.taskIndex,
      origin: task.operator,
      seedId: null,
      parentUids: ps.map((p) => p.uid),
      templateRef: template.ref,
      templateHash: template.hash,
      model: this.deps.backend.model,
      mutateKey: call.keys[0]!,
      genParams,
      problem: parsed.value.problem,
      solution: parsed.value.solution,
      answer: parsed.value.answer,
      textHash,
      level: null,
      ...this.labelFields(label),
      ...this.solveFields(summary),
      archiveStatus: null,
      cell: null,
    };
    return { kind: 'problem', record, parentCells };
  }

  private async label(
    problem: string,
    knownSubject: Subject | null,
    fallbackSubject: Subject | null,
    generation: number,
    task: number,
    signal: AbortSignal,
  ) {
    const { config } = this.deps;
    const template = this.templates.label;
    const call = await this.client.call(
      {
        messages: renderTemplate(template, { problem, skills: this.taxonomyText }),
        n: 1,
        temperature: config.labeling.temperature,
        maxTokens: config.labeling.max_tokens,
        seed: this.requestSeed(generation, task, 'label'),
        responseFormat: this.labelFormat,
      },
      'label',
      template.ref,
      signal,
    );
    return {
      ...parseLabel(call.choices[0]?.text ?? '', this.taxonomy, knownSubject, fallbackSubject),
      key: call.keys[0]!,
    };
  }

  private labelFields(label: ReturnType<typeof parseLabel> & { key: string }) {
    return { subject: label.subject, skill: label.skill, rawLabel: label.raw, labelKey: label.key };
  }

  private solveFields(s: Awaited<ReturnType<typeof solve>>) {
    return {
      attempts: s.attempts,
      correct: s.correct,
      solveRate: s.solveRate,
      majorityAnswer: s.majorityAnswer,
      majorityShare: s.majorityShare,
      disputed: s.disputed,
      verified: s.verified,
      quality: s.verified ? 1 - s.solveRate : null,
      solveKeys: s.keys,
      solveParams: { ...s.params, n: s.attempts.length },
    };
  }

  /**
   * Runs a generation's tasks concurrently (the backend caps requests in flight). The first
   * failure aborts the others: nothing of the generation is committed, and its finished requests
   * stay cached for the resume.
   */
  private async allTasks(
    total: number,
    tasks: ((signal: AbortSignal) => Promise<TaskResult>)[],
  ): Promise<TaskResult[]> {
    const controller = new AbortController();
    // Every request in flight listens to this one signal.
    setMaxListeners(0, controller.signal);
    const outer = this.deps.signal;
    const onAbort = () => controller.abort(outer?.reason);
    outer?.addEventListener('abort', onAbort, { once: true });
    this.tasksDone = 0;
    this.tasksTotal = total;
    const ticker = setInterval(() => this.reportProgress(), 250);
    try {
      return await Promise.all(
        tasks.map((task) =>
          task(controller.signal).then(
            (r) => {
              this.tasksDone++;
              return r;
            },
            (err: unknown) => {
              controller.abort(err);
              throw err;
            },
          ),
        ),
      );
    } finally {
      clearInterval(ticker);
      outer?.removeEventListener('abort', onAbort);
      this.deps.store.flush();
    }
  }

  private reportProgress(): void {
    const stats = this.core.stats();
    const budget = this.deps.config.budget.generations;
    const generation = this.lastGeneration === null ? 0 : this.lastGeneration + 1;
    const avg =
      this.generationSeconds.length > 0
        ? this.generationSeconds.reduce((a, b) => a + b, 0) / this.generationSeconds.length
        : null;
    const elapsed = (Date.now() - this.generationStarted) / 1000;
    const thisGen = this.tasksDone > 0 ? (elapsed * this.tasksTotal) / this.tasksDone - elapsed : null;
    const remainingGens = budget === null ? null : Math.max(0, budget - generation);
    const eta =
      thisGen === null
        ? null
        : remainingGens === null
          ? null
          : thisGen + remainingGens * (avg ?? elapsed + thisGen);
    this.deps.progress.update({
      generation,
      lastGeneration: budget,
      tasksDone: this.tasksDone,
      tasksTotal: this.tasksTotal,
      problems: this.poolSize,
      requestsSent: this.client.counters.sent,
      verifiedShare: this.lastVerifiedShare,
      coverage: stats.coverage,
      etaSeconds: eta,
    });
  }

  // --- commit ----------------------------------------------------------------------------------

  private commit(generation: number, startedAt: string, results: TaskResult[]): GenerationMetrics {
    const problems: ProblemRecord[] = [];
    const rejections: RejectionRecord[] = [];
    const outcomes: Outcome[] = [];
    const seen = new Set<string>();
    for (const r of results) {
      if (r.kind === 'problem' && generation > 0 && seen.has(r.record.textHash)) {
        // Two tasks of one generation wrote the same problem: the later one (in task order) is the duplicate.
        const p = r.record;
        rejections.push({
          uid: p.uid,
          generation,
          taskIndex: p.taskIndex,
          operator: p.origin as Operator,
          parentUids: p.parentUids,
          reason: 'duplicate',
          detail: 'the same problem was written earlier in this generation',
          rawOutput: null,
          requestKey: p.mutateKey,
        });
        outcomes.push({
          uid: p.uid,
          parentCells: r.parentCells,
          cell: null,
          quality: null,
          solveRate: 0,
          fingerprint: [],
        });
        continue;
      }
      if (r.kind === 'rejection') {
        rejections.push(r.record);
        outcomes.push({
          uid: r.record.uid,
          parentCells: r.parentCells,
          cell: null,
          quality: null,
          solveRate: 0,
          fingerprint: [],
        });
        continue;
      }
      const p = r.record;
      seen.add(p.textHash);
      p.cell = p.subject ? cellOf(this.space, p.subject, p.skill ?? 'other', p.solveRate ?? 0) : null;
      problems.push(p);
      outcomes.push({
        uid: p.uid,
        parentCells: r.parentCells,
        // Only verified problems compete for a cell: solve-rate 0 may mean a wrong reference.
        cell: p.verified ? p.cell : null,
        quality: p.quality,
        solveRate: p.solveRate ?? 0,
        fingerprint: p.verified ? [...minhash(p.problem, FINGERPRINT_HASHES)] : [],
      });
    }
    const statuses = new Map(this.core.tell(outcomes).map((status, i) => [outcomes[i]!.uid, status]));
    const inserted = { NEW: 0, IMPROVED: 0, NOT_ADDED: 0 };
    for (const p of problems) {
      p.archiveStatus = statuses.get(p.uid)?.status ?? null;
      if (p.archiveStatus) inserted[p.archiveStatus]++;
    }
    const metrics = generationMetrics(
      generation,
      problems.map((p) => ({ solveRate: p.solveRate ?? 0, verified: p.verified, disputed: p.disputed })),
      rejections.length,
      this.core.stats(),
      this.core.distinctSkills(),
      inserted,
    );
    this.lastVerifiedShare = metrics.verifiedShare;
    const counters = this.counterDeltas();
    counters.unknown_labels = problems.filter((p) => p.skill === 'other').length;
    for (const r of rejections)
      counters[`rejected_${r.reason}`] = (counters[`rejected_${r.reason}`] ?? 0) + 1;
    this.deps.store.commitGeneration({
      generation,
      startedAt,
      problems,
      rejections,
      metrics: {
        ...metrics,
        spend: counters,
        seconds: (Date.now() - this.generationStarted) / 1000,
        // Memory of the orchestrator, so long runs can be watched for growth.
        rssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
        peakRssMb: Math.round(process.resourceUsage().maxRSS / 2 ** 10),
        heapUsedMb: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
      },
      coreState: this.core.state(),
      counters,
    });
    this.poolSize += problems.length;
    if (generation > 0) this.generatedProblems += problems.length;
    return metrics;
  }

  /** What was spent since the last commit; committed with the generation, so totals survive restarts. */
  private counterDeltas(): Record<string, number> {
    const stats = this.deps.backend.stats();
    const c = this.client.counters;
    const out: Record<string, number> = {
      requests_sent: c.sent - this.committed.sent,
      cache_hits: c.cacheHits - this.committed.cacheHits,
      retries: stats.retries - this.committed.retries,
      failures: stats.failures - this.committed.failures,
      prompt_tokens: stats.promptTokens - this.committed.promptTokens,
      completion_tokens: stats.completionTokens - this.committed.completionTokens,
    };
    for (const [name, value] of Object.entries(stats.faults))
      out[`fault_${name}`] = value - (this.committed.faults[name] ?? 0);
    Object.assign(this.committed, {
      sent: c.sent,
      cacheHits: c.cacheHits,
      retries: stats.retries,
      failures: stats.failures,
      promptTokens: stats.promptTokens,
      completionTokens: stats.completionTokens,
      faults: { ...stats.faults },
    });
    return out;
  }
}
