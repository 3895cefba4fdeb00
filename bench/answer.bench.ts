/**
 * Answer-checker throughput and latency on the test suites in data/answer-tests/:
 * the synchronous checker (cold: a new checker per suite, so its verdict cache starts empty;
 * warm: the same pairs again) and the CheckerPool with 2 workers (batch throughput, and the
 * round-trip latency of single-pair calls). Then what each rule is worth on the labelled
 * suites: per deciding rule, the pairs it decided, its precision (of the pairs it accepted, the
 * share labelled equivalent) and recall (of the equivalent pairs it decided, the share it
 * accepted), and how many pairs no rule could decide, which a model judge would be asked about.
 * Run with `npm run bench answer`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AnswerChecker, CheckerPool, type PoolPair, rulesUndecided } from '../src/answer/index.js';

const DATA = fileURLToPath(new URL('../data/answer-tests/', import.meta.url));

function readJsonl<T>(name: string): T[] {
  return readFileSync(DATA + name, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

interface Suite {
  name: string;
  pairs: PoolPair[];
  /** The upstream label of each pair: equivalent, or the output correct. */
  labels: boolean[];
}

function loadSuites(): Suite[] {
  const eq = readJsonl<{ gold: string; predicted: string; equivalent: boolean }>('equivalence_cases.jsonl');
  const outputs = (name: string, file: string): Suite => {
    const rows = readJsonl<{ gold_answer: string; output: string; is_correct: boolean }>(file);
    return {
      name,
      pairs: rows.map((o) => ({ gold: o.gold_answer, predicted: o.output, extract: true })),
      labels: rows.map((o) => o.is_correct),
    };
  };
  return [
    {
      name: 'equivalence corpus (check)',
      pairs: eq.map((c) => ({ gold: c.gold, predicted: c.predicted })),
      labels: eq.map((c) => c.equivalent),
    },
    outputs('GSM8K GPT-3 outputs (checkOutput)', 'gsm8k_test_gpt3_solutions.jsonl'),
    outputs('MATH Qwen2.5 outputs (checkOutput)', 'math_qwen25math_cot_samples.jsonl'),
  ];
}

