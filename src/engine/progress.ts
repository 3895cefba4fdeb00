/**
 * Progress a person can watch: on a terminal, one live line (generation, problems, requests/s,
 * verified %, coverage, ETA) redrawn in place; otherwise plain log lines, one per generation and
 * one every 15 seconds, so CI logs and `nohup` files stay readable.
 */
export interface ProgressSnapshot {
  generation: number;
  lastGeneration: number | null;
  tasksDone: number;
  tasksTotal: number;
  problems: number;
  requestsSent: number;
  verifiedShare: number;
  coverage: number;
  /** Tasks asked and not yet told (the scheduler's window in use). */
  liveTasks: number;
  /** Model requests in flight, when known. */
  inFlight: number | null;
  etaSeconds: number | null;
}

export interface ProgressReporter {
  update(s: ProgressSnapshot): void;
  line(text: string): void;
  /** A note the user must see even with --quiet: a wait, a warning, seeds left out. */
  warn(text: string): void;
  close(): void;
}

function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function describeProgress(s: ProgressSnapshot, rate: number): string {
  const gen = s.lastGeneration === null ? `${s.generation}` : `${s.generation}/${s.lastGeneration}`;
  return [
    `gen ${gen}`,
    `tasks ${s.tasksDone}/${s.tasksTotal}`,
    `problems ${s.problems.toLocaleString('en-US')}`,
    `${rate.toFixed(0)} req/s`,
    `live ${s.liveTasks} tasks${s.inFlight === null ? '' : `, ${s.inFlight} requests`}`,
    `verified ${(s.verifiedShare * 100).toFixed(0)}%`,
    `coverage ${(s.coverage * 100).toFixed(1)}%`,
    `ETA ${formatDuration(s.etaSeconds)}`,
  ].join(' | ');
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr, quiet = false): ProgressReporter {
  const tty = stream.isTTY === true && !quiet;
  let last: ProgressSnapshot | null = null;
  let lastDraw = 0;
  let lastLog = Date.now();
  const samples: { t: number; sent: number }[] = [];
  const rate = () => {
    if (samples.length < 2) return 0;
    const a = samples[0]!;
    const b = samples[samples.length - 1]!;
    return b.t > a.t ? ((b.sent - a.sent) * 1000) / (b.t - a.t) : 0;
  };
  return {
    update(s) {
      const now = Date.now();
      samples.push({ t: now, sent: s.requestsSent });
      while (samples.length > 2 && now - samples[0]!.t > 10_000) samples.shift();
      last = s;
      if (quiet) return;
      if (tty && now - lastDraw > 200) {
        lastDraw = now;
        stream.write(`\r\x1b[2K${describeProgress(s, rate())}`);
      } else if (!tty && now - lastLog > 15_000) {
        lastLog = now;
        stream.write(`${new Date().toISOString()} ${describeProgress(s, rate())}\n`);
      }
    },
    line(text) {
      if (!quiet) this.warn(text);
    },
    warn(text) {
      if (tty) stream.write(`\r\x1b[2K${text}\n${last && !quiet ? describeProgress(last, rate()) : ''}`);
      else stream.write(`${quiet ? '' : `${new Date().toISOString()} `}${text}\n`);
    },
    close() {
      if (tty && !quiet) stream.write('\r\x1b[2K');
    },
  };
}
