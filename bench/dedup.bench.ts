/**
 * Deduplication at scale: time and peak RSS (process.resourceUsage().maxRSS) of
 * (1) ordering band keys beyond 2^21 documents: the old comparator sort, packed BigUint64s, radix;
 * (2) the LSH and verification stage alone on SYNTHETIC band keys at 1M, 5M and 20M documents;
 * (3) end-to-end `findDuplicates` over problem texts at 250k and 1M (shingling, exact-text
 *     table, MinHash, LSH, verification by exact Jaccard).
 * Each measurement of (2) and (3) runs in its own process, so each peak RSS is its own.
 *
 * What is synthetic in (2): the band keys are drawn directly with a seeded PRNG (no texts, no
 * MinHash), 13 bands as chosen for the default 0.8 threshold with 128 hashes, and the
 * verification is an O(1) oracle instead of the exact Jaccard of two shingle sets (so the shingle
 * sets, about 150 bytes per problem of 40 words, are not in its RSS; (3) has them). The pool: 1%
 * exact duplicates (left out of LSH, as findDuplicates does), 2% planted near duplicates of an
 * earlier document with similarity uniform in [0.8, 0.97] (each band copied with probability s^7,
 * as MinHash would), 45% members of 200 template families of Zipf-like sizes (i^-0.5) whose
 * siblings share each band's template key with probability J^3.5 (J uniform in [0.25, 0.6]:
 * pairs share a band with probability about J^7, as siblings of that similarity do, and never
 * reach 0.8), the rest unique. At 1M documents that gives about twice the candidate pairs of the
 * simulated texts of (3): a pessimistic pool. Reported: pairs visited, oracle verifications, and
 * the share of planted pairs that end in one cluster (the recall that matters).
 *
 * (3) uses the simulated model's problems (1 to 3 parts), 2% near duplicates (one word of a recent
 * problem changed) and 0.1% lightly reworded MATH test problems, as bench/curation.bench.ts, fed
 * through a generator as the pool is read from SQLite.
 * `BENCH_DEDUP_SIZES=1000000,5000000,20000000` and `BENCH_DEDUP_TEXT_SIZES=250000,1000000` set
 * the sizes (empty: skip), `BENCH_DEDUP_ORDER=0` skips (1); `BENCH_DEDUP_PAIRS_PER_DOCUMENT` the pair budget;
 * `BENCH_DEDUP_UNCAPPED=5000000` adds runs of (2) at those sizes without it (every pair of every
 * bucket: plain LSH, to measure what the budget costs in recall).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { UnionFind } from '../src/curation/dedup/clusters.js';
import { DEFAULT_DEDUP_SETTINGS, findDuplicates } from '../src/curation/dedup/dedup.js';
import {
  type CandidateOptions,
  chooseBanding,
  DEFAULT_PAIRS_PER_DOCUMENT,
  forEachCandidatePair,
  radixSortByKey,
} from '../src/curation/dedup/minhash-lsh.js';
import { renderProblem } from '../src/sim/problem.js';
import { fmix32, Rng } from '../src/util/hash.js';
import { fmt } from './helpers.js';
import { mathTest, reword, simProblem } from './pool-texts.js';

const BANDING = chooseBanding(DEFAULT_DEDUP_SETTINGS.numHashes, DEFAULT_DEDUP_SETTINGS.threshold);
const PAIRS_PER_DOCUMENT = Number(process.env.BENCH_DEDUP_PAIRS_PER_DOCUMENT ?? DEFAULT_PAIRS_PER_DOCUMENT);

interface Measure {
  seconds: number;
  peakMb: number;
  [k: string]: number | string;
}

function peakMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

// ---------- (1) ordering band keys ----------

function orderings(): void {
  for (const n of [2 ** 21 + 1, 5_000_000]) {
    const rng = new Rng(1);
    const keys = new Uint32Array(n);
    for (let i = 0; i < n; i++) keys[i] = (rng.next() * 2 ** 32) >>> 0;
    const time = (f: () => void) => {
      const t = performance.now();
      f();
      return (performance.now() - t) / 1000;
    };
    const comparator = time(() => {
      const order = new Uint32Array(n);
      for (let i = 0; i < n; i++) order[i] = i;
      order.sort((a, b) => keys[a]! - keys[b]! || a - b);
    });
    const big = time(() => {
      const packed = new BigUint64Array(n);
      for (let i = 0; i < n; i++) packed[i] = (BigInt(keys[i]!) << 32n) | BigInt(i);
      packed.sort();
      const order = new Uint32Array(n);
      for (let i = 0; i < n; i++) order[i] = Number(packed[i]! & 0xffffffffn);
    });
    const radix = time(() => {
      const k = keys.slice();
      const order = new Uint32Array(n);
      for (let i = 0; i < n; i++) order[i] = i;
      radixSortByKey(k, order, n, new Uint32Array(n), new Uint32Array(n));
    });
    console.log(
      `(1) order ${fmt(n)} band keys: comparator sort (the old path beyond 2^21) ${comparator.toFixed(2)} s, packed BigUint64Array.sort ${big.toFixed(2)} s, radix (now) ${radix.toFixed(2)} s`,
    );
  }
}

// ---------- (2) synthetic band keys ----------

const FAMILY_COUNT = 200;

export interface SyntheticPool {
  keys: Uint32Array;
  live: Uint32Array;
  family: Int32Array;
  familyJ: Float64Array;
  parent: Int32Array;
  planted: Float32Array;
  exactDuplicates: number;
  plantedCount: number;
}

export function syntheticPool(n: number): SyntheticPool {
  const bands = BANDING.bands;
  const rows = BANDING.rows;
  const rng = new Rng(20_000_000);
  const random = () => (rng.next() * 4294967296) >>> 0;
  const keys = new Uint32Array(n * bands);
  const family = new Int32Array(n).fill(-1);
  const parent = new Int32Array(n).fill(-1);
  const planted = new Float32Array(n);
  const skip = new Uint8Array(n);
  const familyJ = Float64Array.from({ length: FAMILY_COUNT }, () => 0.25 + 0.35 * rng.next());
  const familyQ = familyJ.map((j) => j ** (rows / 2));
  const template = Uint32Array.from({ length: FAMILY_COUNT * bands }, random);
  // Family sizes proportional to i^-0.5.
  const cumulative = new Float64Array(FAMILY_COUNT);
  for (let f = 0, sum = 0; f < FAMILY_COUNT; f++) cumulative[f] = sum += (f + 1) ** -0.5;
  const total = cumulative[FAMILY_COUNT - 1]!;
  let exactDuplicates = 0;
  let plantedCount = 0;
  for (let d = 0; d < n; d++) {
    const row = d * bands;
    const roll = rng.next();
    if (d > 0 && roll < 0.01) {
      skip[d] = 1;
      exactDuplicates++;
    } else if (d > 0 && roll < 0.03) {
      let p = rng.int(0, d - 1);
      while (skip[p]) p = rng.int(0, d - 1);
      const s = 0.8 + 0.17 * rng.next();
      const copy = s ** rows;
      for (let b = 0; b < bands; b++) keys[row + b] = rng.next() < copy ? keys[p * bands + b]! : random();
      parent[d] = p;
      planted[d] = s;
      family[d] = family[p]!;
      plantedCount++;
    } else if (roll < 0.48) {
      const x = rng.next() * total;
      let lo = 0;
      let hi = FAMILY_COUNT - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cumulative[mid]! < x) lo = mid + 1;
        else hi = mid;
      }
      family[d] = lo;
      const q = familyQ[lo]!;
      for (let b = 0; b < bands; b++) keys[row + b] = rng.next() < q ? template[lo * bands + b]! : random();
    } else for (let b = 0; b < bands; b++) keys[row + b] = random();
  }
  const live = new Uint32Array(n - exactDuplicates);
  for (let d = 0, at = 0; d < n; d++) if (!skip[d]) live[at++] = d;
  return { keys, live, family, familyJ, parent, planted, exactDuplicates, plantedCount };
}

function synthetic(n: number, limits: CandidateOptions): Measure {
  const started = performance.now();
  const pool = syntheticPool(n);
  const generated = (performance.now() - started) / 1000;
  const { family, familyJ, parent, planted } = pool;
  // The oracle: planted pairs have their similarity, siblings theirs (jittered, below 0.8).
  const similarity = (a: number, b: number): number => {
    if (parent[b] === a) return planted[b]!;
    if (parent[a] === b) return planted[a]!;
    const f = family[a]!;
    if (f >= 0 && f === family[b])
      return Math.min(0.79, familyJ[f]! + 0.2 * (fmix32(a ^ (b << 7)) / 2 ** 32 - 0.5));
    return 0.05;
  };
  const uf = new UnionFind(n);
  let verified = 0;
  const lshStarted = performance.now();
  const stats = forEachCandidatePair(
    pool.keys,
    BANDING.bands,
    pool.live,
    (a, b) => {
      if (uf.find(a) === uf.find(b)) return;
      verified++;
      if (similarity(a, b) >= DEFAULT_DEDUP_SETTINGS.threshold) uf.union(a, b);
    },
    limits,
  );
  const lsh = (performance.now() - lshStarted) / 1000;
  let found = 0;
  for (let d = 0; d < n; d++) if (parent[d]! >= 0 && uf.find(d) === uf.find(parent[d]!)) found++;
  return {
    seconds: lsh,
    peakMb: peakMb(),
    generated,
    visited: stats.visited,
    verified,
    oversized: stats.oversized,
    bucketLimit: String(stats.bucketLimit),
    recall: found / pool.plantedCount,
  };
}

// ---------- (3) texts ----------

export function* problemTexts(n: number): Generator<{ key: string; text: string }> {
  const rng = new Rng(2506);
  const recent: string[] = [];
  for (let i = 0; i < n; i++) {
    const roll = rng.next();
    let text: string;
    if (roll < 0.001) text = reword(mathTest[rng.int(0, mathTest.length - 1)]!, rng);
    else if (roll < 0.021 && recent.length > 0) text = reword(recent[rng.int(0, recent.length - 1)]!, rng);
    else text = renderProblem(simProblem(rng));
    if (recent.length < 500) recent.push(text);
    else recent[rng.int(0, recent.length - 1)] = text;
    yield { key: `p${i}`, text };
  }
}

function texts(n: number, limits: CandidateOptions): Measure {
  const started = performance.now();
  const r = findDuplicates(problemTexts(n), n, DEFAULT_DEDUP_SETTINGS, limits);
  const seconds = (performance.now() - started) / 1000;
  let duplicates = 0;
  for (let i = 0; i < n; i++) if (r.root[i] !== i) duplicates++;
  return {
    seconds,
    peakMb: peakMb(),
    duplicates,
    exact: r.counters.exactPairs,
    near: r.counters.nearPairs,
    visited: r.counters.pairsVisited,
    verified: r.counters.candidatePairs,
    oversized: r.counters.oversizedBuckets,
    bucketLimit: String(r.counters.bucketLimit),
    shingleMb: r.counters.shingleBytes / 2 ** 20,
  };
}

// ---------- processes ----------

interface Task {
  kind: 'synthetic' | 'texts';
  n: number;
  /** Pairs per document and band; null: no budget (every pair of every bucket). */
  budget: number | null;
}

