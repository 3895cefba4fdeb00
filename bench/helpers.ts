import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
