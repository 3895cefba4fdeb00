/**
 * Locality-sensitive hashing over MinHash signatures (src/text/minhash.ts): a signature of
 * `bands * rows` values is cut into bands, each band is hashed to one 32-bit key, and two
 * documents become a candidate pair when any band key agrees. Candidates are then verified
 * exactly (see shingle-sets.ts), so banding only trades speed for recall, never correctness.
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

/** Writes the `bands` keys of one signature into `columns[band][doc]`. */
export function writeBandKeys(
  signature: Uint32Array,
  banding: Banding,
  columns: Uint32Array[],
  doc: number,
): void {
  for (let band = 0; band < banding.bands; band++) {
    // The band index seeds the hash so that equal values in different bands do not collide.
    let h = fmix32(band + 0x9e3779b9);
    const start = band * banding.rows;
    for (let i = 0; i < banding.rows; i++) h = fmix32(Math.imul(h ^ signature[start + i]!, 0x01000193));
    columns[band]![doc] = h;
  }
}

const PACK = 2 ** 21;

/**
 * Document indexes ordered by key, then by index. Keys and indexes are packed into one float64
 * (key * 2^21 + index, exact below 2^53) so the engine's native numeric sort does the work;
 * beyond 2^21 documents a comparator sort is used.
 */
export function orderByKey(keys: Uint32Array, count: number): Uint32Array {
  const order = new Uint32Array(count);
  if (count <= PACK) {
    const packed = new Float64Array(count);
    for (let i = 0; i < count; i++) packed[i] = keys[i]! * PACK + i;
    packed.sort();
    for (let i = 0; i < count; i++) order[i] = packed[i]! % PACK;
    return order;
  }
  for (let i = 0; i < count; i++) order[i] = i;
  return order.sort((a, b) => keys[a]! - keys[b]! || a - b);
}

/**
 * Calls `visit(earlier, later)` for every pair of documents that share a band key, bucket by
 * bucket. Documents without shingles (`skip[doc]` set) take no part. The same pair may be
 * visited once per shared band: the caller remembers what it already verified.
 */
export function forEachCandidatePair(
  columns: Uint32Array[],
  count: number,
  skip: Uint8Array,
  visit: (earlier: number, later: number) => void,
): void {
  for (const keys of columns) {
    const order = orderByKey(keys, count);
    let start = 0;
    while (start < count) {
      let end = start + 1;
      while (end < count && keys[order[end]!] === keys[order[start]!]) end++;
      if (end - start > 1) {
        for (let j = start + 1; j < end; j++) {
          const later = order[j]!;
          if (skip[later]) continue;
          for (let i = start; i < j; i++) {
            const earlier = order[i]!;
            if (!skip[earlier]) visit(earlier, later);
          }
        }
      }
      start = end;
    }
  }
}
