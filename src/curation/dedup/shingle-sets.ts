/**
 * The word-shingle set of every document, packed into typed arrays (sorted, unique 32-bit shingle
 * hashes): a million problems cost a few hundred MB instead of a million Set objects. Candidate
 * pairs from LSH are verified here with the exact Jaccard similarity of the two sets, so the
 * MinHash estimate never decides alone whether two problems are merged.
 */
import { shingleHashList } from '../../text/minhash.js';

/**
 * Sorted, unique hashes of the text's shingles of words and operators (the same shingles as
 * deduplication's MinHash signatures).
 */
export function shingleHashes(text: string, size: number): Uint32Array {
  const hashes = shingleHashList(text, size, true);
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

/** Chunks grow with what is held, from 256 KB to 16 MB (in elements of 4 bytes). */
const MIN_CHUNK = 1 << 16;
const MAX_CHUNK = 1 << 22;
const CHUNK_SPAN = 2 ** 32;

/**
 * Sets stored in chunks: a set never spans two chunks, a full chunk is never copied or regrown,
 * so memory is the sets' size plus one partly filled chunk and the unused tails (a growable array
 * that doubles holds up to 3x its content while it copies, and one typed array caps at 2^32
 * elements: 20M problems of 60 shingles are 1.2G of them). Each document costs 12 bytes of index.
 */
export class ShingleSets {
  private readonly chunks: Uint32Array[] = [];
  private current = new Uint32Array(0);
  private used = 0;
  /** chunk * 2^32 + offset of each document's set. */
  private readonly start: Float64Array;
  private readonly length: Uint32Array;
  private held = 0;

  constructor(readonly capacity: number) {
    this.start = new Float64Array(capacity);
    this.length = new Uint32Array(capacity);
  }

  /** Stores the set of document `doc` (each document at most once). */
  set(doc: number, hashes: Uint32Array): void {
    if (hashes.length === 0) {
      this.length[doc] = 0;
      return;
    }
    if (this.used + hashes.length > this.current.length) {
      // A set longer than a chunk gets a chunk of its own size.
      const size = Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, this.held / 4));
      this.current = new Uint32Array(Math.max(size, hashes.length));
      this.chunks.push(this.current);
      this.used = 0;
      this.held += this.current.byteLength;
    }
    this.current.set(hashes, this.used);
    this.start[doc] = (this.chunks.length - 1) * CHUNK_SPAN + this.used;
    this.length[doc] = hashes.length;
    this.used += hashes.length;
  }

  get(doc: number): Uint32Array {
    const n = this.length[doc]!;
    if (n === 0) return EMPTY;
    const at = this.start[doc]!;
    const chunk = Math.floor(at / CHUNK_SPAN);
    const offset = at - chunk * CHUNK_SPAN;
    return this.chunks[chunk]!.subarray(offset, offset + n);
  }

  /** jaccardSorted(get(a), get(b)), without creating views (it runs once per candidate pair). */
  jaccard(a: number, b: number): number {
    const na = this.length[a]!;
    const nb = this.length[b]!;
    if (na === 0 || nb === 0) return 0;
    const sa = this.start[a]!;
    const sb = this.start[b]!;
    const ca = Math.floor(sa / CHUNK_SPAN);
    const cb = Math.floor(sb / CHUNK_SPAN);
    const x = this.chunks[ca]!;
    const y = this.chunks[cb]!;
    let i = sa - ca * CHUNK_SPAN;
    let j = sb - cb * CHUNK_SPAN;
    const endA = i + na;
    const endB = j + nb;
    let both = 0;
    while (i < endA && j < endB) {
      const u = x[i]!;
      const v = y[j]!;
      if (u === v) {
        both++;
        i++;
        j++;
      } else if (u < v) i++;
      else j++;
    }
    return both / (na + nb - both);
  }

  /** Bytes held, for the benchmark's memory figures. */
  get bytes(): number {
    return this.held + this.start.byteLength + this.length.byteLength;
  }
}

const EMPTY = new Uint32Array(0);
