/**
 * The word-shingle set of every document, packed into one growable typed array (sorted, unique
 * 32-bit shingle hashes): a million problems cost a few hundred MB instead of a million Set
 * objects. Candidate pairs from LSH are verified here with the exact Jaccard similarity of the
 * two sets, so the MinHash estimate never decides alone whether two problems are merged.
 */
import { shingles } from '../../text/minhash.js';
import { hash32 } from '../../util/hash.js';

/**
 * Sorted, unique hashes of the text's shingles of words and operators (the same shingles as
 * deduplication's MinHash signatures).
 */
export function shingleHashes(text: string, size: number): Uint32Array {
  const list = shingles(text, size, true);
  const hashes = new Uint32Array(list.length);
  for (let i = 0; i < list.length; i++) hashes[i] = hash32(list[i]!);
  hashes.sort();
  let unique = 0;
  for (let i = 0; i < hashes.length; i++)
    if (i === 0 || hashes[i] !== hashes[i - 1]) hashes[unique++] = hashes[i]!;
  return hashes.subarray(0, unique);
}

/** Exact Jaccard similarity of two sorted unique arrays; two empty sets count as different (0). */
export function jaccardSorted(a: Uint32Array, b: Uint32Array): number {
  if (a.length === 0 || b.length === 0) return 0;
  let i = 0;
  let j = 0;
  let both = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x === y) {
      both++;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return both / (a.length + b.length - both);
}

export class ShingleSets {
  private data = new Uint32Array(1 << 16);
  private used = 0;
  private readonly start: Float64Array;
  private readonly end: Float64Array;

  constructor(readonly capacity: number) {
    this.start = new Float64Array(capacity);
    this.end = new Float64Array(capacity);
  }

  /** Stores the set of document `doc` (each document at most once). */
  set(doc: number, hashes: Uint32Array): void {
    if (this.used + hashes.length > this.data.length) {
      let size = this.data.length * 2;
      while (size < this.used + hashes.length) size *= 2;
      const grown = new Uint32Array(size);
      grown.set(this.data.subarray(0, this.used));
      this.data = grown;
    }
    this.data.set(hashes, this.used);
    this.start[doc] = this.used;
    this.used += hashes.length;
    this.end[doc] = this.used;
  }

  get(doc: number): Uint32Array {
    return this.data.subarray(this.start[doc]!, this.end[doc]!);
  }

  jaccard(a: number, b: number): number {
    return jaccardSorted(this.get(a), this.get(b));
  }

  /** Bytes held, for the benchmark's memory figures. */
  get bytes(): number {
    return this.data.byteLength + this.start.byteLength + this.end.byteLength;
  }
}
