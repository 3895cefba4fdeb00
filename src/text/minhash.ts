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

const MAX_HASHES = 256;
/** Per-function seeds, fixed so signatures are comparable across processes and runs. */
const SEEDS = Uint32Array.from({ length: MAX_HASHES }, (_, i) => hash32(`minhash-${i}`));

/** Signature: for each of `numHashes` seeded hash functions, the minimum over the text's shingles. */
export function minhash(text: string, numHashes = 64, shingleSize = 3, operators = false): Uint32Array {
  if (numHashes > MAX_HASHES) throw new RangeError(`at most ${MAX_HASHES} hashes`);
  const signature = new Uint32Array(numHashes).fill(0xffffffff);
  for (const shingle of new Set(shingles(text, shingleSize, operators))) {
    const x = hash32(shingle);
    for (let i = 0; i < numHashes; i++) {
      const v = fmix32(x ^ SEEDS[i]!);
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
