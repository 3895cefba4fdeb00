/**
 * Deterministic hashing and pseudo-randomness. Everything that must replay identically after a
 * restart (parent choices, the simulated model's outputs, request keys) derives from these.
 */
import { createHash } from 'node:crypto';

/** murmur3's 32-bit finalizer: a fast, well-mixed hash of a 32-bit value. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** 32-bit FNV-1a over UTF-16 code units, finished with a murmur3 avalanche. Fast, not cryptographic. */
export function hash32(text: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** A uniform number in [0, 1) determined by the parts. */
export function hashUnit(...parts: (string | number)[]): number {
  return hash32(parts.join('\u0001')) / 4294967296;
}

/** SHA-256 hex digest: request keys and content hashes, where collisions must not happen. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A small seeded PRNG (mulberry32): deterministic streams for the core and the simulator. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  static from(...parts: (string | number)[]): Rng {
    return new Rng(hash32(parts.join('\u0001')));
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick from an empty list');
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Index drawn with probability proportional to its weight. */
  weighted(weights: readonly number[]): number {
    const total = weights.reduce((s, w) => s + w, 0);
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i]!;
      if (r < 0) return i;
    }
    return weights.length - 1;
  }

  /** A non-zero integer in [-hi, -lo] or [lo, hi]. */
  signedInt(lo: number, hi: number): number {
    const v = this.int(lo, hi);
    return this.next() < 0.5 ? -v : v;
  }
}