const CHILD_ENV = 'SPARQ_DEDUP_BENCH_TASK';

function inChild(task: Task): Measure {
  const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
    env: { ...process.env, [CHILD_ENV]: JSON.stringify(task) },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (r.status !== 0 || !line)
    throw new Error(`dedup bench child ${JSON.stringify(task)} failed (${r.status})`);
  return JSON.parse(line.slice('RESULT '.length)) as Measure;
}

const childTask = process.env[CHILD_ENV];
if (childTask) {
  const task = JSON.parse(childTask) as Task;
  const limits: CandidateOptions =
    task.budget === null ? { minBandPairs: Number.POSITIVE_INFINITY } : { pairsPerDocument: task.budget };
  const measure = task.kind === 'synthetic' ? synthetic(task.n, limits) : texts(task.n, limits);
  console.log(`RESULT ${JSON.stringify(measure)}`);
}

function sizes(name: string, fallback: string): number[] {
  return (process.env[name] ?? fallback)
    .split(',')
    .filter((s) => s.trim() !== '')
    .map(Number);
}

export async function run(): Promise<void> {
  if (process.env.BENCH_DEDUP_ORDER !== '0') orderings();
  const budget = (b: number | null) => (b === null ? 'none' : `${fmt(b)} pairs/document/band`);
  const syntheticSizes = sizes('BENCH_DEDUP_SIZES', '1000000,5000000,20000000');
  const runs: [number, number | null][] = syntheticSizes.map((n) => [n, PAIRS_PER_DOCUMENT]);
  for (const n of sizes('BENCH_DEDUP_UNCAPPED', '')) runs.push([n, null]);
  for (const [n, b] of runs) {
    const m = inChild({ kind: 'synthetic', n, budget: b });
    console.log(
      `(2) LSH + verification, synthetic band keys, ${fmt(n)} documents (${BANDING.bands} bands of ${BANDING.rows}), budget ${budget(b)}: ${m.seconds.toFixed(1)} s (keys drawn in ${Number(m.generated).toFixed(1)} s), peak RSS ${fmt(m.peakMb)} MB; ${fmt(Number(m.visited))} pairs visited, ${fmt(Number(m.verified))} verified, ${fmt(Number(m.oversized))} oversized buckets (smallest limit ${m.bucketLimit}); planted near duplicates clustered: ${(Number(m.recall) * 100).toFixed(2)}%`,
    );
  }
  for (const n of sizes('BENCH_DEDUP_TEXT_SIZES', '250000,1000000')) {
    const m = inChild({ kind: 'texts', n, budget: PAIRS_PER_DOCUMENT });
    console.log(
      `(3) findDuplicates over ${fmt(n)} problem texts: ${m.seconds.toFixed(1)} s = ${fmt(n / m.seconds)} problems/s, peak RSS ${fmt(m.peakMb)} MB (shingle sets ${fmt(Number(m.shingleMb))} MB); ${fmt(Number(m.duplicates))} duplicates (${fmt(Number(m.exact))} exact, ${fmt(Number(m.near))} near), ${fmt(Number(m.visited))} pairs visited, ${fmt(Number(m.verified))} verified, ${fmt(Number(m.oversized))} oversized buckets (smallest limit ${m.bucketLimit})`,
    );
  }
}
