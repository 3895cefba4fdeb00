/**
 * Locality-sensitive hashing over MinHash signatures (src/text/minhash.ts): a signature of
 * `bands * rows` values is cut into bands, each band is hashed to one 32-bit key, and two
 * documents become a candidate pair when any band key agrees. Candidates are then verified
 * exactly (see shingle-sets.ts), so banding only trades speed for recall, never correctness.
 *
 * Memory is linear in the pool and held in typed arrays only: the band keys (4 bytes per band
 * per document), the order of one band at a time, and nothing per pair. A pair sharing several
 * bands is visited once, in the first band it shares, which is read from the keys themselves
 * (see `forEachCandidatePair`), so no set of pairs already verified is needed: that set was what
 * overflowed V8's 2^24-entry limit past about 250k problems.
 */
import { fmix32 } from '../../util/hash.js';

export interface Banding {
  bands: number;
  rows: number;
}

/** Probability that a pair of Jaccard similarity `s` shares at least one band: 1 - (1 - s^r)^b. */
export function candidateProbability(s: number, banding: Banding): number {
  return 1 - (1 - s ** banding.rows) ** banding.bands;
}

/** Recall demanded at the threshold itself: pairs at or above it are missed at most 5% of the time. */
export const MIN_RECALL_AT_THRESHOLD = 0.95;

/**
 * The banding for a Jaccard threshold: among all (bands, rows) with bands * rows <= numHashes
 * whose candidate probability at the threshold is at least 95%, the one with the smallest
 * false-candidate area (the integral of the candidate probability over [0, threshold]). Pairs
 * above the threshold are found with still higher probability (the S-curve is increasing), and a
 * small false-candidate area keeps verification cheap on pools full of templated siblings.
 */
export function chooseBanding(numHashes: number, threshold: number): Banding {
  if (!Number.isInteger(numHashes) || numHashes < 1)
    throw new RangeError('numHashes must be a positive integer');
  if (!(threshold > 0 && threshold <= 1)) throw new RangeError('threshold must be in (0, 1]');
  let best: { banding: Banding; area: number } | null = null;
  for (let rows = 1; rows <= numHashes; rows++) {
    for (let bands = 1; bands * rows <= numHashes; bands++) {
      const banding = { bands, rows };
      if (candidateProbability(threshold, banding) < MIN_RECALL_AT_THRESHOLD) continue;
      const area = falseCandidateArea(banding, threshold);
      if (!best || area < best.area - 1e-12) best = { banding, area };
    }
  }
  // rows = 1, bands = numHashes always qualifies unless numHashes is tiny; fall back to it.
  return best?.banding ?? { bands: numHashes, rows: 1 };
}

function falseCandidateArea(banding: Banding, threshold: number): number {
  const steps = 200;
  const h = threshold / steps;
  let area = 0;
  for (let i = 0; i < steps; i++) area += candidateProbability((i + 0.5) * h, banding) * h;
  return area;
}

