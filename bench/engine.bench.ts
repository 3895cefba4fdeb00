/**
 * The engine: (1) end-to-end solve attempts checked and stored per second against the raw
 * request ceiling x attempts per request, for the run's whole request mix and for its solve
 * requests alone; (2) RSS as the pool grows to 100,000 problems;
 * (3) solver calls per problem of adaptive versus fixed k at matched difficulty-band agreement.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Pool } from 'undici';
import { bandDecided, bandOf } from '../src/core/solve-rate.js';
import { loadTemplate, renderTemplate } from '../src/prompts/templates.js';
import { MAX_LEVEL } from '../src/sim/families/family.js';
import { FAMILIES } from '../src/sim/families/index.js';
import { solveProbability } from '../src/sim/problem.js';
import { SqliteRunStore } from '../src/storage/sqlite-store.js';
import { Rng } from '../src/util/hash.js';
import { CLI, fmt, hasTaskset, pinToCore, recordingProxy, runCli, spawnSimServer } from './helpers.js';

const K = Number(process.env.BENCH_K ?? 8);

/** Replays request bodies as fast as a raw undici loop can: the ceiling of this client machine. */
async function rawCeiling(url: string, bodies: string[], seconds: number): Promise<number> {
  const base = new URL(url);
  const pool = new Pool(base.origin, { connections: 64 });
  let done = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (performance.now() < end) {
        const body = bodies[done++ % bodies.length];
        const res = await pool.request({
          method: 'POST',
          path: `${base.pathname}/chat/completions`,
          headers: { 'content-type': 'application/json' },
          body,
        });
        await res.body.json();
      }
    }),
  );
  await pool.close();
  return done / ((performance.now() - started) / 1000);
}

/**
 * The solve requests a finished run sent, rebuilt from its pool (template + problem + the sampling
 * parameters stored with each problem), so the ceiling is measured on exactly those requests.
 */
function solveBodies(runDir: string): string[] {
  const store = SqliteRunStore.openReadOnly(runDir);
  const template = loadTemplate('solve');
  try {
    return [...store.iterateProblems()].flatMap((problem) => {
      const p = problem.solveParams;
      if (!p) return [];
      return [
        JSON.stringify({
          model: 'sim-1',
          messages: renderTemplate(template, { problem: problem.problem }),
          n: p.n,
          temperature: p.temperature,
          top_p: p.topP,
          max_tokens: p.maxTokens,
          seed: p.seed,
        }),
      ];
    });
  } finally {
    store.close();
  }
}

