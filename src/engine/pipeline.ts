/**
 * One task, start to finish, with no knowledge of other tasks: a seed is labelled and solved; a
 * mutation is written by the model, parsed and screened, then labelled and solved at the same
 * time (neither needs the other). The result is a problem or a rejection record with what its
 * requests cost; where it lands in the archive is decided later, when the scheduler tells the
 * core, in task order.
 */
import type { AnswerChecker } from '../answer/index.js';
import { type JsonSchemaFormat, ModelCallError } from '../backends/types.js';
import type { ProblemRecord, RejectionReason, RejectionRecord, SamplingParams } from '../domain/records.js';
import { parseSubject, type Subject } from '../domain/subjects.js';
import type { MutationTaskSpec, SeedTaskSpec } from '../domain/tasks.js';
import type { Taxonomy } from '../domain/taxonomy.js';
import { type PromptTemplate, renderTemplate } from '../prompts/templates.js';
import type { SeedProblem } from '../seeds/load.js';
import { hash32 } from '../util/hash.js';
import type { CallUsage, ModelGateway } from './gateway/gateway.js';
import type { AnswerJudge } from './judge.js';
import { type Label, parseLabel } from './labels.js';
import { parseMutationOutput, problemTextHash, screen } from './mutation-output.js';
import { addUsage, type SolveSettings, type SolveSummary, solve } from './solver.js';

export type TaskResult =
  /** `rawOutput`: the generator's text, kept in case the problem turns out a duplicate when told. */
  | { kind: 'problem'; record: ProblemRecord; usage: CallUsage; rawOutput: string | null }
  | { kind: 'rejection'; record: RejectionRecord; usage: CallUsage };

export interface Templates {
  vary: PromptTemplate;
  harder: PromptTemplate;
  combine: PromptTemplate;
  solve: PromptTemplate;
  label: PromptTemplate;
}

export interface PipelineSettings {
  seed: number;
  generation: { temperature: number; topP: number; maxTokens: number; maxProblemChars: number };
  labeling: {
    temperature: number;
    maxTokens: number;
    responseFormat: JsonSchemaFormat | undefined;
    /** Times a label that breaks the requested format is asked again. */
    malformedRetries: number;
  };
  solve: SolveSettings;
}

export interface PipelineDeps {
  gateway: ModelGateway;
  checker: AnswerChecker;
  templates: Templates;
  taxonomy: Taxonomy;
  /** The taxonomy as the label prompt shows it. */
  taxonomyText: string;
  settings: PipelineSettings;
  /** Asked about the attempts the rules cannot decide; null: the rules alone decide. */
  judge?: AnswerJudge | null;
}

/** Whether a problem with this text hash is already in the pool as of the task's ask. */
export type DuplicateCheck = (textHash: string) => boolean;

export class TaskPipeline {
  constructor(private readonly deps: PipelineDeps) {}

  /**
   * A request refused for its input (over the context, or by the server while it answers others)
   * costs its problem, recorded with the reason; the run goes on. Anything else fails the task.
   */
  async runSeed(spec: SeedTaskSpec, seed: SeedProblem, signal?: AbortSignal): Promise<TaskResult> {
    const spent = emptyUsage();
    try {
      return await this.seed(spec, seed, spent, signal);
    } catch (err) {
      if (!isInputRejection(err)) throw err;
      return refused(err, spent, {
        uid: `seed:${seed.id}`,
        seq: spec.seq,
        generation: 0,
        taskIndex: spec.seedIndex,
        operator: 'seed',
        parentUids: [],
      });
    }
  }

  async runMutation(
    spec: MutationTaskSpec,
    parents: readonly ProblemRecord[],
    isDuplicate: DuplicateCheck,
    signal?: AbortSignal,
  ): Promise<TaskResult> {
    const spent = emptyUsage();
    try {
      return await this.mutation(spec, parents, isDuplicate, spent, signal);
    } catch (err) {
      if (!isInputRejection(err)) throw err;
      return refused(err, spent, {
        uid: mutationUid(spec),
        seq: spec.seq,
        generation: spec.generation,
        taskIndex: spec.index,
        operator: spec.operator,
        parentUids: parents.map((p) => p.uid),
      });
    }
  }

  /** `usage` collects what the task's requests cost as they are answered, refused or not. */
  private async seed(
    spec: SeedTaskSpec,
    seed: SeedProblem,
    usage: CallUsage,
    signal?: AbortSignal,
  ): Promise<TaskResult> {
    const ctx = { generation: 0, index: spec.seedIndex, task: spec.seq, signal };
    const [label, summary] = await both(
      this.label(seed.problem, seed.subject, null, ctx),
      this.solve(seed.problem, seed.answer, ctx),
      usage,
    );
    const record: ProblemRecord = {
      uid: `seed:${seed.id}`,
      seq: spec.seq,
      generation: 0,
      taskIndex: spec.seedIndex,
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
      ...labelFields(label),
      ...solveFields(summary),
      archiveStatus: null,
      cell: null,
    };
    return { kind: 'problem', record, usage, rawOutput: null };
  }

