/**
 * Exact and near-duplicate detection over a list of documents in pool order.
 *
 * Exact: the same normalized text (`problemTextHash`, the hash the run itself uses to refuse a
 * problem already in the pool). Near: the Jaccard similarity of the two word-shingle sets is at
 * least the threshold; pairs are proposed by MinHash + LSH banding and verified exactly.
 * Documents end up in clusters whose representative is the earliest document (see clusters.ts).
 *
 * Memory is linear in the pool and kept in typed arrays (no JS Set or Map grows with it: V8
 * caps those at 2^24 entries): per document its shingle set, its band keys, 8 bytes of text hash
 * and a slot of the exact-text table, and the result columns. Measured in bench/dedup.bench.ts.
 */
import { problemTextHash } from '../../engine/mutation-output.js';
import { minhashOfHashes } from '../../text/minhash.js';
import { UnionFind } from './clusters.js';
import {
  type Banding,
  type CandidateOptions,
  chooseBanding,
  forEachCandidatePair,
  writeBandKeys,
} from './minhash-lsh.js';
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
  /** For a problem of the pool: the order it was told in (its task number). */
  told?: number;
  /**
   * The run's near-duplicate screen, when its settings are these (see analyze.ts): +id when it
   * verified this problem, when told, against every problem told before it that shares a band
   * key; -id when it wrote the problem's band keys but did not screen it completely (a seed, or
   * past its candidate bound); absent or 0 otherwise. A pair whose later problem has +id and
   * whose earlier one was in that screen's index (±id) is known not to be near duplicates and is
   * not verified again.
   */
  screen?: number;
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
    /** LSH pairs visited (each once), including those already in one cluster when reached. */
    pairsVisited: number;
    /** Candidate pairs the run's near-duplicate screen had already verified (DedupDoc.screen). */
    screenedPairs: number;
    /** LSH buckets over their band's size limit, not compared pair by pair (see forEachCandidatePair). */
    oversizedBuckets: number;
    /** The smallest bucket size limit applied (Infinity: every bucket was compared pair by pair). */
    bucketLimit: number;
  };
}

/**
 * The first occurrence of each normalized text, found by a 64-bit prefix of its hash in an
 * open-addressing table held in typed arrays (a Map of one entry per distinct text would stop at
 * 2^24 = 16.8M texts). Hits are re-checked on the shingle sets, see below.
 */
class FirstByText {
  private readonly hi: Uint32Array;
  private readonly lo: Uint32Array;
  /** Document index + 1 per slot, 0 for an empty slot. */
  private readonly slots: Int32Array;
  private readonly mask: number;

  constructor(count: number) {
    this.hi = new Uint32Array(count);
    this.lo = new Uint32Array(count);
    let size = 16;
    while (size < count * 1.5) size *= 2;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
  }

  /** Remembers doc's text hash; returns the first document with the same one, or -1 (then doc is it). */
  firstOrAdd(doc: number, text: string): number {
    const hex = problemTextHash(text);
    const hi = Number.parseInt(hex.slice(0, 8), 16);
    const lo = Number.parseInt(hex.slice(8, 16), 16);
    this.hi[doc] = hi;
    this.lo[doc] = lo;
    // Linear probing from the low bits (a SHA-256 prefix: uniform); the table is at most 2/3 full.
    for (let slot = lo & this.mask; ; slot = (slot + 1) & this.mask) {
      const held = this.slots[slot]!;
      if (held === 0) {
        this.slots[slot] = doc + 1;
        return -1;
      }
      if (this.hi[held - 1] === hi && this.lo[held - 1] === lo) return held - 1;
    }
  }
}

export interface FindDuplicatesOptions extends CandidateOptions {}

/**
 * Clusters `docs` (exactly `count` of them, in pool order). Throws when the iterable yields a
 * different number of documents: the caller counts and iterates one fixed snapshot.
 * `options` bound the work in oversized LSH buckets (see forEachCandidatePair).
 */
