/**
 * From per-item verdicts to the headline metrics and their breakdowns. Every metric is the mean
 * over items of a per-item value (see estimators.ts), bootstrapped over items; a breakdown row is
 * the same computation on the items of one subject or level, so rows add up to the total.
 */
import { type BootstrapOptions, bootstrapMeans, seedFor } from './bootstrap.js';
import { meanCorrect, passAtK, passKs } from './estimators.js';
import type { BreakdownRow, Breakdowns, EvalItem, EvalMetrics } from './types.js';

export const NONE_KEY = '(none)';

/** The per-item value of every metric reported for `samples` samples per item, in report order. */
export function metricColumns(
  items: readonly EvalItem[],
  samples: number,
): { name: string; values: number[] }[] {
  for (const it of items) {
    if (it.correct.length !== samples)
      throw new RangeError(`item ${it.id} has ${it.correct.length} samples, expected ${samples}`);
  }
  const correctCounts = items.map((it) => it.correct.filter(Boolean).length);
  const columns: { name: string; values: number[] }[] = [
    { name: 'pass@1', values: items.map((it) => meanCorrect(it.correct)) },
  ];
  if (samples > 1) {
    columns.push({ name: `maj@${samples}`, values: items.map((it) => (it.majority.correct ? 1 : 0)) });
    for (const k of passKs(samples))
      columns.push({ name: `pass@${k}`, values: correctCounts.map((c) => passAtK(samples, c, k)) });
  }
  columns.push({
    name: 'no_answer_rate',
    values: items.map((it) => it.answers.filter((a) => a === null).length / samples),
  });
  return columns;
}

export function computeMetrics(
  items: readonly EvalItem[],
  samples: number,
  options: BootstrapOptions,
): EvalMetrics {
  const columns = metricColumns(items, samples);
  const cis = bootstrapMeans(
    columns.map((c) => c.values),
    options,
  );
  return Object.fromEntries(columns.map((c, i) => [c.name, cis[i]!]));
}

function groupRows(
  items: readonly EvalItem[],
  samples: number,
  keyOf: (it: EvalItem) => string | null,
  dimension: string,
  options: BootstrapOptions,
): BreakdownRow[] {
  if (!items.some((it) => keyOf(it) !== null)) return [];
  const groups = new Map<string, EvalItem[]>();
  for (const it of items) {
    const key = keyOf(it) ?? NONE_KEY;
    const list = groups.get(key);
    if (list) list.push(it);
    else groups.set(key, [it]);
  }
  const keys = [...groups.keys()].sort((a, b) =>
    a === NONE_KEY ? 1 : b === NONE_KEY ? -1 : a.localeCompare(b, 'en', { numeric: true }),
  );
  return keys.map((key) => {
    const group = groups.get(key)!;
    // Each row has its own stream, so its interval does not depend on which rows precede it.
    const metrics = computeMetrics(group, samples, {
      ...options,
      seed: seedFor(options.seed ?? 0, `${dimension}:${key}`),
    });
    return {
      key,
      items: group.length,
      correctSum: group.reduce((s, it) => s + meanCorrect(it.correct), 0),
      metrics,
    };
  });
}

export function computeBreakdowns(
  items: readonly EvalItem[],
  samples: number,
  options: BootstrapOptions,
): Breakdowns {
  return {
    subject: groupRows(items, samples, (it) => it.subject, 'subject', options),
    level: groupRows(items, samples, (it) => it.level, 'level', options),
  };
}