  /**
   * `parents` are the records of the task's parents, in order; `isDuplicate` answers from the pool
   * as it stood when the task was asked, so the answer (and whether label and solve are spent)
   * does not depend on timing.
   */
  private async mutation(
    spec: MutationTaskSpec,
    parents: readonly ProblemRecord[],
    isDuplicate: DuplicateCheck,
    usage: CallUsage,
    signal?: AbortSignal,
  ): Promise<TaskResult> {
    const { settings, templates, gateway } = this.deps;
    const template = templates[spec.operator];
    const [first, second] = parents;
    if (!first) throw new Error(`task ${spec.seq} has no parent`);
    const vars: Record<string, string> = {
      subject: first.subject ?? 'unknown',
      skill: first.skill ?? 'unknown',
      problem: first.problem,
    };
    if (second)
      Object.assign(vars, {
        subject2: second.subject ?? 'unknown',
        skill2: second.skill ?? 'unknown',
        problem2: second.problem,
      });
    const ctx = { generation: spec.generation, index: spec.index, task: spec.seq, signal };
    const genParams: SamplingParams = {
      n: 1,
      temperature: settings.generation.temperature,
      topP: settings.generation.topP,
      maxTokens: settings.generation.maxTokens,
      seed: this.requestSeed(ctx, 'mutate'),
    };
    const call = await gateway.call({
      request: { messages: renderTemplate(template, vars), ...genParams },
      purpose: 'mutate',
      templateRef: template.ref,
      task: spec.seq,
      priority: spec.seq,
      signal,
    });
    addUsage(usage, call.usage);
    const choice = call.choices[0];
    const text = choice?.text ?? '';
    const uid = mutationUid(spec);
    const reject = (reason: RejectionReason, detail: string): TaskResult => ({
      kind: 'rejection',
      usage,
      record: rejection(spec, uid, parents, reason, detail, text, call.keys[0]!),
    });
    if (choice?.finishReason === 'length')
      return reject('truncated', `the output was cut at max_tokens (${settings.generation.maxTokens})`);
    const parsed = parseMutationOutput(text);
    if (!parsed.ok) return reject(parsed.reason, parsed.detail);
    const screened = screen(parsed.value, {
      maxProblemChars: settings.generation.maxProblemChars,
      parentTexts: parents.map((p) => p.problem),
    });
    if (screened) return reject(screened.reason, screened.detail);
    const textHash = problemTextHash(parsed.value.problem);
    if (isDuplicate(textHash)) return reject('duplicate', DUPLICATE_DETAIL);

    const [label, summary] = await both(
      this.label(parsed.value.problem, null, parseSubject(first.subject), ctx),
      this.solve(parsed.value.problem, parsed.value.answer, ctx),
      usage,
    );
    const record: ProblemRecord = {
      uid,
      seq: spec.seq,
      generation: spec.generation,
      taskIndex: spec.index,
      origin: spec.operator,
      seedId: null,
      parentUids: parents.map((p) => p.uid),
      templateRef: template.ref,
      templateHash: template.hash,
      model: gateway.model,
      mutateKey: call.keys[0]!,
      genParams,
      problem: parsed.value.problem,
      solution: parsed.value.solution,
      answer: parsed.value.answer,
      textHash,
      level: null,
      ...labelFields(label),
      ...solveFields(summary),
      archiveStatus: null,
      cell: null,
    };
    return { kind: 'problem', record, usage, rawOutput: text };
  }

  private requestSeed(ctx: { generation: number; index: number }, purpose: string): number {
    return hash32(`${this.deps.settings.seed}|${ctx.generation}|${ctx.index}|${purpose}`) & 0x7fffffff;
  }