async function endToEnd(): Promise<void> {
  // Client and server on a core each: on a cluster the model runs on other machines, and on two
  // cores an unpinned server would take CPU from whichever client it is measured against.
  const pinned = hasTaskset();
  const server = await spawnSimServer([], pinned ? 1 : undefined);
  const dir = join(tmpdir(), `sparq-bench-e2e-${process.pid}`);
  try {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const configFor = (url: string) =>
      `model:\n  base_urls: [${url}]\n  max_concurrency: 64\nseeds:\n  sample: 1500\ngeneration:\n  batch_size: 1500\nsolver:\n  k: ${K}\nbudget:\n  generations: 4\nlog_level: warn\n`;
    // First the same run through a recording proxy, untimed: the simulated model is deterministic,
    // so this records exactly the requests the timed run sends, of every purpose.
    const proxy = await recordingProxy(server.url);
    const recordConfig = join(dir, 'record.yaml');
    writeFileSync(recordConfig, configFor(proxy.url));
    const recorded = await runCli(['run', join(dir, 'recorded'), '--config', recordConfig, '--quiet']);
    if (recorded.code !== 0) throw new Error(`sparq run failed: ${recorded.stderr}`);
    await proxy.close();
    const allBodies = proxy.bodies;
    const config = join(dir, 'sparq.yaml');
    writeFileSync(config, configFor(server.url));
    const runDir = join(dir, 'run');
    const command = [process.execPath, CLI, 'run', runDir, '--config', config, '--quiet'];
    if (pinned) command.unshift('taskset', '-c', '0');
    const result = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`sparq run failed: ${result.stderr}`);
    const db = new Database(join(runDir, 'sparq.db'), { readonly: true });
    const attempts = (db.prepare('SELECT SUM(attempts) AS n FROM problems').get() as { n: number }).n;
    const seconds = (
      db.prepare('SELECT metrics_json FROM generations').all() as { metrics_json: string }[]
    ).reduce((s, r) => s + (JSON.parse(r.metrics_json) as { seconds: number }).seconds, 0);
    const byPurpose = db.prepare('SELECT purpose, COUNT(*) AS n FROM request_log GROUP BY purpose').all() as {
      purpose: string;
      n: number;
    }[];
    const requests = byPurpose.map((r) => `${r.purpose} ${fmt(r.n)}`).join(', ');
    const sent = byPurpose.reduce((sum, r) => sum + r.n, 0);
    db.close();
    const bodies = solveBodies(runDir);
    if (pinned) pinToCore(0);
    await rawCeiling(server.url, bodies, 2); // warm-up
    const ceiling = (await rawCeiling(server.url, bodies, 8)) * K;
    const mixCeiling = await rawCeiling(server.url, allBodies, 8);
    if (pinned) spawnSync('taskset', ['-pc', '0-1', String(process.pid)]);
    const rate = attempts / seconds;
    console.log(
      `(1) end to end: \`sparq run\` against a zero-latency sim-server process, k=${K}, 1,500 seeds + 4 generations of 1,500, concurrency 64${pinned ? '; client and server pinned to one core each' : ''}`,
    );
    console.log(
      `    raw ceiling: the run's own ${fmt(bodies.length)} solve requests replayed by a raw undici loop: ${fmt(ceiling / K)} req/s x ${K} = ${fmt(ceiling)} attempts/s`,
    );
    console.log(
      `    sparq run:   ${fmt(attempts)} attempts checked and stored in ${seconds.toFixed(1)} s = ${fmt(rate)} attempts/s (requests: ${requests})`,
    );
    console.log(
      `    ratio:       ${(rate / ceiling).toFixed(2)} of the ceiling (goal >= 0.30; each problem also costs a mutate and a label request)`,
    );
    if (allBodies.length !== sent)
      console.log(
        `    (the recorded run sent ${fmt(allBodies.length)} requests, the timed one ${fmt(sent)})`,
      );
    const perRequest = attempts / sent;
    console.log(
      `    same request mix: the run's ${fmt(allBodies.length)} requests of all purposes replayed by the raw loop: ${fmt(mixCeiling)} req/s x ${perRequest.toFixed(2)} attempts per request = ${fmt(mixCeiling * perRequest)} attempts/s`,
    );
    console.log(
      `    ratio:       ${(rate / (mixCeiling * perRequest)).toFixed(2)} of the same-mix ceiling (sparq sent ${fmt(sent / seconds)} req/s: the engine's overhead over bare HTTP)`,
    );
  } finally {
    server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * RSS of a `sparq run` process (against a sim-server process) as its pool grows to 100,000
 * problems, read from the per-generation memory figures the run records, with sparq's heap growth
 * limit and with V8's own heap sizing.
 */
async function memory(): Promise<void> {
  const pinned = hasTaskset();
  const server = await spawnSimServer([], pinned ? 1 : undefined);
  const dir = join(tmpdir(), `sparq-bench-rss-${process.pid}`);
  const batch = 1000;
  try {
    // sparq's own heap growth limit, then V8's adaptive sizing (0 = V8 decides), which is what a
    // run without the limit would do.
    for (const growth of [null, 0]) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const config = join(dir, 'sparq.yaml');
      writeFileSync(
        config,
        `model:\n  base_urls: [${server.url}]\n  max_concurrency: 64\nseeds:\n  sample: 1000\ngeneration:\n  batch_size: ${batch}\nsolver:\n  k: 4\nbudget:\n  problems: 100000\n  generations: null\nlog_level: warn\n`,
      );
      const runDir = join(dir, 'run');
      const command = [
        process.execPath,
        ...(growth === null ? [] : [`--heap-growing-percent=${growth}`]),
        CLI,
        'run',
        runDir,
        '--config',
        config,
        '--quiet',
      ];
      if (pinned) command.unshift('taskset', '-c', '0');
      const result = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`sparq run failed: ${result.stderr}`);
      const db = new Database(join(runDir, 'sparq.db'), { readonly: true });
      const rows = db
        .prepare('SELECT generation, metrics_json FROM generations ORDER BY generation')
        .all() as { generation: number; metrics_json: string }[];
      db.close();
      let pool = 0;
      let peak = 0;
      let peakAtHalf = 0;
      const points: string[] = [];
      for (const r of rows) {
        const m = JSON.parse(r.metrics_json) as { evaluated: number; rssMb: number; peakRssMb: number };
        pool += m.evaluated;
        peak = Math.max(peak, m.peakRssMb);
        if (pool >= 50_000 && peakAtHalf === 0) peakAtHalf = peak;
        if (r.generation % 20 === 0 || r.generation === rows.length - 1)
          points.push(`${fmt(pool)}: ${m.rssMb} MB`);
      }
      console.log(
        `(2) RSS of \`sparq run\` at the end of generations, by pool size (batches of ${fmt(batch)}, k=4), ${growth === null ? "sparq's heap growth limit" : `node --heap-growing-percent=${growth} (V8's own heap sizing)`}`,
      );
      console.log(`    ${points.join(' | ')}`);
      console.log(
        `    peak RSS of the process: ${peakAtHalf} MB by 50,000 problems, ${peak} MB by ${fmt(pool)}   (goal < 300 MB, flat)`,
      );
    }
  } finally {
    server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
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
  const only = process.env.BENCH_ONLY?.split(',');
  if (!only || only.includes('e2e')) await endToEnd();
  if (!only || only.includes('rss')) await memory();
  if (!only || only.includes('adaptive')) adaptiveVsFixed();
}
