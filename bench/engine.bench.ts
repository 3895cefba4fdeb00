/**
 * The engine: (1) end-to-end solve attempts checked and stored per second against the raw
 * request ceiling x attempts per request; (2) RSS as the pool grows to 100,000 problems;
 * (3) solver calls per problem of adaptive versus fixed k at matched difficulty-band agreement.
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Pool } from 'undici';
import { loadConfig } from '../src/config/load.js';
import { bandDecided, bandOf } from '../src/core/solve-rate.js';
import { executeRun } from '../src/engine/execute.js';
import { loadTemplate, renderTemplate } from '../src/prompts/templates.js';
import { MAX_LEVEL } from '../src/sim/families/family.js';
import { FAMILIES } from '../src/sim/families/index.js';
import { solveProbability } from '../src/sim/problem.js';
import { Rng } from '../src/util/hash.js';
import { fmt, spawnSimServer } from './helpers.js';

const K = 8;

async function rawSolveCeiling(url: string, seconds: number): Promise<number> {
  const base = new URL(url);
  const pool = new Pool(base.origin, { connections: 64 });
  const template = loadTemplate('solve');
  const bodies = Array.from({ length: 500 }, (_, i) =>
    JSON.stringify({
      model: 'sim-1',
      messages: renderTemplate(template, {
        problem: `Let $a$ be the greatest common divisor of $${84 + i}$ and $126$. Let $b$ be the number of positive divisors of $${360 + i}$. Find $2a - b + 3$.`,
      }),
      n: K,
      temperature: 0.7,
      seed: i,
    }),
  );
  let done = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (performance.now() < end) {
        const res = await pool.request({
          method: 'POST',
          path: `${base.pathname}/chat/completions`,
          headers: { 'content-type': 'application/json' },
          body: bodies[done % bodies.length],
        });
        await res.body.json();
        done++;
      }
    }),
  );
  await pool.close();
  return done / ((performance.now() - started) / 1000);
}

async function endToEnd(): Promise<void> {
  const server = await spawnSimServer();
  try {
    await rawSolveCeiling(server.url, 2); // warm-up
    const ceiling = (await rawSolveCeiling(server.url, 6)) * K;
    const dir = join(tmpdir(), `sparq-bench-e2e-${process.pid}`);
    rmSync(dir, { recursive: true, force: true });
    const config = loadConfig({
      overrides: Object.entries({
        'model.base_urls': [server.url],
        'model.max_concurrency': 64,
        'seeds.sample': 1500,
        'generation.batch_size': 1500,
        'solver.k': K,
        'budget.generations': 4,
        log_level: 'warn',
      }).map(([path, value]) => ({ path, value, flag: 'bench' })),
    });
    await executeRun(dir, config, { quiet: true });
    const db = new Database(join(dir, 'sparq.db'), { readonly: true });
    const attempts = (db.prepare('SELECT COUNT(*) AS n FROM attempts').get() as { n: number }).n;
    const seconds = (
      db.prepare('SELECT metrics_json FROM generations').all() as { metrics_json: string }[]
    ).reduce((s, r) => s + (JSON.parse(r.metrics_json) as { seconds: number }).seconds, 0);
    const requests = (
      db.prepare('SELECT purpose, COUNT(*) AS n FROM requests GROUP BY purpose').all() as {
        purpose: string;
        n: number;
      }[]
    )
      .map((r) => `${r.purpose} ${fmt(r.n)}`)
      .join(', ');
    db.close();
    rmSync(dir, { recursive: true, force: true });
    const rate = attempts / seconds;
    console.log(
      `(1) end to end, zero-latency sim-server process, k=${K}, 1,500 seeds + 4 generations of 1,500, concurrency 64`,
    );
    console.log(`    raw ceiling: ${fmt(ceiling / K)} solve req/s x ${K} = ${fmt(ceiling)} attempts/s`);
    console.log(
      `    sparq run:   ${fmt(attempts)} attempts checked and stored in ${seconds.toFixed(1)} s = ${fmt(rate)} attempts/s (requests: ${requests})`,
    );
    console.log(
      `    ratio:       ${(rate / ceiling).toFixed(2)} of the ceiling (goal >= 0.30; every problem also costs a mutate and a label request)`,
    );
  } finally {
    server.stop();
  }
}

async function memory(): Promise<void> {
  const dir = join(tmpdir(), `sparq-bench-rss-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  const samples: string[] = [];
  const batch = 2500;
  for (let g = 1; g <= 40; g++) {
    const config = loadConfig({
      overrides: Object.entries({
        'model.kind': 'sim',
        'seeds.sample': 500,
        'generation.batch_size': batch,
        'solver.k': 4,
        'budget.generations': g,
        log_level: 'warn',
      }).map(([path, value]) => ({ path, value, flag: 'bench' })),
    });
    await executeRun(dir, config, { quiet: true });
    if (g % 8 === 0) {
      global.gc?.();
      const db = new Database(join(dir, 'sparq.db'), { readonly: true });
      const n = (db.prepare('SELECT COUNT(*) AS n FROM problems').get() as { n: number }).n;
      db.close();
      samples.push(`${fmt(n)} problems: ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`);
    }
  }
  rmSync(dir, { recursive: true, force: true });
  console.log(
    `(2) RSS of the sparq process as the pool grows (in-process simulated model, batches of ${fmt(batch)}, k=4)`,
  );
  console.log(`    ${samples.join(' | ')}   (goal < 300 MB, flat)`);
}

function adaptiveVsFixed(): void {
  // Problems with known true solve probabilities: the simulator's own, across levels and compounds.
  const rng = new Rng(2024);
  const truths: number[] = [];
  for (let i = 0; i < 4000; i++) {
    const count = rng.weighted([0.6, 0.3, 0.1]) + 1;
    const atoms = Array.from({ length: count }, () => {
      const family = rng.pick(FAMILIES);
      return { family, params: family.generate(rng, rng.int(1, MAX_LEVEL)) };
    });
    truths.push(solveProbability({ atoms, coefs: atoms.map(() => 1), constant: 0 }));
  }
  const cuts = [0.25, 0.5, 0.75];
  const sample = (p: number, r: Rng) => (r.next() < p ? 1 : 0);
  const fixed = (k: number) => {
    const r = new Rng(k);
    let agree = 0;
    for (const p of truths) {
      let c = 0;
      for (let i = 0; i < k; i++) c += sample(p, r);
      if (bandOf(c / k, cuts) === bandOf(p, cuts)) agree++;
    }
    return agree / truths.length;
  };
  const adaptive = (round: number, maxK: number, confidence: number) => {
    const r = new Rng(maxK + round);
    let agree = 0;
    let calls = 0;
    for (const p of truths) {
      let c = 0;
      let n = 0;
      while (n < maxK) {
        for (let i = 0; i < round; i++) c += sample(p, r);
        n += round;
        if (bandDecided(c, n, cuts, confidence)) break;
      }
      calls += n;
      if (bandOf(c / n, cuts) === bandOf(p, cuts)) agree++;
    }
    return { agreement: agree / truths.length, calls: calls / truths.length };
  };
  console.log(
    `(3) solver calls per problem for the difficulty band (cuts ${cuts.join(', ')}), ${fmt(truths.length)} simulated problems with known solve probability`,
  );
  let fixedAt95: number | null = null;
  for (const k of [8, 16, 32, 64, 128, 256, 384, 512, 768, 1024]) {
    const a = fixed(k);
    console.log(`    fixed k=${String(k).padEnd(4)} agreement ${(a * 100).toFixed(1)}%`);
    if (fixedAt95 === null && a >= 0.95) fixedAt95 = k;
  }
  let best: { calls: number; agreement: number; label: string } | null = null;
  for (const confidence of [0.9, 0.95, 0.99]) {
    for (const maxK of [256, 512, 1024]) {
      const res = adaptive(4, maxK, confidence);
      const label = `round 4, max_k ${maxK}, confidence ${confidence}`;
      console.log(
        `    adaptive ${label.padEnd(36)} agreement ${(res.agreement * 100).toFixed(1)}%, ${res.calls.toFixed(1)} calls/problem`,
      );
      if (res.agreement >= 0.95 && (!best || res.calls < best.calls)) best = { ...res, label };
    }
  }
  if (fixedAt95 !== null && best) {
    console.log(
      `    => for >= 95% band agreement: fixed needs k=${fixedAt95}, adaptive (${best.label}) ${best.calls.toFixed(1)} calls: ratio ${(best.calls / fixedAt95).toFixed(2)} (goal <= 0.60)`,
    );
  }
}

export async function run(): Promise<void> {
  const only = process.env.SPARQ_BENCH_PART;
  if (!only || only === 'e2e') await endToEnd();
  if (!only || only === 'rss') await memory();
  if (!only || only === 'adaptive') adaptiveVsFixed();
}
