/**
 * MinHash signatures over word shingles: an estimate of the Jaccard similarity of two texts from
 * small fixed-size signatures. Used by the archive (novelty tie-breaks) and by curation
 * (near-duplicate detection with LSH banding). Written in-house: the npm packages measured here
 * were broken.
 */
import { hash32 } from '../util/hash.js';

/** Lowercased words and numbers; LaTeX commands count as words, so `\frac` and `\sqrt` matter. */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/\\?[a-z]+|\d+/g) ?? [];
}

export function shingles(text: string, size = 3): string[] {
  const words = tokenize(text);
  if (words.length <= size) return words.length > 0 ? [words.join(' ')] : [];
  const out: string[] = [];
  for (let i = 0; i + size <= words.length; i++) out.push(words.slice(i, i + size).join(' '));
  return out;
}

/** Parameters of the universal hash family h_i(x) = (a_i * x + b_i) mod p, fixed for reproducibility. */
const PRIME = 4294967311; // smallest prime above 2^32
const MAX_HASHES = 256;
const COEFFS: { a: number; b: number }[] = Array.from({ length: MAX_HASHES }, (_, i) => ({
  a: (hash32(`minhash-a-${i}`) % (PRIME - 1)) + 1,
  b: hash32(`minhash-b-${i}`) % PRIME,
}));

/** Multiplies modulo PRIME without losing precision (a, x < 2^32 would overflow 2^53). */
function mulMod(a: number, x: number): number {
  const aHi = Math.floor(a / 65536);
  const aLo = a % 65536;
  return (((aHi * x) % PRIME) * 65536 + aLo * x) % PRIME;
}

export function minhash(text: string, numHashes = 64, shingleSize = 3): Uint32Array {
  if (numHashes > MAX_HASHES) throw new RangeError(`at most ${MAX_HASHES} hashes`);
  const signature = new Uint32Array(numHashes).fill(0xffffffff);
  for (const shingle of new Set(shingles(text, shingleSize))) {
    const x = hash32(shingle);
    for (let i = 0; i < numHashes; i++) {
      const c = COEFFS[i]!;
      const h = (mulMod(c.a, x) + c.b) % PRIME;
      // Values >= 2^32 are folded; it does not bias the minimum noticeably.
      const v = h >= 4294967296 ? h - 4294967296 : h;
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
