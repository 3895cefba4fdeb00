/**
 * `sparq watch DIR`: one frame of a run's dashboard, read from the run database alone (it never
 * writes), so it works on a run that is running, stopped or finished, on this machine or over a
 * shared filesystem. The running process leaves what only it knows (requests in flight, its
 * rates) in the meta key `live` at each commit; the rest is what `sparq status` reads.
 */
import { HISTOGRAM_LABELS, histogramBin } from '../core/metrics.js';
import type { SqliteRunStore } from '../storage/sqlite-store.js';
import { duration } from '../util/duration.js';
import { formatMoney } from './cost.js';
import type { LiveState } from './scheduler.js';
import { readRunStatus } from './status.js';

export interface WatchData {
  status: ReturnType<typeof readRunStatus>;
  live: LiveState | null;
  /** Each complete epoch's QD-score, coverage, tasks, requests and seconds, oldest first. */
  epochs: {
    generation: number;
    qdScore: number;
    coverage: number;
    tasks: number;
    requests: number;
    seconds: number;
  }[];
  /** Verified problems per solve-rate bin (HISTOGRAM_LABELS). */
  histogram: number[];
  /** Tasks the budget allows (seeds + generations x batch size); null without a generation budget. */
  budgetTasks: number | null;
  /** Tokens and money the whole budget would take at the rate so far; null when unknown. */
  projected: { tokens: number; money: string | null } | null;
  now: number;
}

export function readWatchData(store: SqliteRunStore, now = Date.now()): WatchData {
  const status = readRunStatus(store);
  const liveJson = store.getMeta('live');
  const live = liveJson ? (JSON.parse(liveJson) as LiveState) : null;
  const epochs = store
    .generations()
    .filter((e) => !e.metrics.partial)
    .map((e) => ({
      generation: e.generation,
      qdScore: e.metrics.qdScore,
      coverage: e.metrics.coverage,
      tasks: e.metrics.evaluated + e.metrics.rejected,
      requests: e.metrics.spend?.requests ?? 0,
      seconds: e.metrics.seconds ?? 0,
    }));
  const histogram = HISTOGRAM_LABELS.map(() => 0);
  for (const r of store.solveRateCounts()) histogram[histogramBin(r.rate)]! += r.problems;
  const configJson = store.latestConfig()?.configJson ?? null;
  const config = configJson
    ? (JSON.parse(configJson) as {
        budget?: { generations?: number | null };
        generation?: { batch_size?: number };
      })
    : null;
  const seeds = status.problems.byOrigin.seed ?? 0;
  const generations = config?.budget?.generations ?? null;
  const batchSize = config?.generation?.batch_size ?? 64;
  const budgetTasks = generations === null ? null : seeds + generations * batchSize;
  const told = status.scheduler?.told ?? 0;
  const tokens = status.spend.promptTokens + status.spend.completionTokens;
  let projected: WatchData['projected'] = null;
  if (budgetTasks !== null && told > 0) {
    const factor = Math.max(1, budgetTasks / told);
    const cost = status.cost;
    projected = {
      tokens: tokens * factor,
      money: cost ? formatMoney(cost.amount * factor, cost.currency) : null,
    };
  }
  return { status, live, epochs, histogram, budgetTasks, projected, now };
}

const SPARK = '▁▂▃▄▅▆▇█';

export function sparkline(values: readonly number[]): string {
  if (values.length === 0) return '';
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return values
    .map(
      (v) => SPARK[hi === lo ? SPARK.length - 1 : Math.round(((v - lo) / (hi - lo)) * (SPARK.length - 1))]!,
    )
    .join('');
}

function bar(value: number, max: number, width: number): string {
  const n = max === 0 ? 0 : Math.round((value / max) * width);
  return '█'.repeat(n) + ' '.repeat(width - n);
}

