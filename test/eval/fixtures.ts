/** Eval files built from constructed verdicts, for compare, scaling and report tests. */
import { writeFileSync } from 'node:fs';
import { majorityVote } from '../../src/answer/index.js';
import { computeBreakdowns, computeMetrics } from '../../src/eval/metrics.js';
import { serializeEvalFile } from '../../src/eval/serialize.js';
import type { EvalFile, EvalItem } from '../../src/eval/types.js';

export interface FixtureOptions {
  benchmark?: string;
  sha256?: string;
  model?: string;
  /** verdicts[i][s]: item i, sample s. */
  verdicts: boolean[][];
  ids?: string[];
  golds?: string[];
  dataSize?: number | null;
  modelSize?: number | null;
  label?: string | null;
  templateRef?: string;
  temperature?: number;
}

export function evalFixture(o: FixtureOptions): EvalFile {
  const samples = o.verdicts[0]!.length;
  const items: EvalItem[] = o.verdicts.map((correct, i) => {
    const answers = correct.map((c, s) => (c ? '7' : `${8 + s}`));
    return {
      id: o.ids?.[i] ?? `q${i}`,
      subject: i % 2 ? 'Algebra' : 'Geometry',
      level: `Level ${1 + (i % 5)}`,
      gold: o.golds?.[i] ?? '7',
      answers,
      sources: answers.map(() => 'boxed'),
      correct,
      rules: correct.map((c) => (c ? 'exact-string' : 'numeric-rational')),
      finishReasons: correct.map(() => 'stop'),
      requestKeys: [`key${i}`],
      majority: majorityVote(answers, correct),
    };
  });
  const bootstrap = { resamples: 500, seed: 0, confidence: 0.95 };
  return {
    kind: 'sparq-eval',
    schemaVersion: 1,
    sparqVersion: '0.0.0-test',
    createdAt: '2025-01-01T00:00:00.000Z',
    model: { name: o.model ?? 'm', kind: 'openai', backend: 'test' },
    benchmark: {
      name: o.benchmark ?? 'bench',
      bundled: false,
      file: '/x/bench.jsonl',
      sha256: o.sha256 ?? 'a'.repeat(64),
      items: items.length,
      totalItems: items.length,
      limit: null,
    },
    prompt: {
      templateRef: o.templateRef ?? 'eval-cot@1',
      templateHash: '0',
      templateFile: 'x',
      fewShot: null,
    },
    sampling: {
      samples,
      temperature: o.temperature ?? (samples > 1 ? 0.6 : 0),
      topP: 1,
      maxTokens: 2048,
      seed: 0,
    },
    meta: { dataSize: o.dataSize ?? null, modelSize: o.modelSize ?? null, label: o.label ?? null },
    metrics: computeMetrics(items, samples, bootstrap),
    breakdowns: computeBreakdowns(items, samples, bootstrap),
    bootstrap: { ...bootstrap, method: 'percentile' },
    usage: { requestsSent: 0, cacheHits: 0, promptTokens: 0, completionTokens: 0, cacheDir: null },
    truncatedSamples: 0,
    refusedItems: 0,
    items,
  };
}

export function writeFixture(file: string, o: FixtureOptions): EvalFile {
  const data = evalFixture(o);
  writeFileSync(file, serializeEvalFile(data));
  return data;
}

/** n single-sample verdicts with exactly `correct` right, the right ones first. */
export function greedy(n: number, correct: number): boolean[][] {
  return Array.from({ length: n }, (_, i) => [i < correct]);
}
