/**
 * One pool problem as one supervised fine-tuning example in the chat format that SFT trainers
 * read (TRL's SFTTrainer, axolotl's chat_template datasets, LLaMA-Factory "sharegpt"/"openai"
 * style): the user turn is the prompt template filled with the problem, the assistant turn is
 * the worked solution (ending in \boxed{}). `metadata` carries the provenance: trainers ignore
 * extra columns, and anyone auditing the data can trace every example back to its requests.
 */
import type { ProblemRecord } from '../../domain/records.js';
import { readUserFile, UserError } from '../../util/errors.js';

export const PROBLEM_PLACEHOLDER = '{{problem}}';

/**
 * The user message of `sparq eval`'s default prompt (prompts/eval-cot.md), word for word: a model
 * fine-tuned on the export is then evaluated on the prompt it was trained on (a test keeps the two
 * in step).
 */
export const DEFAULT_TEMPLATE = `Solve the following math problem. Reason step by step, and put your final answer within \\boxed{}.\n\nProblem:\n${PROBLEM_PLACEHOLDER}`;

export interface PromptTemplate {
  text: string;
  /** The file it came from, or null for the default. */
  file: string | null;
}

/** Reads a template file: it must contain {{problem}} and no other {{...}} placeholder. */
export function loadTemplate(file: string | undefined): PromptTemplate {
  if (file === undefined) return { text: DEFAULT_TEMPLATE, file: null };
  const text = readUserFile(file, 'template');
  return { text: validateTemplate(text, file), file };
}

export function validateTemplate(text: string, label: string): string {
  if (!text.includes(PROBLEM_PLACEHOLDER))
    throw new UserError(
      `template ${label} has no ${PROBLEM_PLACEHOLDER} placeholder: where should the problem go?`,
    );
  const unknown = [...text.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)]
    .map((m) => m[0])
    .filter((m) => m !== PROBLEM_PLACEHOLDER);
  if (unknown.length > 0)
    throw new UserError(
      `template ${label} has unknown placeholder${unknown.length === 1 ? '' : 's'} ${[...new Set(unknown)].join(', ')}; only ${PROBLEM_PLACEHOLDER} is filled in`,
    );
  return text;
}

export function renderPrompt(template: string, problem: string): string {
  // split/join, not replace(): a `$&` or `$1` in a LaTeX problem must stay literal.
  return template.split(PROBLEM_PLACEHOLDER).join(problem);
}

export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
}

export interface ExampleMetadata {
  uid: string;
  run_id: string | null;
  generation: number;
  operator: string;
  parents: string[];
  seed_id: string | null;
  template_ref: string | null;
  template_hash: string | null;
  model: string | null;
  answer: string;
  subject: string | null;
  skill: string | null;
  level: string | null;
  cell: string | null;
  solve_rate: number | null;
  attempts: number;
  correct: number;
  verified: boolean;
  disputed: boolean;
  majority_answer: string | null;
  majority_share: number | null;
  request_keys: { mutate: string | null; label: string | null; solve: string[] };
  selected_by: string;
  sparq_version: string;
}

export interface ChatExample {
  messages: ChatMessage[];
  metadata: ExampleMetadata;
}

export interface ExampleContext {
  template: string;
  runId: string | null;
  sparqVersion: string;
}

export function toChatExample(p: ProblemRecord, selectedBy: string, ctx: ExampleContext): ChatExample {
  return {
    messages: [
      { role: 'user', content: renderPrompt(ctx.template, p.problem) },
      { role: 'assistant', content: p.solution },
    ],
    metadata: {
      uid: p.uid,
      run_id: ctx.runId,
      generation: p.generation,
      operator: p.origin,
      parents: p.parentUids,
      seed_id: p.seedId,
      template_ref: p.templateRef,
      template_hash: p.templateHash,
      model: p.model,
      answer: p.answer,
      subject: p.subject,
      skill: p.skill,
      level: p.level,
      cell: p.cell,
      solve_rate: p.solveRate,
      attempts: p.attempts.length,
      correct: p.correct,
      verified: p.verified,
      disputed: p.disputed,
      majority_answer: p.majorityAnswer,
      majority_share: p.majorityShare,
      request_keys: { mutate: p.mutateKey, label: p.labelKey, solve: p.solveKeys },
      selected_by: selectedBy,
      sparq_version: ctx.sparqVersion,
    },
  };
}
