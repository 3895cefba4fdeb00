import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UnionFind } from '../../src/curation/dedup/clusters.js';
import { DEFAULT_DEDUP_SETTINGS, findDuplicates } from '../../src/curation/dedup/dedup.js';
import {
  candidateProbability,
  chooseBanding,
  MIN_RECALL_AT_THRESHOLD,
} from '../../src/curation/dedup/minhash-lsh.js';
import { jaccardSorted, shingleHashes } from '../../src/curation/dedup/shingle-sets.js';
import { FAMILIES } from '../../src/sim/families/index.js';
import { Rng } from '../../src/util/hash.js';

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

function dedup(texts: string[], settings = DEFAULT_DEDUP_SETTINGS) {
  return findDuplicates(
    texts.map((text, i) => ({ key: `d${i}`, text })),
    texts.length,
    settings,
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
