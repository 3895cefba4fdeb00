/**
 * Slot utilization: how busy `sparq run` keeps the `model.max_concurrency` request slots against a
 * model server with heavy-tailed latency (sim-server, log-normal, median 1,000 ms, sigma 0.9).
 *
 * A recording proxy between sparq and the server (which does not cap concurrency itself) records
 * every chat-completions request from its arrival to the end of its response. Utilization is the
 * time-averaged number of requests in flight at the proxy divided by `max_concurrency`, over the
 * middle 80% of the run's requests: from the start of the request at 10% of the requests in start
 * order to the start of the one at 90%, which leaves out the start-up and the final drain.
 *
 * Each case runs once per scheduler (the `scheduler` config key). A scheduler the config loader
 * rejects (exit code 2) is reported and skipped. `BENCH_SCHEDULERS` picks them, comma-separated,
 * `none` for a config without the key (the code's default); `BENCH_CONCURRENCY` the concurrencies.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { fmt, type ProxiedRequest, percentile, recordingProxy, runCli, spawnSimServer } from './helpers.js';

const LATENCY = ['--latency-ms', '1000', '--latency-sigma', '0.9'];
const GOAL = 0.95;
/** The scheduler a config without the key gets (once the steady scheduler has landed). */
const DEFAULT_SCHEDULER = 'steady';
const SEEDS = 200;

interface Case {
  concurrency: number;
  supportsN: boolean;
  /** budget.problems (generated problems, seeds not counted) for the generation scheduler ... */
  problems: number;
  /**
   * ... and for the steady scheduler: a few windows of tasks (the default window is 683 tasks at
   * concurrency 64 with n=8, 205 with 8 requests; 2,731 and 820 at 256), so that the middle 80%
   * is the steady state and not one window's start and drain.
   */
  steadyProblems: number;
}

/**
 * Budgets for a few thousand requests a run (the simulated model is deterministic, so a case sends
 * the same requests at either concurrency): about 3 requests per problem with n=8 (mutate, label,
 * solve), about 10 with 8 requests, plus the seeds' label and solve requests (1,800 with 8
 * requests). At the goal (mean latency 1.5 s) a run takes about 55 s with n=8 and 105 s with 8
 * requests at concurrency 64, a quarter of that at 256; the barrier scheduler takes 1.5-3 minutes.
 */
const CASES: Case[] = [
  { concurrency: 64, supportsN: true, problems: 600, steadyProblems: 2_000 },
  { concurrency: 64, supportsN: false, problems: 200, steadyProblems: 600 },
  { concurrency: 256, supportsN: true, problems: 600, steadyProblems: 7_000 },
  { concurrency: 256, supportsN: false, problems: 200, steadyProblems: 2_200 },
];

/** `null`: no scheduler key in the config. */
type Scheduler = string | null;

const label = (s: Scheduler) => s ?? 'no key';
const kAs = (c: Case) => (c.supportsN ? 'n=8' : '8 requests');

function configYaml(url: string, c: Case, scheduler: Scheduler): string {
  return [
    ...(scheduler === null ? [] : [`scheduler: ${scheduler}`]),
    'model:',
    `  base_urls: [${url}]`,
    `  max_concurrency: ${c.concurrency}`,
    `  supports_n: ${c.supportsN}`,
    'seeds:',
    `  sample: ${SEEDS}`,
    'solver:',
    '  k: 8',
    'budget:',
    '  generations: null',
    `  problems: ${(scheduler ?? DEFAULT_SCHEDULER) === 'steady' ? c.steadyProblems : c.problems}`,
    'log_level: warn',
    '',
  ].join('\n');
}

/**
 * The in-flight count integrated over [from, to] by a sweep over start and end events, divided by
 * the interval's length; and the peak in-flight count over the whole run.
 */
function meanInFlight(requests: ProxiedRequest[], from: number, to: number): { mean: number; peak: number } {
  // Ends before starts at equal times, so that back-to-back requests do not count as overlapping.
  const events = requests
    .flatMap((r) => [
      { t: r.start, d: 1 },
      { t: r.end, d: -1 },
    ])
    .sort((a, b) => a.t - b.t || a.d - b.d);
  let inFlight = 0;
  let peak = 0;
  let area = 0;
  let prev = Number.NEGATIVE_INFINITY;
  for (const e of events) {
    const overlap = Math.min(e.t, to) - Math.max(prev, from);
    if (overlap > 0) area += inFlight * overlap;
    inFlight += e.d;
    peak = Math.max(peak, inFlight);
    prev = e.t;
  }
  return { mean: to > from ? area / (to - from) : 0, peak };
}

interface Measured {
  utilization: number;
  requests: number;
  wallSeconds: number;
  windowSeconds: number;
  p50: number;
  p99: number;
  peak: number;
  failed: number;
  sent: string;
}

type Outcome = { kind: 'measured'; m: Measured } | { kind: 'rejected'; message: string };

