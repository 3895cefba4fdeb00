/**
 * Exact and near-duplicate detection over a list of documents in pool order.
 *
 * Exact: the same normalized text (`problemTextHash`, the hash the run itself uses to refuse a
 * problem already in the pool). Near: the Jaccard similarity of the two word-shingle sets is at
 * least the threshold; pairs are proposed by MinHash + LSH banding and verified exactly.
 * Documents end up in clusters whose representative is the earliest document (see clusters.ts).
 */
import { problemTextHash } from '../../engine/mutation-output.js';
import { minhash } from '../../text/minhash.js';
import { UnionFind } from './clusters.js';
import { type Banding, chooseBanding, forEachCandidatePair, writeBandKeys } from './minhash-lsh.js';
import { jaccardSorted, ShingleSets, shingleHashes } from './shingle-sets.js';

export interface DedupSettings {
  /** Jaccard similarity of word-shingle sets at or above which two problems are near duplicates. */
  threshold: number;
  /** MinHash signature length (at most 256). */
  numHashes: number;
  /** Words per shingle. */
  shingleSize: number;
}

export const DEFAULT_DEDUP_SETTINGS: DedupSettings = { threshold: 0.8, numHashes: 128, shingleSize: 3 };

export interface DedupDoc {
  /** The caller's name for the document (a problem uid, or `seedfile:<id>`). */
  key: string;
  text: string;
}

export interface DedupResult {
  keys: string[];
  /** Index of each document's cluster representative (the earliest member). */
  root: Int32Array;
  /** Cluster size of each document (1 for a unique document). */
  size: Int32Array;
  /** The most similar document this one was found to duplicate (either direction), or -1. */
  match: Int32Array;
  /** Jaccard similarity with `match` (1 for exact duplicates), or -1. */
  similarity: Float32Array;
  /** 1 when `match` has the same normalized text. */
  exact: Uint8Array;
  banding: Banding;
  counters: {
    exactPairs: number;
    candidatePairs: number;
    nearPairs: number;
    shingleBytes: number;
  };
}

/** First 52 bits of the text hash as a number: a compact Map key. Hits are re-checked, see below. */
function exactKey(text: string): number {
  return Number.parseInt(problemTextHash(text).slice(0, 13), 16);
}

/**
 * Clusters `docs` (exactly `count` of them, in pool order). Throws when the iterable yields a
 * different number of documents: the caller counts and iterates one fixed snapshot.
 */
export function findDuplicates(
  docs: Iterable<DedupDoc>,
  count: number,
  settings: DedupSettings,
): DedupResult {
  const banding = chooseBanding(settings.numHashes, settings.threshold);
  const uf = new UnionFind(count);
  const sets = new ShingleSets(count);
  const columns = Array.from({ length: banding.bands }, () => new Uint32Array(count));
  // 1 = takes no part in LSH: an exact duplicate (its representative does) or a text without words.
  const skip = new Uint8Array(count);
  const keys: string[] = [];
  const match = new Int32Array(count).fill(-1);
  const similarity = new Float32Array(count).fill(-1);
  const exact = new Uint8Array(count);
  const firstByText = new Map<number, number>();
  const counters = { exactPairs: 0, candidatePairs: 0, nearPairs: 0, shingleBytes: 0 };
  const empty = new Uint32Array(0);

  const record = (a: number, b: number, s: number, isExact: boolean) => {
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as const) {
      if (s > similarity[x]!) {
        similarity[x] = s;
        match[x] = y;
        exact[x] = isExact ? 1 : 0;
      }
    }
  };

  let i = 0;
  for (const doc of docs) {
    if (i >= count) throw new Error(`findDuplicates: more than the ${count} documents announced`);
    keys.push(doc.key);
    const hashes = shingleHashes(doc.text, settings.shingleSize);
    const textKey = exactKey(doc.text);
    const first = firstByText.get(textKey);
    // A 52-bit key can collide; equal normalized texts have equal shingle sets, so a hit whose
    // sets differ is a collision and the document is treated as new.
    if (
      first !== undefined &&
      (hashes.length === 0 ? sets.get(first).length === 0 : jaccardSorted(hashes, sets.get(first)) === 1)
    ) {
      uf.union(first, i);
      record(first, i, 1, true);
      counters.exactPairs++;
      skip[i] = 1;
      sets.set(i, empty);
    } else {
      if (first === undefined) firstByText.set(textKey, i);
      sets.set(i, hashes);
      if (hashes.length === 0) skip[i] = 1;
      else
        writeBandKeys(
          minhash(doc.text, banding.bands * banding.rows, settings.shingleSize, true),
          banding,
          columns,
          i,
        );
    }
    i++;
  }
  if (i !== count) throw new Error(`findDuplicates: ${i} documents, ${count} announced`);

  // Pairs already verified as different, so a pair sharing several bands is compared once.
  const different = new Set<number>();
  forEachCandidatePair(columns, count, skip, (a, b) => {
    if (uf.find(a) === uf.find(b)) return;
    const pairKey = a * count + b;
    if (different.has(pairKey)) return;
    counters.candidatePairs++;
    const s = sets.jaccard(a, b);
    if (s >= settings.threshold - 1e-12) {
      uf.union(a, b);
      record(a, b, s, false);
      counters.nearPairs++;
    } else different.add(pairKey);
  });

  const root = new Int32Array(count);
  for (let d = 0; d < count; d++) root[d] = uf.find(d);
  counters.shingleBytes = sets.bytes;
  return { keys, root, size: uf.sizes(), match, similarity, exact, banding, counters };
}