  /**
   * A reply that breaks the requested format is asked again (`labeling.malformed_retries` times,
   * each with its own seed, so the cache does not replay it); a label still malformed after that
   * keeps what the lenient reader could find in it (else the fallback subject and skill "other")
   * and is flagged and counted.
   */
  private async label(
    problem: string,
    knownSubject: Subject | null,
    fallbackSubject: Subject | null,
    ctx: { generation: number; index: number; task: number; signal?: AbortSignal },
  ) {
    const { settings, templates, gateway, taxonomy, taxonomyText } = this.deps;
    const template = templates.label;
    const usage = emptyUsage();
    let previous: (Label & { key: string; reasks: number; usage: CallUsage }) | null = null;
    for (let attempt = 0; ; attempt++) {
      let call: Awaited<ReturnType<ModelGateway['call']>>;
      try {
        call = await gateway.call({
          request: {
            messages: renderTemplate(template, { problem, skills: taxonomyText }),
            n: 1,
            temperature: settings.labeling.temperature,
            maxTokens: settings.labeling.maxTokens,
            seed: this.requestSeed(ctx, attempt === 0 ? 'label' : `label-again-${attempt}`),
            responseFormat: settings.labeling.responseFormat,
          },
          purpose: 'label',
          templateRef: template.ref,
          task: ctx.task,
          priority: ctx.task,
          signal: ctx.signal,
        });
      } catch (err) {
        // A re-ask the server refuses costs only the re-ask: the malformed label stands.
        if (previous && isInputRejection(err)) return previous;
        throw err;
      }
      addUsage(usage, call.usage);
      const label = parseLabel(
        call.choices[0]?.text ?? '',
        taxonomy,
        knownSubject,
        fallbackSubject,
        settings.labeling.responseFormat,
      );
      previous = { ...label, key: call.keys[0]!, reasks: attempt, usage };
      if (!label.malformed || attempt >= settings.labeling.malformedRetries) return previous;
    }
  }

  private solve(
    problem: string,
    reference: string,
    ctx: { generation: number; index: number; task: number; signal?: AbortSignal },
  ): Promise<SolveSummary> {
    const { gateway, templates, checker, settings, judge } = this.deps;
    return solve(
      gateway,
      templates.solve,
      checker,
      problem,
      reference,
      this.requestSeed(ctx, 'solve'),
      settings.solve,
      { task: ctx.task, signal: ctx.signal },
      judge ?? null,
    );
  }
}

function mutationUid(spec: MutationTaskSpec): string {
  return `g${spec.generation}-t${spec.index}`;
}

/**
 * Label and solve at once, both seen to the end: when one is refused the other's requests have
 * been sent, cost what they cost, and must not outlive the task.
 */
async function both<A extends { usage: CallUsage }, B extends { usage: CallUsage }>(
  a: Promise<A>,
  b: Promise<B>,
  usage: CallUsage,
): Promise<[A, B]> {
  const [x, y] = await Promise.allSettled([a, b]);
  if (x.status === 'fulfilled') addUsage(usage, x.value.usage);
  if (y.status === 'fulfilled') addUsage(usage, y.value.usage);
  if (x.status === 'rejected') throw x.reason;
  if (y.status === 'rejected') throw y.reason;
  return [x.value, y.value];
}

function isInputRejection(err: unknown): err is ModelCallError {
  return err instanceof ModelCallError && err.inputRejection !== null;
}

/** The record of a problem whose request the server would not answer. */
function refused(
  err: ModelCallError,
  usage: CallUsage,
  who: Pick<RejectionRecord, 'uid' | 'seq' | 'generation' | 'taskIndex' | 'operator' | 'parentUids'>,
): TaskResult {
  return {
    kind: 'rejection',
    usage,
    record: {
      ...who,
      reason: err.inputRejection ?? 'server_rejected',
      detail: err.message.slice(0, 2_000),
      rawOutput: null,
      requestKey: null,
    },
  };
}

/** The one wording of an exact-duplicate rejection, whichever check found it. */
export const DUPLICATE_DETAIL = 'the same problem is already in the pool';

export function rejection(
  spec: MutationTaskSpec,
  uid: string,
  parents: readonly ProblemRecord[],
  reason: RejectionReason,
  detail: string,
  rawOutput: string | null,
  requestKey: string | null,
): RejectionRecord {
  return {
    uid,
    seq: spec.seq,
    generation: spec.generation,
    taskIndex: spec.index,
    operator: spec.operator,
    parentUids: parents.map((p) => p.uid),
    reason,
    detail,
    rawOutput: rawOutput === null ? null : rawOutput.slice(0, 20_000),
    requestKey,
  };
}

function emptyUsage(): CallUsage {
  return { requests: 0, promptTokens: 0, completionTokens: 0 };
}

function labelFields(label: ReturnType<typeof parseLabel> & { key: string; reasks: number }) {
  return {
    subject: label.subject,
    skill: label.skill,
    rawLabel: label.raw,
    labelKey: label.key,
    labelMalformed: label.malformed,
    labelReasks: label.reasks,
  };
}

function solveFields(s: SolveSummary) {
  return {
    attempts: s.attempts,
    correct: s.correct,
    truncated: s.truncated,
    solveRate: s.solveRate,
    majorityAnswer: s.majorityAnswer,
    majorityShare: s.majorityShare,
    disputed: s.disputed,
    verified: s.verified,
    unverifiedReason: s.unverifiedReason,
    // The core decides the quality when the problem is told.
    quality: null,
    solveKeys: s.keys,
    solveParams: { ...s.params, n: s.attempts.length },
  };
}
