import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';

export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/**
 * Starts `sparq sim-server` as its own process (in production the model server is not in the
 * client's process), pinned to core `cpu` when given.
 */
export function spawnSimServer(
  args: string[] = [],
  cpu?: number,
): Promise<{ url: string; child: ChildProcess; stop: () => void }> {
  const command = [process.execPath, CLI, 'sim-server', '--port', '0', ...args];
  if (cpu !== undefined && hasTaskset()) command.unshift('taskset', '-c', String(cpu));
  const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve({ url: m[1]!, child, stop: () => child.kill('SIGTERM') });
    });
    child.once('exit', (code) => reject(new Error(`sim-server exited with ${code}`)));
  });
}

export function hasTaskset(): boolean {
  return spawnSync('taskset', ['-V']).status === 0;
}

/**
 * Pins this process to one core and the model server to the other, so that client and server do
 * not compete for a core: on a real cluster the model runs on other machines.
 */
export function pinToCore(cpu: number): boolean {
  return hasTaskset() && spawnSync('taskset', ['-pc', String(cpu), String(process.pid)]).status === 0;
}

/** Wall seconds and peak RSS (MB) of one CLI command in its own process (GNU time). */
export function timedCli(args: string[]): { seconds: number; peakMb: number } {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', process.execPath, CLI, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const last = r.stderr.trim().split('\n').at(-1) ?? '';
  const m = /^([\d.]+) (\d+)$/.exec(last);
  if (r.status !== 0 || !m)
    throw new Error(`sparq ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return { seconds: Number(m[1]), peakMb: Number(m[2]) / 1024 };
}

export const timedText = (t: { seconds: number; peakMb: number }) =>
  `${t.seconds.toFixed(1)} s / ${t.peakMb.toFixed(0)} MB`;

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** p in [0, 1]: the nearest-rank percentile. */
export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
}

/**
 * Runs the CLI as a child process without blocking this process's event loop (which may be
 * serving a proxy), and resolves with its exit code and stderr.
 */
export function runCli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
}

/**
 * One chat-completions request as the proxy saw it: receive time to response end (ms,
 * performance.now()), and the status sent (0: none, the connection closed first).
 */
export interface ProxiedRequest {
  start: number;
  end: number;
  status: number;
}

/** Request headers the proxy does not forward: they describe the client's connection, not the request. */
const HOP_BY_HOP = new Set(['host', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);

/**
 * A pass-through proxy to the model server that keeps every chat request body, in arrival order,
 * and the start and end time and status of every chat request. Status codes, the content-type and
 * retry-after headers and bodies pass through unchanged. `connections` bounds the proxy's own
 * connections to the server: keep it at least the client's concurrency, or the proxy caps it.
 */
export async function recordingProxy(
  target: string,
  { connections = 64, keepBodies = true }: { connections?: number; keepBodies?: boolean } = {},
): Promise<{ url: string; bodies: string[]; requests: ProxiedRequest[]; close: () => Promise<void> }> {
  const upstream = new Pool(new URL(target).origin, { connections, keepAliveTimeout: 30_000 });
  const bodies: string[] = [];
  const requests: ProxiedRequest[] = [];
  const server = createServer(async (req, res) => {
    const start = performance.now();
    const chat = req.url?.endsWith('/chat/completions') === true;
    if (chat) {
      res.once('close', () =>
        // Status 0: the response never finished (the client or the server hung up).
        requests.push({ start, end: performance.now(), status: res.writableFinished ? res.statusCode : 0 }),
      );
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = req.method === 'POST' ? Buffer.concat(chunks) : undefined;
    if (body !== undefined && chat && keepBodies) bodies.push(body.toString('utf8'));
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers))
      if (typeof value === 'string' && !HOP_BY_HOP.has(name)) headers[name] = value;
    try {
      const reply = await upstream.request({
        method: req.method === 'POST' ? 'POST' : 'GET',
        path: req.url ?? '/',
        headers,
        body,
      });
      const payload = Buffer.from(await reply.body.arrayBuffer());
      const out: Record<string, string> = {};
      for (const name of ['content-type', 'retry-after']) {
        const value = reply.headers[name];
        if (typeof value === 'string') out[name] = value;
      }
      res.writeHead(reply.statusCode, out).end(payload);
    } catch {
      // The server dropped the connection (or hung up mid-body): do the same to the client.
      res.destroy();
    }
  });
  // As the sim-server: no timeouts of the proxy's own, and idle connections kept as long as it keeps them.
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 0;
  server.requestTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    bodies,
    requests,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await upstream.close();
    },
  };
}

/** Bytes this process has written to storage so far (/proc/self/io). */
export function writtenBytes(): number {
  return Number(/write_bytes: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))![1]);
}

/** The run's files, without what curation commands keep beside them (curation.db, report.html). */
export function runDirectoryBytes(dir: string): number {
  let total = 0;
  for (const f of readdirSync(dir, { recursive: true, withFileTypes: true }))
    if (f.isFile() && !f.name.startsWith('curation.db') && f.name !== 'report.html')
      total += statSync(join(f.parentPath, f.name)).size;
  return total;
}
