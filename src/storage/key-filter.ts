/**
 * A Bloom filter over integer keys (below 2^53 in magnitude): which keys a run of the pool key
 * index may hold, so that a lookup reads only the runs that can answer. 8 bits and 5 probes per
 * key: about 2% of the runs without a key are read anyway.
 */
import { fmix32 } from '../util/hash.js';

const BITS_PER_KEY = 8;
const PROBES = 5;

export class KeyFilter {
  private constructor(private readonly bits: Uint32Array) {}

  static sized(keys: number): KeyFilter {
    return new KeyFilter(new Uint32Array(Math.max(2, Math.ceil((keys * BITS_PER_KEY) / 32))));
  }

  static fromBytes(bytes: Buffer): KeyFilter {
    const copy = new Uint8Array(bytes.length);
    copy.set(bytes);
    return new KeyFilter(new Uint32Array(copy.buffer));
  }

  toBytes(): Buffer {
    return Buffer.from(this.bits.buffer, this.bits.byteOffset, this.bits.byteLength);
  }

  add(key: number): void {
    const m = this.bits.length * 32;
    let [h, step] = hashes(key);
    for (let i = 0; i < PROBES; i++) {
      const bit = h % m;
      this.bits[bit >>> 5]! |= 1 << (bit & 31);
      h = (h + step) >>> 0;
    }
  }

  has(key: number): boolean {
    const m = this.bits.length * 32;
    let [h, step] = hashes(key);
    for (let i = 0; i < PROBES; i++) {
      const bit = h % m;
      if ((this.bits[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
      h = (h + step) >>> 0;
    }
    return true;
  }
}

/** Two 32-bit hashes of the key (double hashing), from its high and low halves. */
function hashes(key: number): [number, number] {
  const lo = key >>> 0;
  const hi = Math.floor(key / 2 ** 32) >>> 0;
  const a = fmix32(lo ^ Math.imul(hi, 0x9e3779b1));
  const b = fmix32(a ^ hi ^ 0x85ebca6b) | 1;
  return [a, b >>> 0];
}
