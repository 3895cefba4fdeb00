/**
 * What the simulated model "memorised": the reference answers of the data sets bundled with sparq
 * (the MATH seeds and the evaluation benchmarks). Real models have seen these sets too; without
 * this, the simulator could not answer a seed problem it did not write, and seeds could never be
 * verified in offline runs. Problems outside these sets it cannot solve.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSubject, type Subject } from '../domain/subjects.js';

export interface KnownProblem {
  answer: string;
  /** 1..5 from MATH's "Level N"; null when the set has no levels. */
  level: number | null;
  subject: Subject | null;
}

const DATA_DIRS = ['../../data/seeds', '../../data/benchmarks'].map((d) =>
  fileURLToPath(new URL(d, import.meta.url)),
);

let memory: Map<string, KnownProblem> | null = null;

export function normalizeProblemText(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

export function recall(problem: string): KnownProblem | undefined {
  if (!memory) memory = load();
  return memory.get(normalizeProblemText(problem));
}

function load(): Map<string, KnownProblem> {
  const map = new Map<string, KnownProblem>();
  for (const dir of DATA_DIRS) {
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith('.jsonl'))
      .sort()) {
      for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
        if (!line.trim()) continue;
        try {
          const rec = JSON.parse(line) as {
            problem?: string;
            answer?: unknown;
            level?: unknown;
            subject?: unknown;
          };
          if (typeof rec.problem !== 'string' || rec.answer === undefined || rec.answer === '') continue;
          const level = /Level (\d)/.exec(String(rec.level ?? ''))?.[1];
          map.set(normalizeProblemText(rec.problem), {
            answer: String(rec.answer),
            level: level ? Number(level) : null,
            subject: parseSubject(typeof rec.subject === 'string' ? rec.subject : null),
          });
        } catch {
          // A bundled file is validated by its own tests; a bad line here just is not memorised.
        }
      }
    }
  }
  return map;
}
