/**
 * Paired comparison of two evals of the same benchmark (a base model and its fine-tuned version,
 * say): on the items both contain, differences of every shared metric with a paired bootstrap,
 * and McNemar's test on the per-item outcome, so "B beats A" comes with a p-value rather than a
 * difference of two numbers that each have their own noise.
 */
import { UserError } from '../util/errors.js';
import { type BootstrapOptions, pairedBootstrap, seedFor } from './bootstrap.js';
import { meanCorrect, passAtK, passKs } from './estimators.js';
import { mcnemar } from './mcnemar.js';
import type { CompareBenchmark, EvalFile, EvalItem, PairedMetric } from './types.js';

export interface LoadedEval {
  file: string;
  data: EvalFile;
}

/**
 * The binary per-item outcome McNemar's test uses, the same kind on both sides: the single
 * sample, or the majority vote when both drew the same K > 1. With different K (greedy against
 * maj@8, say) a vote would be tested against a single answer and the verdict could contradict
 * the paired pass@1 row, so each side contributes its first sample: one answer per item each.
 */
function outcomes(a: EvalFile, b: EvalFile): { name: string; of: (it: EvalItem) => boolean } {
  const ka = a.sampling.samples;
  const kb = b.sampling.samples;
  if (ka === kb && ka > 1) return { name: `maj@${ka}`, of: (it) => it.majority.correct };
  return {
    name: ka === 1 && kb === 1 ? 'the single sample' : 'the first sample of each item',
    of: (it) => it.correct[0]!,
  };
}

/** Why two evals are not of one benchmark, or null when they are (same file, or same name). */
export function benchmarkMismatch(a: EvalFile, b: EvalFile): string | null {
  if (a.benchmark.sha256 === b.benchmark.sha256 || a.benchmark.name === b.benchmark.name) return null;
  return `different benchmarks: ${a.benchmark.name} (${a.benchmark.sha256.slice(0, 12)}…) and ${b.benchmark.name} (${b.benchmark.sha256.slice(0, 12)}…)`;
}

function settingDifferences(a: EvalFile, b: EvalFile): string[] {
  const warnings: string[] = [];
  if (a.benchmark.sha256 !== b.benchmark.sha256)
    warnings.push(
      `the benchmark files differ (sha256 ${a.benchmark.sha256.slice(0, 12)}… vs ${b.benchmark.sha256.slice(0, 12)}…); only items with the same id and reference answer are compared`,
    );
  if (a.prompt.templateRef !== b.prompt.templateRef)
    warnings.push(`different templates: ${a.prompt.templateRef} vs ${b.prompt.templateRef}`);
  const fa = a.prompt.fewShot?.n ?? 0;
  const fb = b.prompt.fewShot?.n ?? 0;
  if (fa !== fb) warnings.push(`different few-shot counts: ${fa} vs ${fb}`);
  for (const key of ['samples', 'temperature', 'topP', 'maxTokens'] as const) {
    if (a.sampling[key] !== b.sampling[key])
      warnings.push(`different sampling ${key}: ${a.sampling[key]} vs ${b.sampling[key]}`);
  }
  return warnings;
}

export interface CompareOptions {
  alpha: number;
  bootstrap: BootstrapOptions;
}

/**
 * @throws UserError when the evals are of different benchmarks, share no item, or give one item
 *   different reference answers (then they are not the same benchmark either).
 */
