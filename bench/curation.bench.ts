/**
 * Curation at scale: (1) deduplication (exact + MinHash LSH) and (2) decontamination (13-gram
 * overlap with the five bundled evaluation sets) over a 100k-problem pool, and (3) the export of
 * 100k and 1M rows by `sparq select` in its own process, with its peak RSS: export streams, so
 * the peak must stay flat as the pool grows tenfold. Measured with Node's default heap sizing
 * (V8 lets garbage pile up while memory is plentiful, so the peak drifts up) and with the old
 * space capped, which shows what the export really keeps alive.
 *
 * The pools are written straight into a run database: simulated-model problems (1 to 3 parts,
 * with worked solutions), 2% planted near duplicates (one word changed) and 0.1% planted,
 * lightly reworded MATH test problems, so both analyses have real work to find.
 * `BENCH_ONLY=analyses|export` runs one part; `BENCH_EXPORT_ROWS=100000,1000000` sets the sizes.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { poolSnapshot } from '../src/curation/analysis-store.js';
import { ensureDecontamination, ensureDedup } from '../src/curation/analyze.js';
import { DEFAULT_NGRAM } from '../src/curation/decontaminate.js';
import { DEFAULT_DEDUP_SETTINGS } from '../src/curation/dedup/dedup.js';
import { DEFAULT_EVAL_SETS } from '../src/curation/eval-sets.js';
import type { ProblemRecord } from '../src/domain/records.js';
import { problemTextHash } from '../src/engine/mutation-output.js';
import { FAMILIES } from '../src/sim/families/index.js';
import { problemValue, renderProblem, renderSolution } from '../src/sim/problem.js';
import { openAnalysisConnection } from '../src/storage/analysis-connection.js';
import { SqliteRunStore } from '../src/storage/sqlite-store.js';
import { Rng } from '../src/util/hash.js';
import { commitEpoch } from '../test/helpers/commit.js';
import { CLI, fmt } from './helpers.js';
import { mathTest, reword, simProblem } from './pool-texts.js';

const GENERATION_SIZE = 20_000;

function record(
  uid: string,
  generation: number,
  taskIndex: number,
  rng: Rng,
  recent: string[],
): ProblemRecord {
  let problem: string;
  let solution: string;
  let answer: string;
  const roll = rng.next();
  if (roll < 0.001) {
    problem = reword(mathTest[rng.int(0, mathTest.length - 1)]!, rng);
    solution = 'See the reference solution. The answer is $\\boxed{1}$.';
    answer = '1';
  } else if (roll < 0.021 && recent.length > 0) {
    problem = reword(recent[rng.int(0, recent.length - 1)]!, rng);
    solution = 'As before. The answer is $\\boxed{1}$.';
    answer = '1';
  } else {
    const p = simProblem(rng);
    problem = renderProblem(p);
    solution = renderSolution(p);
    answer = problemValue(p).toLatex();
  }
  if (recent.length < 500) recent.push(problem);
  else recent[rng.int(0, recent.length - 1)] = problem;
  const correct = rng.int(0, 8);
  const family = FAMILIES[rng.int(0, FAMILIES.length - 1)]!;
  return {
    uid,
    seq: generation * GENERATION_SIZE + taskIndex,
    generation,
    taskIndex,
    truncated: 0,
    origin: generation === 0 ? 'seed' : (['vary', 'harder', 'combine'] as const)[taskIndex % 3]!,
    seedId: generation === 0 ? `s${taskIndex}` : null,
    parentUids: generation === 0 ? [] : [`g${generation - 1}-t${rng.int(0, GENERATION_SIZE - 1)}`],
    templateRef: generation === 0 ? null : 'vary@1',
    templateHash: generation === 0 ? null : 'c8fc480bd9a45be9',
    model: 'sim-1',
    mutateKey: generation === 0 ? null : `m${uid}`,
    genParams: generation === 0 ? null : { n: 1, temperature: 1 },
    problem,
    textHash: problemTextHash(problem),
    solution,
    answer,
    subject: family.subject,
    skill: family.skill,
    rawLabel: family.skill,
    labelKey: `l${uid}`,
    labelMalformed: false,
    labelReasks: 0,
    level: null,
    attempts: [],
    correct,
    solveRate: correct / 8,
    majorityAnswer: answer,
    majorityShare: 0.6,
    verified: correct > 0,
    unverifiedReason: correct > 0 ? null : 'no_correct_attempt',
    disputed: false,
    quality: correct > 0 ? 1 - correct / 8 : null,
    solveKeys: [`s${uid}`],
    solveParams: { n: 8, temperature: 0.7 },
    archiveStatus: null,
    cell: `${family.subject} / ${family.skill}`,
  };
}

export function writeSyntheticPool(dir: string, size: number): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const store = SqliteRunStore.open(dir, { create: true });
  const rng = new Rng(2506);
  const recent: string[] = [];
  try {
    store.setMeta('run_id', 'benchcuration');
    store.saveConfigSnapshot({
      configJson: JSON.stringify({ model: { model: 'sim-1' }, seeds: { path: 'none' }, solver: { k: 8 } }),
      configHash: 'benchcfg',
      sparqVersion: '0.1.0',
      detectedJson: null,
    });
    for (let generation = 0, written = 0; written < size; generation++) {
      const count = Math.min(GENERATION_SIZE, size - written);
      const problems = Array.from({ length: count }, (_, t) =>
        record(generation === 0 ? `seed:s${t}` : `g${generation}-t${t}`, generation, t, rng, recent),
      );
      commitEpoch(store, {
        generation,
        startedAt: new Date().toISOString(),
        problems,
        rejections: [],
        counters: {},
      });
      written += count;
    }
  } finally {
    store.close();
  }
}

function analyses(root: string): void {
  const size = 100_000;
  const dir = join(root, 'pool-100k');
  writeSyntheticPool(dir, size);
  const conn = openAnalysisConnection(dir);
  try {
    const snapshot = poolSnapshot(conn);
    const dedup = ensureDedup(conn, snapshot, DEFAULT_DEDUP_SETTINGS, { seeds: 'none' }).analysis.summary;
    console.log(
      `(1) dedup of ${fmt(size)} problems (Jaccard >= ${DEFAULT_DEDUP_SETTINGS.threshold}, MinHash ${DEFAULT_DEDUP_SETTINGS.numHashes}, LSH ${dedup.banding.bands}x${dedup.banding.rows}): ${dedup.seconds.toFixed(1)} s = ${fmt(size / dedup.seconds)} problems/s; ${fmt(dedup.duplicates)} duplicates found (${fmt(dedup.exactDuplicates)} exact, ${fmt(dedup.nearDuplicates)} near), ${fmt(dedup.candidatePairs)} candidate pairs checked`,
    );
    const decon = ensureDecontamination(conn, snapshot, {
      ngram: DEFAULT_NGRAM,
      sets: [...DEFAULT_EVAL_SETS],
    }).analysis.summary;
    const items = decon.sets.reduce((s, x) => s + x.items, 0);
    console.log(
      `(2) decontamination of ${fmt(size)} problems against ${fmt(items)} items of ${decon.sets.length} sets (${decon.ngram}-grams): ${decon.seconds.toFixed(1)} s = ${fmt(size / decon.seconds)} problems/s; ${fmt(decon.contaminated)} contaminated (~${fmt(size * 0.001)} planted)`,
    );
  } finally {
    conn.close();
  }
}

/** Heap settings the export is measured under: Node's default sizing, and a capped old space. */
const HEAPS = [null, 128] as const;

