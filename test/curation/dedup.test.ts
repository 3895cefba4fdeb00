import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UnionFind } from '../../src/curation/dedup/clusters.js';
import { DEFAULT_DEDUP_SETTINGS, type DedupDoc, findDuplicates } from '../../src/curation/dedup/dedup.js';
import {
  type CandidateOptions,
  candidateProbability,
  chooseBanding,
  forEachCandidatePair,
  MIN_RECALL_AT_THRESHOLD,
  radixSortByKey,
  writeBandKeys,
} from '../../src/curation/dedup/minhash-lsh.js';
import { jaccardSorted, ShingleSets, shingleHashes } from '../../src/curation/dedup/shingle-sets.js';
import { FAMILIES } from '../../src/sim/families/index.js';
import { minhash, minhashOfHashes, shingleHashList, shingles } from '../../src/text/minhash.js';
import { fmix32, hash32, Rng } from '../../src/util/hash.js';

const mathTest = readFileSync(new URL('../../data/benchmarks/math_test.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as { id: string; problem: string });

/** Long MATH test problems: the ones a light rewording leaves near-identical. */
const long = mathTest.filter((p) => p.problem.split(/\s+/).length >= 60).slice(0, 40);

/** Replaces one word in the middle: a light rewording (~3 of ~60 shingles change). */
function reword(text: string): string {
  const words = text.split(' ');
  const i = Math.floor(words.length / 2);
  words[i] = words[i] === 'the' ? 'this' : 'the';
  return words.join(' ');
}

function dedup(texts: string[], settings = DEFAULT_DEDUP_SETTINGS, limits: CandidateOptions = {}) {
  return findDuplicates(
    texts.map((text, i) => ({ key: `d${i}`, text })),
    texts.length,
    settings,
    limits,
  );
}

/** Sim-family siblings: the same template with other numbers. Distinct problems, not duplicates. */
function siblings(count: number): string[] {
  const rng = new Rng(7);
  const out = new Set<string>();
  // Family and level follow the attempt, not the count found: a family with few distinct
  // problems at some level (interior angles of small polygons) must not stall the loop.
  for (let attempt = 0; out.size < count; attempt++) {
    if (attempt > 100 * count) throw new Error(`only ${out.size} distinct siblings`);
    const family = FAMILIES[attempt % FAMILIES.length]!;
    const level = 1 + (Math.floor(attempt / FAMILIES.length) % 6);
    out.add(`Find ${family.render(family.generate(rng, level))}.`);
  }
  return [...out];
}

describe('banding', () => {
  it('finds pairs at the threshold with at least the promised recall, for several thresholds', () => {
    for (const t of [0.5, 0.7, 0.8, 0.9, 0.95]) {
      for (const h of [64, 128, 256]) {
        const b = chooseBanding(h, t);
        expect(b.bands * b.rows).toBeLessThanOrEqual(h);
        expect(candidateProbability(t, b)).toBeGreaterThanOrEqual(MIN_RECALL_AT_THRESHOLD);
        // Pairs well below the threshold rarely become candidates, as far as the signature length
        // allows: at a 0.5 threshold, 95% recall with 64 hashes needs rows <= 2, and then about
        // half the pairs at 0.25 are candidates (still verified exactly, so only slower).
        expect(candidateProbability(t / 2, b)).toBeLessThan(t >= 0.7 ? 0.2 : 0.55);
      }
    }
  });
});

describe('union-find', () => {
  it('keeps the smallest index as the root, whatever the union order', () => {
    const uf = new UnionFind(6);
    uf.union(5, 3);
    uf.union(3, 4);
    uf.union(4, 1);
    expect([1, 3, 4, 5].map((i) => uf.find(i))).toEqual([1, 1, 1, 1]);
    expect(uf.find(2)).toBe(2);
    expect(uf.sizes()[5]).toBe(4);
  });
});

describe('findDuplicates', () => {
  it('finds planted exact duplicates (case, spacing, final punctuation) and keeps the earliest', () => {
    const base = long[0]!.problem;
    const texts = [long[1]!.problem, base, long[2]!.problem, `  ${base.toUpperCase().replace(/ /g, '   ')}?`];
    const r = dedup(texts);
    expect(r.root[3]).toBe(1);
    expect(r.exact[3]).toBe(1);
    expect(r.similarity[3]).toBe(1);
    expect([r.root[0], r.root[1], r.root[2]]).toEqual([0, 1, 2]);
    expect(r.size[1]).toBe(2);
  });

  it('finds planted near duplicates and merges nothing else among distinct problems', () => {
    const originals = long.slice(0, 30).map((p) => p.problem);
    const planted = originals.slice(0, 10).map(reword);
    const r = dedup([...originals, ...planted]);
    for (let i = 0; i < 10; i++) {
      expect(r.root[30 + i]).toBe(i);
      expect(r.exact[30 + i]).toBe(0);
      expect(r.similarity[30 + i]).toBeGreaterThanOrEqual(0.8);
      expect(r.similarity[30 + i]).toBeLessThan(1);
    }
    for (let i = 10; i < 30; i++) {
      expect(r.root[i]).toBe(i);
      expect(r.size[i]).toBe(1);
    }
  });

  it("takes the run's screen for pool pairs whose later problem it screened, and verifies every other pair", () => {
    const [a, b] = [long[0]!.problem, long[1]!.problem];
    // Seed (told 0), a near duplicate generated from it (told 2), and a seed-file problem.
    const run = (docs: Omit<DedupDoc, 'key'>[]) =>
      findDuplicates(
        docs.map((d, i) => ({ key: `d${i}`, ...d })),
        docs.length,
        DEFAULT_DEDUP_SETTINGS,
      );
    // The later problem was screened completely (+1) by the screen whose index held the earlier
    // one (its keys written by screen 1: -1 for a seed, +1 for a screened problem): the pair is
    // not verified again, whatever the texts say (here near duplicates, which a screen could
    // only have missed past its bound).
    for (const earlier of [-1, 1]) {
      const r = run([
        { text: a, told: 0, screen: earlier },
        { text: reword(a), told: 2, screen: 1 },
      ]);
      expect(r.counters.screenedPairs).toBe(1);
      expect(r.counters.candidatePairs).toBe(0);
      expect(r.root[1]).toBe(1);
    }
    // Verified, and found: only the earlier one screened (the later one was never compared with
    // it); the later one not completely (-1); the earlier one told with no screen, or under
    // another (its keys are not in the index the later one was screened against); no told
    // order (a seed-file problem); no screen at all.
    for (const docs of [
      [
        { text: a, told: 0, screen: 1 },
        { text: reword(a), told: 2, screen: -1 },
      ],
      [
        { text: a, told: 0 },
        { text: reword(a), told: 2, screen: 1 },
      ],
      [
        { text: a, told: 0, screen: -2 },
        { text: reword(a), told: 2, screen: 1 },
      ],
      [{ text: a }, { text: reword(a), told: 2, screen: 1 }],
      [
        { text: a, told: 0 },
        { text: reword(a), told: 2 },
      ],
    ]) {
      const r = run(docs);
      expect(r.counters.screenedPairs).toBe(0);
      expect(r.root[1]).toBe(0);
    }
    // Exact duplicates are found by text whatever the screen says.
    expect(
      run([
        { text: b, told: 0, screen: 1 },
        { text: b, told: 1, screen: 1 },
      ]).root[1],
    ).toBe(0);
  });

  it('merges same-template problems with different numbers only when their shingle sets are that similar', () => {
    const texts = siblings(600);
    const r = dedup(texts);
    const sets = texts.map((t) => shingleHashes(t, 3));
    let merged = 0;
    for (let i = 0; i < texts.length; i++) {
      if (r.root[i] === i) continue;
      merged++;
      // Long templates with one number changed can reach 0.8 (the rule, as documented); the
      // exact similarity, not the MinHash estimate, decides.
      expect(jaccardSorted(sets[i]!, sets[r.match[i]!]!)).toBeGreaterThanOrEqual(0.8);
    }
    expect(merged).toBeLessThan(texts.length * 0.05);
    // A one-number change in a short problem is a different problem (docs/curation.md).
    const short = dedup([
      'Find the remainder when $7^{23}$ is divided by $11$.',
      'Find the remainder when $7^{23}$ is divided by $13$.',
    ]);
    expect(short.root[1]).toBe(1);
  });

  it('keeps apart problems that differ only in operators or relation signs', () => {
    const r = dedup([
      'Solve for $x$: $3x + 7 = 25 - 2x$. Express your answer as a common fraction in lowest terms.',
      'Solve for $x$: $3x - 7 = 25 + 2x$. Express your answer as a common fraction in lowest terms.',
      'How many integers $n$ satisfy both $n^2 < 50$ and $n > -3$? Count every such integer once.',
      'How many integers $n$ satisfy both $n^2 > 50$ and $n < -3$? Count every such integer once.',
    ]);
    expect([...r.root]).toEqual([0, 1, 2, 3]);
  });

  it('honours the threshold: a pair below 0.8 is merged at 0.5 only', () => {
    const a = long[5]!.problem;
    const words = a.split(' ');
    // Rewrite a quarter of the words: Jaccard of 3-word shingles drops well below 0.8.
    const b = words.map((w, i) => (i % 4 === 0 ? `${w}x` : w)).join(' ');
    const j = jaccardSorted(shingleHashes(a, 3), shingleHashes(b, 3));
    expect(j).toBeLessThan(0.8);
    expect(dedup([a, b]).root[1]).toBe(1);
    if (j >= 0.1) expect(dedup([a, b], { ...DEFAULT_DEDUP_SETTINGS, threshold: j - 0.01 }).root[1]).toBe(0);
  });

  it('clusters transitively and deterministically', () => {
    const a = long[7]!.problem;
    const b = reword(a);
    const c = reword(b.replace(/^\S+/, 'Now'));
    const texts = [long[8]!.problem, c, a, b];
    const r1 = dedup(texts);
    const r2 = dedup(texts);
    expect([...r1.root]).toEqual([...r2.root]);
    expect(r1.root[2]).toBe(1);
    expect(r1.root[3]).toBe(1);
    expect(r1.root[0]).toBe(0);
  });

  it('leaves texts without words alone and rejects a wrong count', () => {
    const r = dedup(['$$', '$$ $$', long[0]!.problem]);
    expect(r.root[1]).toBe(1);
    expect(() => findDuplicates([{ key: 'a', text: 'x' }], 2, DEFAULT_DEDUP_SETTINGS)).toThrow(/announced/);
  });
});

describe('shingle hashes and signatures', () => {
  const texts = [
    ...long.slice(0, 10).map((p) => p.problem),
    '$$',
    'Find $x$.',
    'one two',
    siblings(20).join(' '),
  ];

  it('hashes shingles without building them, to the same values', () => {
    for (const text of texts)
      for (const size of [1, 2, 3, 5, 40])
        for (const operators of [false, true])
          expect([...shingleHashList(text, size, operators)]).toEqual(
            shingles(text, size, operators).map((x) => hash32(x)),
          );
  });

  it('computes the same MinHash signatures as the definition (min over the unique shingles)', () => {
    const seeds = Array.from({ length: 128 }, (_, i) => hash32(`minhash-${i}`));
    for (const text of texts) {
      const unique = [...new Set(shingles(text, 3, true))].map((x) => hash32(x));
      const expected = seeds.map((seed) => Math.min(0xffffffff, ...unique.map((x) => fmix32(x ^ seed))));
      expect([...minhash(text, 128, 3, true)]).toEqual(expected);
      expect([...minhashOfHashes(shingleHashes(text, 3), 128)]).toEqual(expected);
    }
  });

  it('stores sets across chunks and returns them unchanged', () => {
    const rng = new Rng(3);
    const sets = new ShingleSets(3000);
    // 3000 sets of about 100 elements fill several chunks; the 300k-element ones get their own.
    const kept: Uint32Array[] = [];
    for (let d = 0; d < 3000; d++) {
      // Mostly small sets, a few longer than a whole chunk.
      const n = d % 1000 === 7 ? 300_000 : rng.int(0, 200);
      const set = new Uint32Array(n);
      for (let i = 0; i < n; i++) set[i] = (d * 7919 + i * 104729) >>> 0;
      kept.push(set);
      sets.set(d, set);
    }
    let wrong = 0;
    for (let d = 0; d < 3000; d++) {
      const got = sets.get(d);
      if (got.length !== kept[d]!.length || got.some((x, i) => x !== kept[d]![i])) wrong++;
    }
    expect(wrong).toBe(0);
  });
});

describe('band-key order', () => {
  it('sorts by key, ties in their original order (as a stable sort), at any size', () => {
    const rng = new Rng(11);
    for (const n of [0, 1, 7, 1000, 70_000]) {
      // Few distinct values in the low bits and the high bits, so that every pass matters.
      const keys = Uint32Array.from({ length: n }, () => (rng.int(0, 40) * 0x1000003 + rng.int(0, 3)) >>> 0);
      const expected = [...keys.keys()].sort((a, b) => keys[a]! - keys[b]! || a - b);
      const k = keys.slice();
      const v = Uint32Array.from({ length: n }, (_, i) => i);
      radixSortByKey(k, v, n, new Uint32Array(n), new Uint32Array(n));
      expect([...v]).toEqual(expected);
      expect([...k]).toEqual(expected.map((i) => keys[i]!));
    }
  });
});

/** Row-major keys of `docs` documents over `bands` bands, band b drawn from `alphabet[b]` values. */
function randomKeys(docs: number, alphabet: number[], seed: number): Uint32Array {
  const rng = new Rng(seed);
  const bands = alphabet.length;
  const keys = new Uint32Array(docs * bands);
  for (let d = 0; d < docs; d++)
    for (let b = 0; b < bands; b++) keys[d * bands + b] = rng.int(0, alphabet[b]! - 1);
  return keys;
}

function visitAll(keys: Uint32Array, bands: number, live: number[], maxBucket?: number) {
  const seen: string[] = [];
  const stats = forEachCandidatePair(
    keys,
    bands,
    Uint32Array.from(live),
    (a, b) => {
      expect(a).toBeLessThan(b);
      seen.push(`${a}-${b}`);
    },
    { maxBucket },
  );
  return { seen, stats };
}

function sharedBands(keys: Uint32Array, bands: number, x: number, y: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < bands; b++) if (keys[x * bands + b] === keys[y * bands + b]) out.push(b);
  return out;
}

describe('candidate pairs', () => {
  it('visits each pair that shares a band exactly once, however many bands it shares', () => {
    const bands = 6;
    const keys = randomKeys(300, [4, 6, 8, 10, 12, 30], 5);
    const live = [...Array(300).keys()].filter((d) => d % 17 !== 3);
    const { seen, stats } = visitAll(keys, bands, live);
    let distinct = 0;
    let withRepeats = 0;
    const expected: string[] = [];
    for (const y of live)
      for (const x of live) {
        if (x >= y) continue;
        const shared = sharedBands(keys, bands, x, y).length;
        withRepeats += shared;
        if (shared > 0) {
          distinct++;
          expected.push(`${x}-${y}`);
        }
      }
    expect(withRepeats).toBeGreaterThan(distinct * 1.2);
    expect(seen.length).toBe(distinct);
    expect(new Set(seen).size).toBe(distinct);
    expect([...seen].sort()).toEqual(expected.sort());
    expect(stats).toEqual({ visited: distinct, oversized: 0, bucketLimit: Number.POSITIVE_INFINITY });
  });

  it('handles buckets over the limit once per pair, visiting exactly the pairs it promises', () => {
    const bands = 5;
    // Bands 0, 2 and 4 make buckets of about 100 to 130 (over the limit of 20), bands 1 and 3 not.
    const docs = 400;
    const keys = randomKeys(docs, [3, 40, 4, 60, 3], 9);
    const maxBucket = 20;
    const window = 3;
    const live = [...Array(docs).keys()].filter((d) => d % 13 !== 5);
    const seen: string[] = [];
    const stats = forEachCandidatePair(
      keys,
      bands,
      Uint32Array.from(live),
      (a, b) => {
        expect(a).toBeLessThan(b);
        seen.push(`${a}-${b}`);
      },
      { maxBucket, window },
    );
    expect(new Set(seen).size).toBe(seen.length);
    expect(stats.oversized).toBeGreaterThan(0);
    expect(stats.bucketLimit).toBe(maxBucket);
    // The promise, pair by pair: a pair sharing a bucket within the limit is visited; one whose
    // shared buckets are all over it is visited when the two are at most `window` apart in the
    // first of them.
    const bucket = (x: number, band: number) =>
      live.filter((d) => keys[d * bands + band] === keys[x * bands + band]);
    const expected: string[] = [];
    let lost = 0;
    let oversizedPairs = 0;
    for (const y of live)
      for (const x of live) {
        if (x >= y) continue;
        const shared = sharedBands(keys, bands, x, y);
        if (shared.length === 0) continue;
        let visited = shared.some((c) => bucket(x, c).length <= maxBucket);
        if (!visited) {
          oversizedPairs++;
          const first = bucket(x, shared[0]!);
          visited = first.indexOf(y) - first.indexOf(x) <= window;
        }
        if (visited) expected.push(`${x}-${y}`);
        else lost++;
      }
    expect(oversizedPairs).toBeGreaterThan(1000);
    expect(lost).toBeGreaterThan(0);
    expect([...seen].sort()).toEqual(expected.sort());
  });

  it('compares buckets pair by pair from the smallest up while their pairs fit the budget', () => {
    // Band 0: one bucket of each size 2..30 (464 documents); band 1: all keys distinct.
    const sizes = Array.from({ length: 29 }, (_, i) => i + 2);
    const docs = sizes.reduce((s, m) => s + m, 0);
    const keys = new Uint32Array(docs * 2);
    let d = 0;
    for (const m of sizes)
      for (let i = 0; i < m; i++, d++) {
        keys[d * 2] = m;
        keys[d * 2 + 1] = 1000 + d;
      }
    const live = Uint32Array.from({ length: docs }, (_, i) => i);
    const stats = forEachCandidatePair(keys, 2, live, () => {}, {
      pairsPerDocument: 1,
      minBandPairs: 0,
      window: 2,
    });
    // Budget 464 pairs: sizes 2..14 hold C(15, 3) = 455 pairs, adding size 15 would make 560.
    expect(stats.bucketLimit).toBe(14);
    expect(stats.oversized).toBe(16);
    // 455 pairs, then 2m - 3 per oversized bucket of m (each document with its 2 predecessors).
    expect(stats.visited).toBe(455 + sizes.filter((m) => m > 14).reduce((s, m) => s + 2 * m - 3, 0));
    // Without a binding budget (the floor, 2^21 pairs, is far above), plain LSH.
    const plain = forEachCandidatePair(keys, 2, live, () => {});
    expect(plain.bucketLimit).toBe(Number.POSITIVE_INFINITY);
    expect(plain.visited).toBe(sizes.reduce((s, m) => s + (m * (m - 1)) / 2, 0));
  });

  it('counts one verification per distinct candidate pair in findDuplicates', () => {
    // Sixty-word texts from one template with four numbered slots: siblings share about 0.66 of
    // their shingles (never 0.8), so many pairs share one or several bands and none merges.
    const words = Array.from({ length: 60 }, (_, i) =>
      String.fromCharCode(97 + (i % 26), 97 + Math.floor(i / 26)),
    );
    const rng = new Rng(21);
    const texts = Array.from({ length: 200 }, () => {
      const w = [...words];
      for (const slot of [8, 22, 36, 50]) w[slot] = String(rng.int(1, 1_000_000));
      return w.join(' ');
    });
    const r = dedup(texts);
    expect(r.counters.exactPairs + r.counters.nearPairs).toBe(0);
    const { bands, rows } = r.banding;
    const keys = new Uint32Array(texts.length * bands);
    texts.forEach((t, d) => {
      writeBandKeys(minhash(t, bands * rows, 3, true), r.banding, keys, d);
    });
    let distinct = 0;
    let withRepeats = 0;
    for (let y = 0; y < texts.length; y++)
      for (let x = 0; x < y; x++) {
        const shared = sharedBands(keys, bands, x, y).length;
        withRepeats += shared;
        if (shared > 0) distinct++;
      }
    expect(withRepeats).toBeGreaterThan(distinct * 1.2);
    expect(r.counters.candidatePairs).toBe(distinct);
    expect(r.counters.pairsVisited).toBe(distinct);
  });

  it('still clusters a large family of near-identical texts when buckets are over the limit', () => {
    const base = long[3]!.problem;
    const family = Array.from({ length: 300 }, (_, i) => `${base} Note ${i}.`);
    const others = long.slice(10, 30).map((p) => p.problem);
    const r = dedup([...others, ...family], DEFAULT_DEDUP_SETTINGS, { maxBucket: 16, window: 8 });
    expect(r.counters.oversizedBuckets).toBeGreaterThan(0);
    for (let i = 0; i < family.length; i++) expect(r.root[others.length + i]).toBe(others.length);
    for (let i = 0; i < others.length; i++) expect(r.size[i]).toBe(1);
    // Work stays near linear: far fewer visits than the 300^2/2 = 45,000 pairs of the family.
    expect(r.counters.pairsVisited).toBeLessThan(300 * 8 * 2);
  });
});

describe('exact duplicates at scale', () => {
  it('groups a few hundred thousand tiny texts by their text, in typed arrays', () => {
    // 60k distinct short texts, each repeated up to 5 times with other case and spacing, shuffled.
    const distinct = 60_000;
    const rng = new Rng(4);
    const texts: string[] = [];
    const textOf: number[] = [];
    for (let t = 0; t < distinct; t++)
      for (let c = 0; c < 1 + (t % 5); c++) {
        textOf.push(t);
        texts.push(c % 2 ? `WHAT IS  ${t} + ${t % 97}?` : `What is ${t} + ${t % 97}`);
      }
    for (let i = texts.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [texts[i], texts[j]] = [texts[j]!, texts[i]!];
      [textOf[i], textOf[j]] = [textOf[j]!, textOf[i]!];
    }
    const started = performance.now();
    const r = dedup(texts);
    const seconds = (performance.now() - started) / 1000;
    const firstOf = new Map<number, number>();
    textOf.forEach((t, i) => {
      if (!firstOf.has(t)) firstOf.set(t, i);
    });
    let wrong = 0;
    for (let i = 0; i < texts.length; i++) {
      const first = firstOf.get(textOf[i]!)!;
      if (r.root[i] !== first || (i !== first && r.exact[i] !== 1)) wrong++;
    }
    expect(texts.length).toBe(180_000);
    expect(wrong).toBe(0);
    expect(r.counters.exactPairs).toBe(texts.length - distinct);
    expect(r.counters.nearPairs).toBe(0);
    expect(seconds).toBeLessThan(30);
  }, 60_000);
});
