/**
 * A run of the pool key index as compressed blocks: its (key, problem id) entries, sorted by key
 * then id, cut into blocks of about BLOCK_BYTES, each block one row. In a block an entry is two
 * varints: the key's gap to the one before (the row's `first_key` for the first entry) and the
 * problem id's offset from the run's first problem. Sorted keys of a run are dense (a 5,000-problem
 * run holds 70,000 of them), so a gap takes about three bytes and an offset two or three: six
 * bytes an entry where a row of (run, key, problem_id) took about nineteen.
 */

/** Encoded size a block is cut at: four blocks fill a 4 KB page, none spills to an overflow page. */
export const BLOCK_BYTES = 900;

export interface KeyEntry {
  key: number;
  problemId: number;
}

/** Appends `n` (a non-negative integer below 2^53) as a little-endian base-128 varint. */
function putVarint(out: number[], n: number): void {
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
}

export interface EncodedBlock {
  firstKey: number;
  data: Buffer;
}

/** Cuts sorted entries into blocks; `base` is the run's first problem id (every id is at least it). */
export class BlockWriter {
  private bytes: number[] = [];
  private firstKey = 0;
  private lastKey = 0;
  private count = 0;

  constructor(
    private readonly base: number,
    private readonly emit: (block: EncodedBlock) => void,
  ) {}

  add(e: KeyEntry): void {
    if (this.count === 0) {
      this.firstKey = e.key;
      this.lastKey = e.key;
    }
    if (e.key < this.lastKey || e.problemId < this.base)
      throw new RangeError('pool key entries must come sorted, with ids from the run base up');
    putVarint(this.bytes, e.key - this.lastKey);
    putVarint(this.bytes, e.problemId - this.base);
    this.lastKey = e.key;
    this.count++;
    if (this.bytes.length >= BLOCK_BYTES) this.flush();
  }

  /** Writes out what is pending; call once after the last entry. */
  flush(): void {
    if (this.count === 0) return;
    this.emit({ firstKey: this.firstKey, data: Buffer.from(this.bytes) });
    this.bytes = [];
    this.count = 0;
  }
}

/**
 * Appends to `out` the problem ids of one block's entries with `key`, in block order (ids
 * ascending), decoding no further than the key: a lookup allocates nothing per entry.
 */
export function idsWithKey(
  firstKey: number,
  data: Uint8Array,
  base: number,
  key: number,
  out: number[],
): void {
  let k = firstKey;
  let i = 0;
  while (i < data.length) {
    let gap = 0;
    for (let scale = 1; ; scale *= 0x80) {
      const b = data[i++]!;
      gap += (b & 0x7f) * scale;
      if (b < 0x80) break;
    }
    k += gap;
    if (k > key) return;
    let offset = 0;
    for (let scale = 1; ; scale *= 0x80) {
      const b = data[i++]!;
      offset += (b & 0x7f) * scale;
      if (b < 0x80) break;
    }
    if (k === key) out.push(base + offset);
  }
}

/** The entries of one block, in order. */
export function decodeBlock(firstKey: number, data: Uint8Array, base: number): KeyEntry[] {
  const out: KeyEntry[] = [];
  let key = firstKey;
  let i = 0;
  const varint = () => {
    let n = 0;
    let scale = 1;
    for (;;) {
      const b = data[i++];
      if (b === undefined) throw new RangeError('a pool key block ends inside a number');
      n += (b & 0x7f) * scale;
      if (b < 0x80) return n;
      scale *= 0x80;
    }
  };
  while (i < data.length) {
    key += varint();
    out.push({ key, problemId: base + varint() });
  }
  return out;
}