export function findDuplicates(
  docs: Iterable<DedupDoc>,
  count: number,
  settings: DedupSettings,
  options: FindDuplicatesOptions = {},
): DedupResult {
  const banding = chooseBanding(settings.numHashes, settings.threshold);
  const uf = new UnionFind(count);
  const sets = new ShingleSets(count);
  // Row-major band keys: keys[doc * bands + band].
  const bandKeys = new Uint32Array(count * banding.bands);
  // 1 = takes no part in LSH: an exact duplicate (its representative does) or a text without words.
  const skip = new Uint8Array(count);
  const keys: string[] = [];
  const match = new Int32Array(count).fill(-1);
  const similarity = new Float32Array(count).fill(-1);
  const exact = new Uint8Array(count);
  const firstByText = new FirstByText(count);
  // Task number + 1 of pool problems (0: not in the pool), and their screen marks.
  const told = new Float64Array(count);
  const screen = new Int32Array(count);
  const counters = {
    exactPairs: 0,
    candidatePairs: 0,
    screenedPairs: 0,
    nearPairs: 0,
    shingleBytes: 0,
    pairsVisited: 0,
    oversizedBuckets: 0,
    bucketLimit: Number.POSITIVE_INFINITY,
  };
  const signatureLength = banding.bands * banding.rows;

  const note = (x: number, y: number, s: number, isExact: boolean) => {
    if (s > similarity[x]!) {
      similarity[x] = s;
      match[x] = y;
      exact[x] = isExact ? 1 : 0;
    }
  };
  const record = (a: number, b: number, s: number, isExact: boolean) => {
    note(a, b, s, isExact);
    note(b, a, s, isExact);
  };

  let i = 0;
  let live = 0;
  for (const doc of docs) {
    if (i >= count) throw new Error(`findDuplicates: more than the ${count} documents announced`);
    keys.push(doc.key);
    if (doc.told !== undefined) told[i] = doc.told + 1;
    if (doc.screen) screen[i] = doc.screen;
    const hashes = shingleHashes(doc.text, settings.shingleSize);
    const first = firstByText.firstOrAdd(i, doc.text);
    // A 64-bit key can collide; equal normalized texts have equal shingle sets, so a hit whose
    // sets differ is a collision and the document is treated as new.
    if (
      first >= 0 &&
      (hashes.length === 0 ? sets.get(first).length === 0 : jaccardSorted(hashes, sets.get(first)) === 1)
    ) {
      uf.union(first, i);
      record(first, i, 1, true);
      counters.exactPairs++;
      skip[i] = 1;
    } else {
      sets.set(i, hashes);
      if (hashes.length === 0) skip[i] = 1;
      else {
        writeBandKeys(minhashOfHashes(hashes, signatureLength), banding, bandKeys, i);
        live++;
      }
    }
    i++;
  }
  if (i !== count) throw new Error(`findDuplicates: ${i} documents, ${count} announced`);

  const liveDocs = new Uint32Array(live);
  for (let d = 0, at = 0; d < count; d++) if (!skip[d]) liveDocs[at++] = d;
  const stats = forEachCandidatePair(
    bandKeys,
    banding.bands,
    liveDocs,
    (a, b) => {
      if (uf.find(a) === uf.find(b)) return;
      if (told[a]! > 0 && told[b]! > 0) {
        const [earlier, later] = told[a]! < told[b]! ? [a, b] : [b, a];
        if (screen[later]! > 0 && Math.abs(screen[earlier]!) === screen[later]) {
          counters.screenedPairs++;
          return;
        }
      }
      counters.candidatePairs++;
      const s = sets.jaccard(a, b);
      if (s >= settings.threshold - 1e-12) {
        uf.union(a, b);
        record(a, b, s, false);
        counters.nearPairs++;
      }
    },
    options,
  );
  counters.pairsVisited = stats.visited;
  counters.oversizedBuckets = stats.oversized;
  counters.bucketLimit = stats.bucketLimit;

  const root = new Int32Array(count);
  for (let d = 0; d < count; d++) root[d] = uf.find(d);
  counters.shingleBytes = sets.bytes;
  return { keys, root, size: uf.sizes(), match, similarity, exact, banding, counters };
}