export function compareEvals(a: LoadedEval, b: LoadedEval, options: CompareOptions): CompareBenchmark {
  const mismatch = benchmarkMismatch(a.data, b.data);
  if (mismatch) throw new UserError(`cannot compare ${a.file} with ${b.file}: ${mismatch}`);
  const bById = new Map(b.data.items.map((it) => [it.id, it]));
  const pairs: [EvalItem, EvalItem][] = [];
  for (const ia of a.data.items) {
    const ib = bById.get(ia.id);
    if (!ib) continue;
    if (ia.gold !== ib.gold)
      throw new UserError(
        `cannot compare ${a.file} with ${b.file}: item ${ia.id} has reference answer ${JSON.stringify(ia.gold)} in one and ${JSON.stringify(ib.gold)} in the other, so these are not the same benchmark`,
      );
    pairs.push([ia, ib]);
  }
  if (pairs.length === 0)
    throw new UserError(
      `cannot compare ${a.file} with ${b.file}: no item id is in both (${a.data.benchmark.name})`,
    );

  const ka = a.data.sampling.samples;
  const kb = b.data.sampling.samples;
  const seed = options.bootstrap.seed ?? 0;
  const metrics: PairedMetric[] = [];
  const paired = (name: string, va: number[], vb: number[]) => {
    const d = pairedBootstrap(va, vb, { ...options.bootstrap, seed: seedFor(seed, name) });
    metrics.push({
      name,
      a: va.reduce((s, v) => s + v, 0) / va.length,
      b: vb.reduce((s, v) => s + v, 0) / vb.length,
      diff: { value: d.value, ci: d.ci },
      pBootstrap: d.pValue,
    });
  };
  paired(
    'pass@1',
    pairs.map(([x]) => meanCorrect(x.correct)),
    pairs.map(([, y]) => meanCorrect(y.correct)),
  );
  if (ka === kb && ka > 1)
    paired(
      `maj@${ka}`,
      pairs.map(([x]) => (x.majority.correct ? 1 : 0)),
      pairs.map(([, y]) => (y.majority.correct ? 1 : 0)),
    );
  // pass@k is estimated without bias from any n >= k samples, so it pairs across different K.
  const count = (it: EvalItem) => it.correct.filter(Boolean).length;
  for (const k of passKs(Math.min(ka, kb))) {
    paired(
      `pass@${k}`,
      pairs.map(([x]) => passAtK(ka, count(x), k)),
      pairs.map(([, y]) => passAtK(kb, count(y), k)),
    );
  }
  paired(
    'no_answer_rate',
    pairs.map(([x]) => x.answers.filter((v) => v === null).length / ka),
    pairs.map(([, y]) => y.answers.filter((v) => v === null).length / kb),
  );

  const outcome = outcomes(a.data, b.data);
  let bothCorrect = 0;
  let onlyA = 0;
  let onlyB = 0;
  let bothWrong = 0;
  for (const [x, y] of pairs) {
    const ra = outcome.of(x);
    const rb = outcome.of(y);
    if (ra && rb) bothCorrect++;
    else if (ra) onlyA++;
    else if (rb) onlyB++;
    else bothWrong++;
  }
  const test = mcnemar(onlyA, onlyB);
  const significant = test.pValue < options.alpha;
  return {
    benchmark: { name: a.data.benchmark.name, sha256: a.data.benchmark.sha256 },
    a: { file: a.file, model: a.data.model.name, label: a.data.meta.label, items: a.data.items.length },
    b: { file: b.file, model: b.data.model.name, label: b.data.meta.label, items: b.data.items.length },
    commonItems: pairs.length,
    onlyInA: a.data.items.length - pairs.length,
    onlyInB: b.data.items.length - pairs.length,
    metrics,
    mcnemar: {
      outcome: outcome.name,
      bothCorrect,
      onlyA,
      onlyB,
      bothWrong,
      ...test,
    },
    verdict: !significant ? 'no-significant-difference' : onlyB > onlyA ? 'b-better' : 'a-better',
    warnings: settingDifferences(a.data, b.data),
  };
}

/**
 * Pairs the evals of two sides (each a list of files, e.g. two directories) by benchmark. A side
 * with two evals of one benchmark is ambiguous and an error.
 */
export function pairByBenchmark(
  aSide: LoadedEval[],
  bSide: LoadedEval[],
): { pairs: [LoadedEval, LoadedEval][]; unmatched: { side: 'a' | 'b'; file: string; benchmark: string }[] } {
  const index = (side: LoadedEval[], label: string) => {
    const map = new Map<string, LoadedEval>();
    for (const e of side) {
      const key = e.data.benchmark.name;
      const prior = map.get(key);
      if (prior)
        throw new UserError(
          `${label} has two evals of ${key} (${prior.file} and ${e.file}): compare them as single files`,
        );
      map.set(key, e);
    }
    return map;
  };
  const ma = index(aSide, 'A');
  const mb = index(bSide, 'B');
  const pairs: [LoadedEval, LoadedEval][] = [];
  const unmatched: { side: 'a' | 'b'; file: string; benchmark: string }[] = [];
  for (const [key, ea] of ma) {
    const eb = mb.get(key);
    if (eb) pairs.push([ea, eb]);
    else unmatched.push({ side: 'a', file: ea.file, benchmark: key });
  }
  for (const [key, eb] of mb) if (!ma.has(key)) unmatched.push({ side: 'b', file: eb.file, benchmark: key });
  return { pairs, unmatched };
}