interface ExportMeasure {
  size: number;
  heap: number | null;
  seconds: number;
  peakMb: number;
  bytes: number;
}

/** Exports every row of a pool of `size` with `sparq select`, in its own process, once per heap setting. */
function exportRuns(root: string, size: number): ExportMeasure[] {
  const dir = join(root, `pool-${size}`);
  writeSyntheticPool(dir, size);
  const out = join(root, `export-${size}`);
  const measures: ExportMeasure[] = [];
  for (const heap of HEAPS) {
    rmSync(out, { recursive: true, force: true });
    const args = [
      '-f',
      '%M',
      process.execPath,
      ...(heap ? [`--max-old-space-size=${heap}`] : []),
      CLI,
      'select',
      dir,
      '--strategy',
      'quantity',
      '--n',
      String(size),
      '--out',
      out,
      '--include-seeds',
      '--include-unverified',
      '--include-disputed',
      '--include-duplicates',
      '--include-contaminated',
    ];
    const started = performance.now();
    const r = spawnSync('/usr/bin/time', args, { encoding: 'utf8' });
    const seconds = (performance.now() - started) / 1000;
    if (r.status !== 0) throw new Error(`sparq select failed: ${r.stderr}`);
    const peakKb = Number(r.stderr.trim().split('\n').at(-1));
    const bytes = statSync(join(out, 'train.jsonl')).size + statSync(join(out, 'train.parquet')).size;
    measures.push({ size, heap, seconds, peakMb: peakKb / 1024, bytes });
  }
  rmSync(dir, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
  return measures;
}

export async function run(): Promise<void> {
  const only = process.env.BENCH_ONLY;
  const root = join(tmpdir(), `sparq-bench-curation-${process.pid}`);
  try {
    if (!only || only === 'analyses') analyses(root);
    if (!only || only === 'export') {
      if (!statSync('/usr/bin/time', { throwIfNoEntry: false })) {
        console.log('(3) export: skipped, /usr/bin/time (Debian package "time") is needed to read peak RSS');
        return;
      }
      const sizes = (process.env.BENCH_EXPORT_ROWS ?? '100000,1000000').split(',').map(Number);
      const results = sizes.flatMap((size) => exportRuns(root, size));
      for (const r of results)
        console.log(
          `(3) export of ${fmt(r.size)} rows (JSONL + Parquet + card), ${r.heap ? `node --max-old-space-size=${r.heap}` : 'default heap'}: ${r.seconds.toFixed(1)} s = ${fmt(r.size / r.seconds)} rows/s, ${fmt(r.bytes / 1e6)} MB written, peak RSS ${fmt(r.peakMb)} MB`,
        );
      for (const heap of HEAPS) {
        const runs = results.filter((r) => r.heap === heap);
        if (runs.length < 2) continue;
        const [a, b] = [runs[0]!, runs.at(-1)!];
        console.log(
          `    peak RSS ratio ${fmt(b.size)} / ${fmt(a.size)} rows, ${heap ? `heap cap ${heap} MB` : 'default heap'}: ${(b.peakMb / a.peakMb).toFixed(2)} (flat = 1)`,
        );
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