/** Writes the `bands` keys of one signature into row `doc` of `keys` (`keys[doc * bands + band]`). */
export function writeBandKeys(
  signature: Uint32Array,
  banding: Banding,
  keys: Uint32Array,
  doc: number,
): void {
  const seeds = bandSeeds(banding.bands);
  const row = doc * banding.bands;
  for (let band = 0; band < banding.bands; band++) {
    let h = seeds[band]!;
    const start = band * banding.rows;
    for (let i = 0; i < banding.rows; i++) {
      // fmix32(Math.imul(h ^ value, FNV prime)), written out: the call costs more than the mix.
      h = Math.imul(h ^ signature[start + i]!, 0x01000193);
      h ^= h >>> 16;
      h = Math.imul(h, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h = (h ^ (h >>> 16)) >>> 0;
    }
    keys[row + band] = h;
  }
}

let seedCache = new Uint32Array(0);

/** The band index seeds the hash so that equal values in different bands do not collide. */
function bandSeeds(bands: number): Uint32Array {
  if (seedCache.length < bands)
    seedCache = Uint32Array.from({ length: Math.max(bands, 256) }, (_, band) => fmix32(band + 0x9e3779b9));
  return seedCache;
}

/**
 * Sorts `keys[0..n)` ascending, carrying `values` along, stably (equal keys keep their order):
 * a least-significant-digit radix sort, four passes of 8 bits, through the scratch arrays
 * `tk`, `tv` (each at least n long); the result is back in `keys` and `values`. Linear time at
 * any size: the engine's native sort of packed float64s only covers 2^21 documents, and the
 * comparator sort beyond was about 6x slower; on 5M keys this is about 20x faster than that
 * comparator sort and 3x faster than sorting packed BigUint64s (bench/dedup.bench.ts).
 */
export function radixSortByKey(
  keys: Uint32Array,
  values: Uint32Array,
  n: number,
  tk: Uint32Array,
  tv: Uint32Array,
): void {
  const count = new Uint32Array(4 * 256);
  for (let i = 0; i < n; i++) {
    const k = keys[i]!;
    count[k & 255]!++;
    count[256 + ((k >>> 8) & 255)]!++;
    count[512 + ((k >>> 16) & 255)]!++;
    count[768 + (k >>> 24)]!++;
  }
  let fromK = keys;
  let fromV = values;
  let toK = tk;
  let toV = tv;
  for (let pass = 0; pass < 4; pass++) {
    const shift = pass * 8;
    const base = pass * 256;
    let sum = 0;
    for (let d = 0; d < 256; d++) {
      const c = count[base + d]!;
      count[base + d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const k = fromK[i]!;
      const at = count[base + ((k >>> shift) & 255)]!++;
      toK[at] = k;
      toV[at] = fromV[i]!;
    }
    [fromK, toK] = [toK, fromK];
    [fromV, toV] = [toV, fromV];
  }
  // Four passes: the sorted data is back in `keys` and `values`.
}

/**
 * The work bound of the exhaustive part: in each band, the pairs of the buckets compared pair by
 * pair number at most max(DEFAULT_PAIRS_PER_DOCUMENT x documents, MIN_BAND_PAIRS); beyond that the
 * largest buckets are "oversized" (see `forEachCandidatePair`). Templated siblings make the
 * largest buckets grow in proportion to the pool, so without a bound a band's pairs grow with its
 * square (4x per doubling, measured). Simulated pools: 2.4 pairs per document and band at 100k
 * problems, within the bound, so nothing changes; at 1M, one bucket of one band goes over it.
 */
export const DEFAULT_PAIRS_PER_DOCUMENT = 8;
/** A band's pairs are never bounded below this (2^21: a pool of 262k documents at 8 each). */
export const MIN_BAND_PAIRS = 2 ** 21;
/** Neighbours (in pool order) each document of an oversized bucket is compared with. */
export const DEFAULT_WINDOW = 32;

export interface CandidateOptions {
  /** Pair budget per document and band (default DEFAULT_PAIRS_PER_DOCUMENT). */
  pairsPerDocument?: number;
  /** Floor of a band's pair budget (default MIN_BAND_PAIRS). */
  minBandPairs?: number;
  /** Buckets over this size are oversized whatever the budget (default: no such limit). */
  maxBucket?: number;
  /** Window of the comparisons in oversized buckets (default DEFAULT_WINDOW, at least 1). */
  window?: number;
}

export interface CandidateStats {
  /** Pairs visited (each at most once), including those the caller then skips. */
  visited: number;
  /** Buckets over their band's size limit. */
  oversized: number;
  /** The smallest bucket size limit set in any band (Infinity: none was needed). */
  bucketLimit: number;
}

/**
 * Calls `visit(earlier, later)` at most once for every pair of documents of `live` (ascending
 * document indexes; the others take no part) that share a band key. The keys are row-major:
 * `keys[doc * bands + band]`. No memory of pairs is kept: whether a pair was already visited is
 * read from the two rows of keys, and from one bit per document and band that marks oversized
 * buckets (13 bands: 1.6 bytes per document).
 *
 * Pass 1, ordinary buckets: every pair, in the first band the two share with an ordinary bucket. Order:
 * band by band; within a band, bucket by ascending key; within a bucket, by the later document,
 * then the earlier, both ascending. A pair seen in band b is skipped when the two also agree in
 * an earlier band whose bucket was ordinary. In a pool whose bands stay within the pair budget
 * (see DEFAULT_PAIRS_PER_DOCUMENT) every bucket is ordinary, and this is plain LSH.
 *
 * Oversized buckets (typically templated siblings whose shared template words hold the band's
 * minimums): in each band, buckets are ordinary from the smallest up while their pairs fit the
 * band's budget (and up to `maxBucket` documents); the larger ones would cost m^2/2 visits each.
 * After all bands, each document of an oversized bucket is compared with its `window`
 * predecessors in it (pool order), for the pairs that share no ordinary bucket (those were
 * visited in pass 1), in the first band the two share. That links families of near-identical
 * texts however large, and pairs that also share a smaller bucket are found there as before.
 * What this gives up, only where the budget binds: a pair whose shared bands are all oversized
 * buckets and that is more than `window` apart in the first of them is not a candidate; it is
 * still clustered when linked through other members of its cluster. Measured: on 1M simulated
 * problems (one bucket oversized) 9 of 160,198 duplicates missed, at 80% of the visits; on 5M
 * synthetic documents with large template families, 99.23% of planted near duplicates clustered
 * against 99.27% without the budget, at a third of the visits (bench/dedup.bench.ts).
 * Work: per band, the budget; per oversized bucket of m documents, at most m * window visits.
 */
export function forEachCandidatePair(
  keys: Uint32Array,
  bands: number,
  live: Uint32Array,
  visit: (earlier: number, later: number) => void,
  options: CandidateOptions = {},
): CandidateStats {
  const n = live.length;
  const maxBucket = Math.max(2, options.maxBucket ?? Number.POSITIVE_INFINITY);
  const window = Math.max(1, options.window ?? DEFAULT_WINDOW);
  const budget = Math.max(
    options.minBandPairs ?? MIN_BAND_PAIRS,
    (options.pairsPerDocument ?? DEFAULT_PAIRS_PER_DOCUMENT) * n,
  );
  const stats: CandidateStats = { visited: 0, oversized: 0, bucketLimit: Number.POSITIVE_INFINITY };
  let count = 0;
  for (let i = 0; i < n; i++) count = Math.max(count, live[i]! + 1);
  // Bit doc * bands + band: the document's bucket in that band is oversized.
  const oversized = new Uint32Array(Math.ceil((count * bands) / 32));
  const isOversized = (doc: number, band: number) => {
    const bit = doc * bands + band;
    return (oversized[bit >>> 5]! >>> (bit & 31)) & 1;
  };
  const oversizedBands: number[] = [];

  const k = new Uint32Array(n);
  const ids = new Uint32Array(n);
  const tk = new Uint32Array(n);
  const tv = new Uint32Array(n);
  const sortBy = (docs: Uint32Array, m: number, band: number) => {
    for (let i = 0; i < m; i++) {
      const doc = docs[i]!;
      k[i] = keys[doc * bands + band]!;
      ids[i] = doc;
    }
    radixSortByKey(k, ids, m, tk, tv);
  };
  const runSizes = new Uint32Array(Math.floor(n / 2) + 1);
  let rowsOf = new Uint32Array(1024);

  // Pass 1: ordinary buckets, band by band; oversized ones are only marked.
  for (let band = 0; band < bands; band++) {
    sortBy(live, n, band);
    const limit = bucketLimit(k, n, runSizes, budget, maxBucket);
    if (limit < Number.POSITIVE_INFINITY) oversizedBands.push(band);
    stats.bucketLimit = Math.min(stats.bucketLimit, limit);
    forEachRun(k, n, (start, end) => {
      const m = end - start;
      if (m > limit) {
        for (let i = start; i < end; i++) {
          const bit = ids[i]! * bands + band;
          oversized[bit >>> 5]! |= 1 << (bit & 31);
        }
        stats.oversized++;
        return;
      }
      // The members' keys in the earlier bands, gathered once (the pair checks then read them
      // from cache rather than two random rows of `keys` per pair).
      if (rowsOf.length < m * band) rowsOf = new Uint32Array(Math.max(m * band, 2 * rowsOf.length));
      for (let i = 0; i < m; i++) {
        const from = ids[start + i]! * bands;
        for (let c = 0; c < band; c++) rowsOf[i * band + c] = keys[from + c]!;
      }
      for (let j = 1; j < m; j++) {
        const later = ids[start + j]!;
        const ry = j * band;
        for (let i = 0; i < j; i++) {
          const earlier = ids[start + i]!;
          const rx = i * band;
          let seen = false;
          for (let c = 0; c < band && !seen; c++)
            seen = rowsOf[rx + c] === rowsOf[ry + c] && isOversized(earlier, c) === 0;
          if (seen) continue;
          stats.visited++;
          visit(earlier, later);
        }
      }
    });
  }
  if (stats.oversized === 0) return stats;

  // Pass 2: oversized buckets, each document against its `window` predecessors, for the pairs
  // that share no ordinary bucket, in the first band they share.
  const notSeen = (x: number, y: number, first: number): boolean => {
    const rx = x * bands;
    const ry = y * bands;
    for (let c = 0; c < bands; c++) {
      if (keys[rx + c] !== keys[ry + c]) continue;
      if (c < first || isOversized(x, c) === 0) return false;
    }
    return true;
  };
  const members = new Uint32Array(n);
  for (const band of oversizedBands) {
    let m = 0;
    for (let i = 0; i < n; i++) if (isOversized(live[i]!, band)) members[m++] = live[i]!;
    sortBy(members, m, band);
    forEachRun(k, m, (start, end) => {
      for (let j = start + 1; j < end; j++) {
        const later = ids[j]!;
        for (let i = Math.max(start, j - window); i < j; i++) {
          const earlier = ids[i]!;
          if (!notSeen(earlier, later, band)) continue;
          stats.visited++;
          visit(earlier, later);
        }
      }
    });
  }
  return stats;
}

/**
 * The largest bucket size s (at most maxBucket) such that the pairs of all buckets of at most s
 * documents fit the budget, from the run sizes of sorted `keys[0..n)`; Infinity when all fit.
 */
function bucketLimit(
  keys: Uint32Array,
  n: number,
  runSizes: Uint32Array,
  budget: number,
  maxBucket: number,
): number {
  let runs = 0;
  let pairs = 0;
  let largest = 0;
  forEachRun(keys, n, (start, end) => {
    const m = end - start;
    runSizes[runs++] = m;
    if (m <= maxBucket) pairs += (m * (m - 1)) / 2;
    largest = Math.max(largest, m);
  });
  if (pairs <= budget) return largest <= maxBucket ? Number.POSITIVE_INFINITY : maxBucket;
  const sizes = runSizes.subarray(0, runs).sort();
  let total = 0;
  let limit = 1;
  for (let i = 0; i < runs; ) {
    const m = sizes[i]!;
    let j = i;
    while (j < runs && sizes[j] === m) j++;
    total += ((j - i) * m * (m - 1)) / 2;
    if (total > budget || m > maxBucket) break;
    limit = m;
    i = j;
  }
  return limit;
}

/** Calls `run(start, end)` for each maximal run (of two or more) of equal values in sorted `keys[0..n)`. */
function forEachRun(keys: Uint32Array, n: number, run: (start: number, end: number) => void): void {
  let start = 0;
  while (start < n) {
    const key = keys[start];
    let end = start + 1;
    while (end < n && keys[end] === key) end++;
    if (end - start > 1) run(start, end);
    start = end;
  }
}
