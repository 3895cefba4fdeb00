/**
 * Decontamination by n-gram overlap: a problem is contaminated with respect to an evaluation
 * item when they share at least one n-gram of normalized word tokens (default n = 13, the
 * GPT-3 rule). Tokens are `tokenize` from src/text/minhash.ts: lowercased words, numbers and
 * LaTeX command names, punctuation and spacing dropped, so reformatting does not hide a copy.
 *
 * Texts shorter than n tokens have no n-gram. Such a text is compared whole instead: a short
 * problem matches an item whose whole token sequence is the same (and vice versa). A short text
 * is never matched as a fragment of a longer one: "compute 17 of 208" occurring inside an
 * unrelated longer problem is too weak a signal to call contamination.
 */
import { tokenize } from '../text/minhash.js';
import { fmix32, hash32 } from '../util/hash.js';
import type { EvalSet } from './eval-sets.js';

export const DEFAULT_NGRAM = 13;

export interface ContaminationMatch {
  set: string;
  itemId: string;
  /** Distinct n-grams of the problem found in that item (1 for a whole-text match of short texts). */
  matches: number;
  /** matches / distinct n-grams of the problem: how much of the problem the item covers. */
  overlap: number;
  /** The first shared n-gram, as tokens joined by spaces. */
  ngram: string;
}

const SPLIT = 2 ** 21;

/**
 * A 53-bit key for tokens [start, start + length) from two independent 32-bit hash chains:
 * about 2^53 values, so a false match among millions of n-grams is vanishingly rare. Whole-text
 * keys of short texts use other seeds, so they never equal an n-gram key.
 */
function sequenceKey(tokenHashes: Uint32Array, start: number, length: number, whole: boolean): number {
  let a = whole ? 0x2545f491 : 0x6a09e667;
  let b = whole ? 0x9e3779b9 : 0xbb67ae85;
  for (let i = start; i < start + length; i++) {
    const t = tokenHashes[i]!;
    a = fmix32(Math.imul(a ^ t, 0x01000193));
    b = fmix32(Math.imul(b + t, 0x5bd1e995) ^ (b >>> 15));
  }
  return a * SPLIT + (b & (SPLIT - 1));
}

function tokenHashes(tokens: string[]): Uint32Array {
  const out = new Uint32Array(tokens.length);
  for (let i = 0; i < tokens.length; i++) out[i] = hash32(tokens[i]!);
  return out;
}

/** Distinct keys of a text with the position of their first occurrence. */
function textKeys(tokens: string[], n: number): Map<number, number> {
  const hashes = tokenHashes(tokens);
  const keys = new Map<number, number>();
  if (tokens.length === 0) return keys;
  if (tokens.length < n) {
    keys.set(sequenceKey(hashes, 0, tokens.length, true), 0);
    return keys;
  }
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = sequenceKey(hashes, i, n, false);
    if (!keys.has(key)) keys.set(key, i);
  }
  return keys;
}

export class NgramIndex {
  /** key -> global item numbers containing it. One number is stored unboxed: most keys have one. */
  private readonly postings = new Map<number, number | number[]>();
  private readonly itemSet: number[] = [];
  private readonly itemId: string[] = [];
  readonly setNames: string[] = [];
  readonly setStats: { name: string; items: number; shortItems: number; ngrams: number }[] = [];

  constructor(readonly n: number) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError('n must be a positive integer');
  }

  add(set: EvalSet): void {
    const setIndex = this.setNames.length;
    this.setNames.push(set.name);
    const stats = { name: set.name, items: set.items.length, shortItems: 0, ngrams: 0 };
    for (const item of set.items) {
      const itemNumber = this.itemId.length;
      this.itemId.push(item.id);
      this.itemSet.push(setIndex);
      const tokens = tokenize(item.problem);
      if (tokens.length < this.n) stats.shortItems++;
      for (const key of textKeys(tokens, this.n).keys()) {
        stats.ngrams++;
        const current = this.postings.get(key);
        if (current === undefined) this.postings.set(key, itemNumber);
        else if (typeof current === 'number') {
          if (current !== itemNumber) this.postings.set(key, [current, itemNumber]);
        } else if (current[current.length - 1] !== itemNumber) current.push(itemNumber);
      }
    }
    this.setStats.push(stats);
  }

  /**
   * The best-matching item of each set that shares an n-gram with `text` (most matches, then
   * the earliest item), and whether the text was short (compared whole).
   */
  check(text: string): { short: boolean; matches: ContaminationMatch[] } {
    const tokens = tokenize(text);
    const short = tokens.length < this.n;
    const keys = textKeys(tokens, this.n);
    if (keys.size === 0) return { short, matches: [] };
    const hits = new Map<number, { matches: number; position: number }>();
    const count = (item: number, position: number) => {
      const hit = hits.get(item);
      if (hit) {
        hit.matches++;
        if (position < hit.position) hit.position = position;
      } else hits.set(item, { matches: 1, position });
    };
    for (const [key, position] of keys) {
      const posting = this.postings.get(key);
      if (posting === undefined) continue;
      if (typeof posting === 'number') count(posting, position);
      else for (const item of posting) count(item, position);
    }
    if (hits.size === 0) return { short, matches: [] };
    const best = new Map<number, { item: number; matches: number; position: number }>();
    for (const [item, hit] of hits) {
      const set = this.itemSet[item]!;
      const current = best.get(set);
      if (
        !current ||
        hit.matches > current.matches ||
        (hit.matches === current.matches && item < current.item)
      )
        best.set(set, { item, ...hit });
    }
    const matches = [...best.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([set, hit]) => ({
        set: this.setNames[set]!,
        itemId: this.itemId[hit.item]!,
        matches: hit.matches,
        overlap: hit.matches / keys.size,
        ngram: tokens.slice(hit.position, hit.position + Math.min(this.n, tokens.length)).join(' '),
      }));
    return { short, matches };
  }

  get keyCount(): number {
    return this.postings.size;
  }
}
