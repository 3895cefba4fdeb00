/**
 * Answer-checker throughput and latency on the test suites in data/answer-tests/:
 * the synchronous checker (cold: a new checker per suite, so its verdict cache starts empty;
 * warm: the same pairs again) and the CheckerPool with 2 workers (batch throughput, and the
 * round-trip latency of single-pair calls). Run with `npm run bench answer`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AnswerChecker, CheckerPool, type PoolPair } from '../src/answer/index.js';

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
}

function loadSuites(): Suite[] {
  const eq = readJsonl<{ gold: string; predicted: string }>('equivalence_cases.jsonl');
  const outputs = (file: string) =>
    readJsonl<{ gold_answer: string; output: string }>(file).map((o) => ({
      gold: o.gold_answer,
      predicted: o.output,
      extract: true,
    }));
  return [
    { name: 'equivalence corpus (check)', pairs: eq.map((c) => ({ gold: c.gold, predicted: c.predicted })) },
    { name: 'GSM8K GPT-3 outputs (checkOutput)', pairs: outputs('gsm8k_test_gpt3_solutions.jsonl') },
    { name: 'MATH Qwen2.5 outputs (checkOutput)', pairs: outputs('math_qwen25math_cot_samples.jsonl') },
  ];
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

export async function run(): Promise<void> {
  const suites = loadSuites();
  const all = suites.flatMap((s) => s.pairs);

  // The CAS engine is created once per process; start it outside the timed runs.
  const t0 = performance.now();
  new AnswerChecker().check('x^2+2x+1', '(x+1)^2');
  console.log(`engine start-up (once per process/worker): ${fmt(performance.now() - t0)} ms`);

  console.log('\nsynchronous checker, one thread');
  for (const s of suites) {
    const checker = new AnswerChecker();
    line(`  cold  ${s.name}`, s.pairs.length, runSync(checker, s.pairs));
    line(`  warm  ${s.name}`, s.pairs.length, runSync(checker, s.pairs));
  }
  line('  cold  all suites', all.length, runSync(new AnswerChecker(), all));
  // Without a verdict cache: the cost of deciding every pair from scratch.
  line('  no verdict cache, all suites', all.length, runSync(new AnswerChecker({ cacheSize: 0 }), all));
  // The CAS-heavy suite five times over, no verdict cache: where a second core pays off.
  const heavy = Array.from({ length: 5 }, () => suites[0]!.pairs).flat();
  line(
    '  no verdict cache, equivalence corpus x5',
    heavy.length,
    runSync(new AnswerChecker({ cacheSize: 0 }), heavy),
  );

  console.log('\nCheckerPool, 2 workers');
  const tStart = performance.now();
  const pool = new CheckerPool({ workers: 2 });
  await pool.checkMany([
    { gold: '1', predicted: '1' },
    { gold: '2', predicted: '2' },
  ]);
  console.log(`  start-up (both workers ready): ${fmt(performance.now() - tStart)} ms`);
  try {
    for (const [label, pairs] of [
      ['cold  all suites', all],
      ['warm  all suites', all],
    ] as const) {
      const start = performance.now();
      await pool.checkMany([...pairs]);
      const ms = performance.now() - start;
      console.log(
        `  ${label.padEnd(44)} ${String(pairs.length).padStart(5)} pairs  ${fmt((pairs.length / ms) * 1000).padStart(8)} checks/s`,
      );
    }
    const uncached = new CheckerPool({ workers: 2, cacheSize: 0 });
    await uncached.checkMany(suites[0]!.pairs);
    const start = performance.now();
    await uncached.checkMany(heavy);
    const ms = performance.now() - start;
    await uncached.close();
    console.log(
      `  ${'no verdict cache, equivalence corpus x5'.padEnd(44)} ${String(heavy.length).padStart(5)} pairs  ${fmt((heavy.length / ms) * 1000).padStart(8)} checks/s`,
    );
    // Round trip of one pair at a time through an idle pool (what a single caller waits).
    const fresh = new CheckerPool({ workers: 2 });
    await fresh.checkMany([{ gold: '1', predicted: '1' }]);
    const lat: number[] = [];
    const sample = all.filter((_, k) => k % 7 === 0);
    for (const p of sample) {
      const t = performance.now();
      await fresh.checkMany([p]);
      lat.push(performance.now() - t);
    }
    await fresh.close();
    lat.sort((a, b) => a - b);
    console.log(
      `  single-pair round trip (cold cache)              ${String(sample.length).padStart(5)} pairs  p50 ${fmt(percentile(lat, 50) * 1000).padStart(6)} us  p99 ${fmt(percentile(lat, 99) * 1000).padStart(7)} us`,
    );
  } finally {
    await pool.close();
  }
}
