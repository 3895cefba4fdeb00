/** CheckerPool: same verdicts as the synchronous checker, and a hard time limit per check. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { AnswerChecker, CheckerPool } from '../../src/answer/index.js';

const HANG_WORKER = new URL('./fixtures/hang-worker.mjs', import.meta.url);
const DATA = fileURLToPath(new URL('../../data/answer-tests/', import.meta.url));

describe('CheckerPool with the real worker', () => {
  const pool = new CheckerPool({ workers: 2, timeoutMs: 5000 });
  afterAll(() => pool.close());

  it('returns the synchronous verdicts, in order, for plain and extracted pairs', async () => {
    const cases = readFileSync(`${DATA}equivalence_cases.jsonl`, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { gold: string; predicted: string });
    const sync = new AnswerChecker({ timeoutMs: 5000 });
    const pairs = [
      ...cases.map((c) => ({ gold: c.gold, predicted: c.predicted })),
      { gold: '18', predicted: 'so she earns $18.\nA: 18', extract: true },
      { gold: '5', predicted: 'I do not know how to solve this.', extract: true },
    ];
    const verdicts = await pool.checkMany(pairs);
    expect(verdicts).toHaveLength(pairs.length);
    cases.forEach((c, k) => {
      expect(verdicts[k]).toEqual(sync.check(c.gold, c.predicted));
    });
    expect(verdicts[cases.length]).toMatchObject({
      equivalent: true,
      extracted: { found: true, source: 'gsm8k-a' },
    });
    expect(verdicts[cases.length + 1]).toMatchObject({ equivalent: false, rule: 'no-answer' });
  });

  it('handles an empty batch', async () => {
    expect(await pool.checkMany([])).toEqual([]);
  });
});

describe('CheckerPool time limits', () => {
  it('terminates a stuck worker, reports timeout for that pair only, and keeps going', async () => {
    const pool = new CheckerPool({ workers: 1, timeoutMs: 300, chunkSize: 8, workerUrl: HANG_WORKER });
    try {
      const start = performance.now();
      const verdicts = await pool.checkMany([
        { gold: 'a', predicted: 'a' },
        { gold: 'HANG', predicted: 'x' },
        { gold: 'b', predicted: 'c' },
        { gold: 'd', predicted: 'd' },
      ]);
      expect(verdicts).toEqual([
        { equivalent: true, rule: 'fixture' },
        { equivalent: false, rule: 'timeout' },
        { equivalent: false, rule: 'fixture' },
        { equivalent: true, rule: 'fixture' },
      ]);
      expect(performance.now() - start).toBeLessThan(5000);
      // The replacement worker serves later batches.
      expect(await pool.checkMany([{ gold: 'e', predicted: 'e' }])).toEqual([
        { equivalent: true, rule: 'fixture' },
      ]);
    } finally {
      await pool.close();
    }
  });

  it('a batch time limit turns everything unfinished into timeouts', async () => {
    const pool = new CheckerPool({
      workers: 2,
      timeoutMs: 60_000,
      batchTimeoutMs: 400,
      workerUrl: HANG_WORKER,
    });
    try {
      const verdicts = await pool.checkMany([
        { gold: 'HANG', predicted: 'x' },
        { gold: 'HANG', predicted: 'y' },
        { gold: 'z', predicted: 'z' },
      ]);
      expect(verdicts.slice(0, 2)).toEqual([
        { equivalent: false, rule: 'timeout' },
        { equivalent: false, rule: 'timeout' },
      ]);
    } finally {
      await pool.close();
    }
  });

  it('a worker that dies gives an error verdict for its pair and is replaced', async () => {
    const pool = new CheckerPool({ workers: 1, timeoutMs: 2000, workerUrl: HANG_WORKER });
    try {
      const verdicts = await pool.checkMany([
        { gold: 'CRASH', predicted: 'x' },
        { gold: 'q', predicted: 'q' },
      ]);
      expect(verdicts[0]!.equivalent).toBe(false);
      expect(verdicts[0]!.rule).toMatch(/^error:worker/);
      expect(verdicts[1]).toEqual({ equivalent: true, rule: 'fixture' });
    } finally {
      await pool.close();
    }
  });

  it('close() settles pending checks', async () => {
    const pool = new CheckerPool({ workers: 1, timeoutMs: 60_000, workerUrl: HANG_WORKER });
    const pending = pool.checkMany([{ gold: 'HANG', predicted: 'x' }]);
    await new Promise((r) => setTimeout(r, 200));
    await pool.close();
    expect(await pending).toEqual([{ equivalent: false, rule: 'error:pool-closed' }]);
  });

  it('explains a missing compiled worker', () => {
    expect(() => new CheckerPool({ workerUrl: new URL('file:///nonexistent/worker.js') })).toThrow(
      /npm run build/,
    );
  });
});