async function measure(c: Case, scheduler: Scheduler, dir: string): Promise<Outcome> {
  const server = await spawnSimServer(LATENCY);
  // Connections well above any concurrency tested: the proxy must not be the cap.
  const proxy = await recordingProxy(server.url, { connections: 1024, keepBodies: false });
  try {
    const name = `c${c.concurrency}-${c.supportsN ? 'n' : 'split'}-${label(scheduler).replace(/\W/g, '')}`;
    const config = join(dir, `${name}.yaml`);
    writeFileSync(config, configYaml(proxy.url, c, scheduler));
    const runDir = join(dir, name);
    const started = performance.now();
    const result = await runCli(['run', runDir, '--config', config, '--quiet']);
    const wallSeconds = (performance.now() - started) / 1000;
    if (result.code === 2)
      return { kind: 'rejected', message: result.stderr.trim().replace(/\s*\n\s*/g, ' ') };
    if (result.code !== 0) throw new Error(`sparq run failed (exit ${result.code}): ${result.stderr}`);
    const requests = [...proxy.requests].sort((a, b) => a.start - b.start);
    if (requests.length < 10) throw new Error(`only ${requests.length} requests recorded`);
    const from = requests[Math.floor(0.1 * requests.length)]!.start;
    const to = requests[Math.floor(0.9 * requests.length)]!.start;
    const { mean, peak } = meanInFlight(requests, from, to);
    const latencies = requests.map((r) => r.end - r.start);
    const db = new Database(join(runDir, 'sparq.db'), { readonly: true });
    const byPurpose = db
      .prepare('SELECT purpose, COUNT(*) AS n FROM request_log GROUP BY purpose ORDER BY purpose')
      .all() as { purpose: string; n: number }[];
    db.close();
    return {
      kind: 'measured',
      m: {
        utilization: mean / c.concurrency,
        requests: requests.length,
        wallSeconds,
        windowSeconds: (to - from) / 1000,
        p50: percentile(latencies, 0.5),
        p99: percentile(latencies, 0.99),
        peak,
        failed: requests.filter((r) => r.status !== 200).length,
        sent: byPurpose.map((r) => `${r.purpose} ${fmt(r.n)}`).join(', '),
      },
    };
  } finally {
    await proxy.close();
    server.stop();
  }
}

export async function run(): Promise<void> {
  const schedulers: Scheduler[] = (process.env.BENCH_SCHEDULERS ?? `${DEFAULT_SCHEDULER},generations`)
    .split(',')
    .map((s) => s.trim())
    .map((s) => (s === 'none' ? null : s));
  const concurrencies = process.env.BENCH_CONCURRENCY?.split(',').map(Number);
  const cases = CASES.filter((c) => !concurrencies || concurrencies.includes(c.concurrency));
  console.log(
    `slot utilization of \`sparq run\` against sim-server ${LATENCY.join(' ')} (log-normal, median 1,000 ms), through a recording proxy; k=8, ${SEEDS} seeds, otherwise default settings; in flight at the proxy / max_concurrency over the middle 80% of requests`,
  );
  const rejected = new Map<Scheduler, string>();
  const results = new Map<string, Measured>();
  const key = (c: Case, s: Scheduler) => `${c.concurrency}|${c.supportsN}|${label(s)}`;
  const dir = mkdtempSync(join(tmpdir(), 'sparq-bench-util-'));
  try {
    // One run at a time: on 2 cores, parallel runs would compete with each other and the server.
    for (const c of cases) {
      for (const s of schedulers) {
        if (rejected.has(s)) continue;
        const out = await measure(c, s, dir);
        if (out.kind === 'rejected') {
          rejected.set(s, out.message);
          console.log(
            `    note: \`scheduler: ${label(s)}\` was rejected by the config loader (exit 2), skipped in every case: ${out.message}`,
          );
          continue;
        }
        const m = out.m;
        results.set(key(c, s), m);
        console.log(
          `    concurrency ${c.concurrency}, k as ${kAs(c)}, scheduler ${label(s)}: utilization ${m.utilization.toFixed(3)}; ` +
            `${fmt(m.requests)} requests recorded (${m.sent}${m.failed > 0 ? `; ${m.failed} not 200` : ''}), ` +
            `${m.wallSeconds.toFixed(1)} s wall (window ${m.windowSeconds.toFixed(1)} s), ` +
            `latency at the proxy p50 ${fmt(m.p50)} ms / p99 ${fmt(m.p99)} ms, peak in flight ${m.peak}`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const ran = schedulers.filter((s) => !rejected.has(s));
  const cell = (c: Case, f: (m: Measured) => string) =>
    ran.length === 0
      ? '-'
      : ran
          .map((s) => results.get(key(c, s)))
          .map((m) => (m ? f(m) : '-'))
          .join(' / ');
  console.log('');
  console.log(`| concurrency | k as | ${schedulers.map(label).join(' | ')} | requests | wall s |`);
  console.log(`|---|---|${schedulers.map(() => '---|').join('')}---|---|`);
  for (const c of cases) {
    const utils = schedulers.map((s) => {
      const m = results.get(key(c, s));
      return m ? m.utilization.toFixed(3) : rejected.has(s) ? 'rejected' : '-';
    });
    console.log(
      `| ${c.concurrency} | ${kAs(c)} | ${utils.join(' | ')} | ${cell(c, (m) => fmt(m.requests))} | ${cell(c, (m) => m.wallSeconds.toFixed(1))} |`,
    );
  }
  if (ran.length > 1) console.log(`(requests and wall s: ${ran.map(label).join(' / ')})`);

  // The default scheduler is what a config without the key gets: that run if there is one.
  const judged: Scheduler | undefined = ran.includes(null)
    ? null
    : ran.includes(DEFAULT_SCHEDULER)
      ? DEFAULT_SCHEDULER
      : undefined;
  console.log('');
  console.log(
    `goal: >= ${GOAL} with the default scheduler${judged === undefined ? ' (not measured: it did not run)' : ` (${judged === null ? 'config without the scheduler key' : judged})`}`,
  );
  if (judged === undefined) return;
  for (const c of cases) {
    const m = results.get(key(c, judged));
    if (!m) continue;
    console.log(
      `    concurrency ${c.concurrency}, k as ${kAs(c)}: ${m.utilization.toFixed(3)} ${m.utilization >= GOAL ? 'pass' : 'FAIL'}`,
    );
  }
}
