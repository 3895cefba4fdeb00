/**
 * Distributions of an exported set, accumulated one example at a time while it streams out
 * (bounded memory: one counter per subject, skill, generation...), for the dataset card.
 */
import type { ChatExample } from './chat.js';

export const DIFFICULTY_BINS = 10;

export interface Distributions {
  rows: number;
  subjects: Record<string, number>;
  skills: Record<string, number>;
  generations: Record<string, number>;
  operators: Record<string, number>;
  selectedBy: Record<string, number>;
  /** Solve-rate histogram: DIFFICULTY_BINS equal bins over [0, 1], the last one closed. */
  difficulty: number[];
  noSolveRate: number;
  meanSolveRate: number | null;
  promptChars: { mean: number; max: number };
  completionChars: { mean: number; max: number };
}

const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

export function binOf(solveRate: number, bins = DIFFICULTY_BINS): number {
  return Math.min(bins - 1, Math.max(0, Math.floor(solveRate * bins + 1e-9)));
}

export class DistributionBuilder {
  private rows = 0;
  private readonly subjects = new Map<string, number>();
  private readonly skills = new Map<string, number>();
  private readonly generations = new Map<string, number>();
  private readonly operators = new Map<string, number>();
  private readonly selectedBy = new Map<string, number>();
  private readonly difficulty = new Array<number>(DIFFICULTY_BINS).fill(0);
  private noSolveRate = 0;
  private solveRateSum = 0;
  private solveRateCount = 0;
  private prompt = { sum: 0, max: 0 };
  private completion = { sum: 0, max: 0 };

  add(example: ChatExample): void {
    const m = example.metadata;
    this.rows++;
    bump(this.subjects, m.subject ?? '(none)');
    bump(this.skills, `${m.subject ?? '(none)'} / ${m.skill ?? '(none)'}`);
    bump(this.generations, String(m.generation));
    bump(this.operators, m.operator);
    bump(this.selectedBy, m.selected_by);
    if (m.solve_rate === null) this.noSolveRate++;
    else {
      this.difficulty[binOf(m.solve_rate)]!++;
      this.solveRateSum += m.solve_rate;
      this.solveRateCount++;
    }
    const p = example.messages[0]!.content.length;
    const c = example.messages[1]!.content.length;
    this.prompt.sum += p;
    this.prompt.max = Math.max(this.prompt.max, p);
    this.completion.sum += c;
    this.completion.max = Math.max(this.completion.max, c);
  }

  result(): Distributions {
    const sorted = (m: Map<string, number>) =>
      Object.fromEntries([...m.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
    const byNumber = (m: Map<string, number>) =>
      Object.fromEntries([...m.entries()].sort((a, b) => Number(a[0]) - Number(b[0])));
    return {
      rows: this.rows,
      subjects: sorted(this.subjects),
      skills: sorted(this.skills),
      generations: byNumber(this.generations),
      operators: sorted(this.operators),
      selectedBy: sorted(this.selectedBy),
      difficulty: [...this.difficulty],
      noSolveRate: this.noSolveRate,
      meanSolveRate: this.solveRateCount === 0 ? null : this.solveRateSum / this.solveRateCount,
      promptChars: { mean: this.rows ? this.prompt.sum / this.rows : 0, max: this.prompt.max },
      completionChars: { mean: this.rows ? this.completion.sum / this.rows : 0, max: this.completion.max },
    };
  }
}