/** Per deciding rule over all suites: what it decided, and how right it was against the labels. */
function ruleTable(suites: Suite[]): void {
  const checker = new AnswerChecker();
  const byRule = new Map<string, { tp: number; fp: number; tn: number; fn: number }>();
  console.log(
    '\nrules on the labelled suites (precision: accepted pairs labelled equivalent; recall: equivalent pairs accepted)',
  );
  for (const s of suites) {
    let undecided = 0;
    s.pairs.forEach((p, i) => {
      const v = p.extract ? checker.checkOutput(p.gold, p.predicted) : checker.check(p.gold, p.predicted);
      if (rulesUndecided(v)) undecided++;
      const t = byRule.get(v.rule) ?? { tp: 0, fp: 0, tn: 0, fn: 0 };
      const label = s.labels[i]!;
      if (v.equivalent) label ? t.tp++ : t.fp++;
      else label ? t.fn++ : t.tn++;
      byRule.set(v.rule, t);
    });
    console.log(
      `  ${s.name}: no rule decides ${undecided} of ${s.pairs.length} pairs (${((100 * undecided) / s.pairs.length).toFixed(2)}%): a judge would be asked about these`,
    );
  }
  const pct = (a: number, b: number) => (b === 0 ? '–' : `${((100 * a) / b).toFixed(1)}%`);
  console.log(
    `  ${'rule'.padEnd(20)} ${'pairs'.padStart(6)} ${'accepted'.padStart(9)} ${'precision'.padStart(10)} ${'recall'.padStart(8)}`,
  );
  for (const [rule, t] of [...byRule].sort(
    (a, b) => b[1].tp + b[1].fp + b[1].tn + b[1].fn - (a[1].tp + a[1].fp + a[1].tn + a[1].fn),
  )) {
    const n = t.tp + t.fp + t.tn + t.fn;
    console.log(
      `  ${rule.padEnd(20)} ${String(n).padStart(6)} ${String(t.tp + t.fp).padStart(9)} ${pct(t.tp, t.tp + t.fp).padStart(10)} ${pct(t.tp, t.tp + t.fn).padStart(8)}`,
    );
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function runSync(
  checker: AnswerChecker,
  pairs: PoolPair[],
): { perSec: number; p50: number; p99: number; max: number } {
  const lat: number[] = [];
  const start = performance.now();
  for (const p of pairs) {
    const t = performance.now();
    if (p.extract) checker.checkOutput(p.gold, p.predicted);
    else checker.check(p.gold, p.predicted);
    lat.push(performance.now() - t);
  }
  const total = performance.now() - start;
  lat.sort((a, b) => a - b);
  return {
    perSec: (pairs.length / total) * 1000,
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    max: lat[lat.length - 1]!,
  };
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function line(label: string, n: number, r: { perSec: number; p50: number; p99: number; max?: number }): void {
  console.log(
    `${label.padEnd(46)} ${String(n).padStart(5)} pairs  ${fmt(r.perSec).padStart(8)} checks/s  p50 ${fmt(r.p50 * 1000, 0).padStart(6)} us  p99 ${fmt(r.p99 * 1000, 0).padStart(7)} us${r.max === undefined ? '' : `  max ${fmt(r.max, 1)} ms`}`,
  );
}

async function timedPool(pool: CheckerPool, pairs: PoolPair[]): Promise<number> {
  const start = performance.now();
  await pool.checkMany(pairs);
  return (pairs.length / (performance.now() - start)) * 1000;
}

function poolLine(label: string, n: number, perSec: number): void {
  console.log(`  ${label.padEnd(44)} ${String(n).padStart(5)} pairs  ${fmt(perSec).padStart(8)} checks/s`);
}

export async function run(): Promise<void> {
  const suites = loadSuites();
  const all = suites.flatMap((s) => s.pairs);
  // The CAS-heavy suite five times over: where a second core pays off.
  const heavy = Array.from({ length: 5 }, () => suites[0]!.pairs).flat();

  // The CAS engine is created once per process; start it outside the timed runs.
  const t0 = performance.now();
  new AnswerChecker().check('x^2+2x+1', '(x+1)^2');
  console.log(`engine start-up (once per process and per worker): ${fmt(performance.now() - t0)} ms`);
  // "Cold" below means an empty verdict cache, not cold JIT: one discarded pass compiles the code.
  runSync(new AnswerChecker(), all);

  console.log('\nsynchronous checker, one thread (cold: new checker; warm: same pairs again)');
  for (const s of suites) {
    const checker = new AnswerChecker();
    line(`  cold  ${s.name}`, s.pairs.length, runSync(checker, s.pairs));
    line(`  warm  ${s.name}`, s.pairs.length, runSync(checker, s.pairs));
  }
  line('  cold  all suites', all.length, runSync(new AnswerChecker(), all));
  line('  no verdict cache, all suites', all.length, runSync(new AnswerChecker({ cacheSize: 0 }), all));
  line(
    '  no verdict cache, equivalence corpus x5',
    heavy.length,
    runSync(new AnswerChecker({ cacheSize: 0 }), heavy),
  );

  console.log('\nCheckerPool, 2 workers');
  const tStart = performance.now();
  const pool = new CheckerPool({ workers: 2 });
  try {
    await pool.checkMany([{ gold: '1', predicted: '1' }]);
    console.log(`  start-up (workers ready): ${fmt(performance.now() - tStart)} ms`);
    poolLine('cold  all suites (JIT cold too)', all.length, await timedPool(pool, all));
    poolLine('warm  all suites', all.length, await timedPool(pool, all));
  } finally {
    await pool.close();
  }
  // One pool at a time: two cores, two workers.
  const uncached = new CheckerPool({ workers: 2, cacheSize: 0 });
  try {
    await timedPool(uncached, all);
    poolLine('no verdict cache, all suites', all.length, await timedPool(uncached, all));
    poolLine('no verdict cache, equivalence corpus x5', heavy.length, await timedPool(uncached, heavy));
    // Round trip of one pair at a time through an idle pool (what a single caller waits).
    const lat: number[] = [];
    const sample = all.filter((_, k) => k % 7 === 0);
    for (const p of sample) {
      const t = performance.now();
      await uncached.checkMany([p]);
      lat.push(performance.now() - t);
    }
    lat.sort((a, b) => a - b);
    console.log(
      `  ${'single-pair round trip, no verdict cache'.padEnd(44)} ${String(sample.length).padStart(5)} pairs  p50 ${fmt(percentile(lat, 50) * 1000).padStart(6)} us  p99 ${fmt(percentile(lat, 99) * 1000).padStart(7)} us`,
    );
  } finally {
    await uncached.close();
  }
  ruleTable(suites);
}
