/**
 * MinHash signatures over word shingles: an estimate of the Jaccard similarity of two texts from
 * small fixed-size signatures. Used by the archive (novelty tie-breaks) and by curation
 * (near-duplicate detection with LSH banding). Written in-house: the npm packages measured here
 * were broken.
 */
import { fmix32, hash32 } from '../util/hash.js';

const WORDS = /\\?[a-z]+|\d+/g;
const WORDS_AND_OPERATORS = /\\?[a-z]+|\d+|[-+*/=<>^_!|]/g;
const OPERATOR = /^[-+*/=<>^_!|]$/;

/**
 * Lowercased words and numbers; LaTeX commands count as words, so `\frac` and `\sqrt` matter.
 * With `operators`, the symbols that change a problem's meaning are glued to the word or number
 * they precede (`+7`, `=25`, `^23`, `>-3`): `3x + 7 = 25 - 2x` and `3x - 7 = 25 + 2x` then differ,
 * while a text keeps as many tokens as without them, so a one-number change weighs the same.
 */
export function tokenize(text: string, operators = false): string[] {
  const lower = text.toLowerCase();
  if (!operators) return lower.match(WORDS) ?? [];
  const tokens: string[] = [];
  let pending = '';
  for (const [t] of lower.matchAll(WORDS_AND_OPERATORS)) {
    if (OPERATOR.test(t)) pending += t;
    else {
      tokens.push(pending + t);
      pending = '';
    }
  }
  if (pending) tokens.push(pending);
  return tokens;
}

export function shingles(text: string, size = 3, operators = false): string[] {
  const words = tokenize(text, operators);
  if (words.length <= size) return words.length > 0 ? [words.join(' ')] : [];
  const out: string[] = [];
  for (let i = 0; i + size <= words.length; i++) out.push(words.slice(i, i + size).join(' '));
  return out;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const SPACE = 32;

/**
 * `hash32` of each of `shingles(text, size, operators)`, in order, computed without building the
 * shingle strings: FNV-1a runs over the words' code units and the joining spaces, so the values
 * are exactly `shingles(...).map((s) => hash32(s))` (tested).
 */
export function shingleHashList(text: string, size = 3, operators = false): Uint32Array {
  const words = tokenize(text, operators);
  if (words.length === 0) return new Uint32Array(0);
  const width = Math.min(size, words.length);
  const out = new Uint32Array(words.length - width + 1);
  for (let i = 0; i < out.length; i++) {
    let h = FNV_OFFSET;
    for (let w = 0; w < width; w++) {
      if (w > 0) h = Math.imul(h ^ SPACE, FNV_PRIME);
      const word = words[i + w]!;
      for (let c = 0; c < word.length; c++) h = Math.imul(h ^ word.charCodeAt(c), FNV_PRIME);
    }
    out[i] = fmix32(h >>> 0);
  }
  return out;
}

const MAX_HASHES = 256;
/** Per-function seeds, fixed so signatures are comparable across processes and runs. */
const SEEDS = Uint32Array.from({ length: MAX_HASHES }, (_, i) => hash32(`minhash-${i}`));

/** Signature: for each of `numHashes` seeded hash functions, the minimum over the text's shingles. */
export function minhash(text: string, numHashes = 64, shingleSize = 3, operators = false): Uint32Array {
  if (numHashes > MAX_HASHES) throw new RangeError(`at most ${MAX_HASHES} hashes`);
  return minhashOfHashes(shingleHashList(text, shingleSize, operators), numHashes);
}

/**
 * The MinHash signature of a set given by its 32-bit element hashes (repeats allowed: the minimum
 * ignores them), so `minhashOfHashes(shingleHashList(t, s, o), n)` is `minhash(t, n, s, o)`.
 * Each value is `fmix32(x ^ SEEDS[i])`, minimized over the elements x; fmix32 is written out in
 * the loop because, called, it made signatures about 5x slower (measured in Node 20).
 */
export function minhashOfHashes(hashes: Uint32Array, numHashes = 64): Uint32Array {
  if (numHashes > MAX_HASHES) throw new RangeError(`at most ${MAX_HASHES} hashes`);
  const signature = new Uint32Array(numHashes).fill(0xffffffff);
  for (let j = 0; j < hashes.length; j++) {
    const x = hashes[j]!;
    for (let i = 0; i < numHashes; i++) {
      let v = x ^ SEEDS[i]!;
      v ^= v >>> 16;
      v = Math.imul(v, 0x85ebca6b);
      v ^= v >>> 13;
      v = Math.imul(v, 0xc2b2ae35);
      v = (v ^ (v >>> 16)) >>> 0;
      if (v < signature[i]!) signature[i] = v;
    }
  }
  return signature;
}

/** Share of agreeing positions: an unbiased estimate of the Jaccard similarity. */
export function similarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  if (n === 0) return 0;
  let same = 0;
  for (let i = 0; i < n; i++) if (a[i] === b[i]) same++;
  return same / n;
}