const num = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** One frame, as plain text lines (no terminal control codes: `--once` output goes to scripts). */
export function formatWatchFrame(dir: string, d: WatchData): string {
  const s = d.status;
  const lines: string[] = [];
  const told = s.scheduler?.told ?? 0;
  const liveAge = d.live ? (d.now - Date.parse(d.live.at)) / 1000 : null;
  const running = d.live !== null && liveAge !== null && liveAge < 60 && d.live.stoppedBy === null;
  lines.push(
    `sparq watch ${dir}   run ${s.runId ?? '?'}   ${running ? `running (pid ${d.live!.pid}, last commit ${Math.round(liveAge!)} s ago)` : d.live ? `not running (last commit ${duration(liveAge!)} ago${d.live.stoppedBy ? `, stopped at ${d.live.stoppedBy}` : ''})` : 'not running'}`,
  );
  lines.push(
    `epoch      ${s.generation ?? '-'}${s.generationPartial ? ' (partial)' : ''}   tasks told ${num(told)}${d.budgetTasks !== null ? ` of ${num(d.budgetTasks)} (${pct(Math.min(1, told / d.budgetTasks))})` : ''}`,
  );
  // Over every epoch: in a steady-state run epochs overlap, and the last few end within moments
  // of each other, so one epoch's own rate says little.
  const seconds = d.epochs.reduce((t, e) => t + e.seconds, 0);
  if (!running && seconds > 0) {
    const tasks = d.epochs.reduce((t, e) => t + e.tasks, 0);
    const requests = d.epochs.reduce((t, e) => t + e.requests, 0);
    lines.push(
      `rate       ${(tasks / seconds).toFixed(1)} problems/s, ${(requests / seconds).toFixed(1)} requests/s over its ${num(d.epochs.length)} epochs (${duration(seconds)} running)`,
    );
  }
  if (running && d.live) {
    const slots =
      d.live.slots !== null && d.live.slots > 0
        ? `${num(d.live.inFlight)} of ${num(d.live.slots)} slots busy (${pct(d.live.inFlight / d.live.slots)})`
        : `${num(d.live.inFlight)} requests in flight`;
    lines.push(
      `rate       ${d.live.tasksPerSecond.toFixed(1)} problems/s, ${d.live.requestsPerSecond.toFixed(1)} requests/s   ${slots}, ${num(d.live.liveTasks)} live tasks`,
    );
    if (running && d.budgetTasks !== null && d.live.tasksPerSecond > 0)
      lines.push(`ETA        ${duration((d.budgetTasks - told) / d.live.tasksPerSecond)} to the budget`);
  }
  const total = s.problems.total;
  lines.push(
    `pool       ${num(total)} problems, verified ${pct(total ? s.problems.verified / total : 0)}, disputed ${pct(total ? s.problems.disputed / total : 0)}; ${num(s.rejections.total)} rejected`,
  );
  if (s.archive)
    lines.push(
      `archive    coverage ${pct(s.archive.coverage)} (${num(s.archive.occupied)}/${num(s.archive.cells)} taxonomy cells; "other" ${s.archive.otherOccupied}/${s.archive.otherCells}), QD-score ${s.archive.qdScore.toFixed(2)}`,
    );
  if (d.epochs.length > 0)
    lines.push(
      `QD-score   ${sparkline(d.epochs.slice(-60).map((e) => e.qdScore))}  (by epoch, last ${Math.min(60, d.epochs.length)})`,
    );
  const max = Math.max(...d.histogram);
  lines.push('solve-rate of the verified problems');
  HISTOGRAM_LABELS.forEach((label, i) => {
    lines.push(`  ${label.padEnd(10)} ${bar(d.histogram[i]!, max, 30)} ${num(d.histogram[i]!)}`);
  });
  const faults = Object.entries(s.faults)
    .map(([k, v]) => `${k} ${num(v)}`)
    .join(', ');
  lines.push(`faults     ${faults || 'none'}; retries ${num(s.retries)}, failed requests ${num(s.failures)}`);
  const tokens = s.spend.promptTokens + s.spend.completionTokens;
  lines.push(
    `spend      ${num(s.spend.requestsSent)} requests, ${num(tokens)} tokens${s.cost ? `, ${formatMoney(s.cost.amount, s.cost.currency)}` : ''}` +
      (d.projected
        ? `; the budget projects ${num(d.projected.tokens)} tokens${d.projected.money ? `, ${d.projected.money}` : ''}`
        : ''),
  );
  if (s.batch)
    lines.push(
      `batch      ${num(s.batch.files.waiting)} file(s) waiting (${num(s.batch.waitingRequests)} requests), ${num(s.batch.files.done)} done`,
    );
  return `${lines.join('\n')}\n`;
}
