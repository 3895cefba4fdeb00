/**
 * The run's near-duplicate screen: a generated problem whose word-shingle set has a Jaccard
 * similarity of at least `generation.near_duplicate_threshold` with a problem told before it is
 * rejected (`near_duplicate`), as the paper screens its pool. The same MinHash + LSH banding and
 * exact verification as `sparq select`'s dedup (src/curation/dedup/), so what the run lets
 * through, select would not call a near duplicate either, up to LSH's recall (at least 95% at
 * the threshold). Decided when the problem is told, in task order, against every problem told
 * before it: the same whatever the timing, and the same after a resume.
 */
import { DEFAULT_DEDUP_SETTINGS } from '../curation/dedup/dedup.js';
import { type Banding, chooseBanding, writeBandKeys } from '../curation/dedup/minhash-lsh.js';
import { jaccardSorted, shingleHashes } from '../curation/dedup/shingle-sets.js';
import type { NearScreenSettings } from '../domain/records.js';
import { minhash } from '../text/minhash.js';

/** One band key as stored: the band's index above its 32-bit hash, so bands never collide. */
const BAND_SPAN = 2 ** 32;

/**
 * Candidates verified per problem at most, the most recent first: templated siblings can share a
 * band key by the thousand, and a bound keeps each tell cheap (a duplicate of an older problem
 * among so many is then left to `sparq select`).
 */
export const MAX_CANDIDATES = 256;

export interface Candidate {
  seq: number;
  uid: string;
  problem: string;
}

export class NearDuplicateScreen {
  readonly banding: Banding;
  readonly settings: NearScreenSettings;
  private readonly row: Uint32Array;

  constructor(
    readonly threshold: number,
    private readonly numHashes = DEFAULT_DEDUP_SETTINGS.numHashes,
    private readonly shingleSize = DEFAULT_DEDUP_SETTINGS.shingleSize,
  ) {
    this.banding = chooseBanding(numHashes, threshold);
    this.settings = { threshold, numHashes, shingleSize };
    this.row = new Uint32Array(this.banding.bands);
  }

  /** The text's band keys; none for a text without words (it can be no one's near duplicate). */
  keys(text: string): number[] {
    if (shingleHashes(text, this.shingleSize).length === 0) return [];
    const signature = minhash(text, this.banding.bands * this.banding.rows, this.shingleSize, true);
    writeBandKeys(signature, this.banding, this.row, 0);
    return Array.from(this.row, (key, band) => band * BAND_SPAN + key);
  }

  /**
   * The most similar candidate at or above the threshold (the earliest among equals), or null.
   * `candidates` must all have been told before the problem.
   */
  nearest(text: string, candidates: readonly Candidate[]): { uid: string; similarity: number } | null {
    const mine = shingleHashes(text, this.shingleSize);
    let best: { uid: string; similarity: number; seq: number } | null = null;
    for (const c of candidates) {
      const s = jaccardSorted(mine, shingleHashes(c.problem, this.shingleSize));
      if (s < this.threshold - 1e-12) continue;
      if (!best || s > best.similarity || (s === best.similarity && c.seq < best.seq))
        best = { uid: c.uid, similarity: s, seq: c.seq };
    }
    return best && { uid: best.uid, similarity: best.similarity };
  }
}

/** The detail of a near-duplicate rejection. */
export function nearDuplicateDetail(match: { uid: string; similarity: number }): string {
  return `word-shingle Jaccard similarity ${match.similarity.toFixed(3)} with ${match.uid}, already in the pool`;
}
