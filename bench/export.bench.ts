/**
 * `sparq export` of a whole pool (src/curation/export/pool-export.ts), in its own process, with
 * its wall time and peak RSS (/usr/bin/time): the export streams (keyset chunks of 10,000 rows,
 * one Parquet row group held at a time), so peak RSS must stay flat as the pool grows.
 *
 * The pools are written straight into a run database through SqliteRunStore: simulated-model
 * problems (1 to 3 parts, worked solutions), each with 8 graded attempts in one n=8 request, a
 * parent, request keys and sampling parameters, like a run at k=8; every row is exported
 * (`--include-seeds`) in shards of 100,000 rows. Sizes `BENCH_EXPORT_POOL=100000,400000`
 * (default), formats `BENCH_EXPORT_FORMATS=parquet,jsonl`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AttemptRecord, ProblemRecord } from '../src/domain/records.js';
import { problemTextHash } from '../src/engine/mutation-output.js';
import { FAMILIES } from '../src/sim/families/index.js';
import { problemValue, renderProblem, renderSolution, type SimProblem } from '../src/sim/problem.js';
import { SqliteRunStore } from '../src/storage/sqlite-store.js';
import { Rng } from '../src/util/hash.js';
import { commitEpoch } from '../test/helpers/commit.js';
import { CLI, fmt } from './helpers.js';

const GENERATION_SIZE = 20_000;
const K = 8;
const OPERATORS = ['vary', 'harder', 'combine'] as const;
/** Shards of 100,000 rows, so the larger pools are written as several files, as a 20M pool would be. */
const ROWS_PER_FILE = 100_000;

function simProblem(rng: Rng): SimProblem {
  const parts = rng.int(1, 3);
  const atoms = Array.from({ length: parts }, () => {
    const family = FAMILIES[rng.int(0, FAMILIES.length - 1)]!;
    return { family, params: family.generate(rng, rng.int(1, 6)) };
  });
  const coefs = parts === 1 ? [1] : atoms.map(() => rng.int(1, 5) * (rng.next() < 0.3 ? -1 : 1));
  return { atoms, coefs, constant: parts === 1 ? 0 : rng.int(-9, 9) };
}

function record(generation: number, taskIndex: number, rng: Rng): ProblemRecord {
  const seed = generation === 0;
  const uid = seed ? `seed:s${taskIndex}` : `g${generation}-t${taskIndex}`;
  const p = simProblem(rng);
  const problem = renderProblem(p);
  const answer = problemValue(p).toLatex();
  const solveKey = `solve-${uid}-${rng.int(0, 1e9).toString(16)}`;
  const attempts: AttemptRecord[] = Array.from({ length: K }, (_, idx) => {
    const correct = rng.next() < 0.5;
    return {
      idx,
      requestKey: solveKey,
      choice: idx,
      answer: correct ? answer : String(rng.int(-99, 99)),
      correct,
      rule: correct ? 'exact-string' : 'numeric-rational',
      finishReason: 'stop',
      counted: true,
    };
  });
  const correct = attempts.filter((a) => a.correct).length;
  const family = p.atoms[0]!.family;
  const parent =
    generation <= 1
      ? `seed:s${rng.int(0, GENERATION_SIZE - 1)}`
      : `g${generation - 1}-t${rng.int(0, GENERATION_SIZE - 1)}`;
  const operator = OPERATORS[taskIndex % 3]!;
  return {
    uid,
    seq: generation * GENERATION_SIZE + taskIndex,
    generation,
    taskIndex,
    truncated: 0,
    origin: seed ? 'seed' : operator,
    seedId: seed ? `s${taskIndex}` : null,
    parentUids: seed ? [] : operator === 'combine' ? [parent, `seed:s${taskIndex}`] : [parent],
    templateRef: seed ? null : `${operator}@1`,
    templateHash: seed ? null : 'c8fc480bd9a45be9',
    model: 'sim-1',
    mutateKey: seed ? null : `mutate-${uid}`,
    genParams: seed ? null : { n: 1, temperature: 1, topP: 0.95, maxTokens: 2048, seed: taskIndex },
    problem,
    textHash: problemTextHash(problem),
    solution: renderSolution(p),
    answer,
    subject: family.subject,
    skill: family.skill,
    rawLabel: family.skill,
    labelKey: `label-${uid}`,
    labelMalformed: false,
    labelReasks: 0,
    level: null,
    attempts,
    correct,
    solveRate: correct / K,
    majorityAnswer: answer,
    majorityShare: correct / K,
    verified: correct > 0,
    unverifiedReason: correct > 0 ? null : 'no_correct_attempt',
    disputed: false,
    quality: correct > 0 ? 1 - correct / K : null,
    solveKeys: [solveKey],
    solveParams: { n: K, temperature: 0.7, topP: 0.95, maxTokens: 2048, seed: taskIndex },
    archiveStatus: correct > 0 ? 'NOT_ADDED' : null,
    cell: `${family.subject} / ${family.skill}`,
  };
}

/** A run database with `size` problems (the first GENERATION_SIZE of them seeds), built without a model. */
export function writeExportPool(dir: string, size: number): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const store = SqliteRunStore.open(dir, { create: true });
  const rng = new Rng(2506);
  try {
    store.setMeta('run_id', 'benchexport');
    store.saveConfigSnapshot({
      configJson: JSON.stringify({ model: { model: 'sim-1' }, seeds: { path: 'none' }, solver: { k: K } }),
      configHash: 'benchcfg',
      sparqVersion: '0.2.0',
      detectedJson: null,
    });
    for (let generation = 0, written = 0; written < size; generation++) {
      const count = Math.min(GENERATION_SIZE, size - written);
      const problems = Array.from({ length: count }, (_, t) => record(generation, t, rng));
      commitEpoch(store, { generation, problems, rejections: [], counters: {} });
      written += count;
    }
  } finally {
    store.close();
  }
}

interface Measure {
  size: number;
  format: string;
  rows: number;
  files: number;
  seconds: number;
  /** User + system CPU time of the export process: less sensitive than wall time to other load. */
  cpuSeconds: number;
  peakMb: number;
  bytes: number;
}

function exportOnce(pool: string, out: string, size: number, format: string): Measure {
  rmSync(out, { recursive: true, force: true });
  const started = performance.now();
  const r = spawnSync(
    '/usr/bin/time',
    [
      '-f',
      '%M %U %S',
      process.execPath,
      CLI,
      'export',
      pool,
      '--format',
      format,
      '--out',
      out,
      '--include-seeds',
      '--rows-per-file',
      String(ROWS_PER_FILE),
    ],
    { encoding: 'utf8' },
  );
  const seconds = (performance.now() - started) / 1000;
  if (r.status !== 0) throw new Error(`sparq export failed: ${r.stderr}`);
  const [peakKb, user, sys] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number) as [
    number,
    number,
    number,
  ];
  const parts = readdirSync(out).filter((f) => f.startsWith('part-'));
  const bytes = parts.reduce((s, f) => s + statSync(join(out, f)).size, 0);
  const rows = Number(/exported ([\d,]+) problems/.exec(r.stderr)?.[1]?.replace(/,/g, '') ?? Number.NaN);
  return {
    size,
    format,
    rows,
    files: parts.length,
    seconds,
    cpuSeconds: user + sys,
    peakMb: peakKb / 1024,
    bytes,
  };
}

export async function run(): Promise<void> {
  if (!statSync('/usr/bin/time', { throwIfNoEntry: false })) {
    console.log('export: skipped, /usr/bin/time (Debian package "time") is needed to read peak RSS');
    return;
  }
  const sizes = (process.env.BENCH_EXPORT_POOL ?? '100000,400000').split(',').map(Number);
  const formats = (process.env.BENCH_EXPORT_FORMATS ?? 'parquet,jsonl').split(',');
  const root = join(tmpdir(), `sparq-bench-export-${process.pid}`);
  const results: Measure[] = [];
  try {
    for (const size of sizes) {
      const pool = join(root, `pool-${size}`);
      const built = performance.now();
      writeExportPool(pool, size);
      const dbMb = statSync(join(pool, 'sparq.db')).size / 1e6;
      console.log(
        `pool of ${fmt(size)} problems written in ${((performance.now() - built) / 1000).toFixed(1)} s (sparq.db ${fmt(dbMb)} MB)`,
      );
      for (const format of formats) {
        const m = exportOnce(pool, join(root, `out-${size}-${format}`), size, format);
        results.push(m);
        console.log(
          `export of ${fmt(m.rows)} rows as ${format} (${m.files} file${m.files === 1 ? '' : 's'}): ${m.seconds.toFixed(1)} s = ${fmt(m.rows / m.seconds)} rows/s (CPU ${m.cpuSeconds.toFixed(1)} s = ${fmt(m.rows / m.cpuSeconds)} rows per CPU-second), ${fmt(m.bytes / 1e6)} MB written, peak RSS ${fmt(m.peakMb)} MB`,
        );
        rmSync(join(root, `out-${size}-${format}`), { recursive: true, force: true });
      }
      rmSync(pool, { recursive: true, force: true });
    }
    for (const format of formats) {
      const runs = results.filter((r) => r.format === format);
      if (runs.length < 2) continue;
      const [a, b] = [runs[0]!, runs.at(-1)!];
      console.log(
        `peak RSS ratio ${format} ${fmt(b.size)} / ${fmt(a.size)} rows: ${(b.peakMb / a.peakMb).toFixed(2)} (flat = 1); time per 1M rows ${((b.seconds / b.rows) * 1e6).toFixed(0)} s (CPU ${((b.cpuSeconds / b.rows) * 1e6).toFixed(0)} s)`,
      );
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
