/**
 * One process at a time per run directory. The lock file holds pid, host and start time; a lock
 * left by a process that died on this host is taken over, anything else is refused with a
 * message that says who holds it and how to clear it.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';

export interface RunLock {
  file: string;
  release(): void;
}

interface LockInfo {
  pid: number;
  host: string;
  started: string;
  command: string;
}

export function acquireRunLock(dir: string, command: string): RunLock {
  const file = join(dir, 'run.lock');
  const info: LockInfo = { pid: process.pid, host: hostname(), started: new Date().toISOString(), command };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, JSON.stringify(info));
      closeSync(fd);
      let released = false;
      return {
        file,
        release() {
          if (released) return;
          released = true;
          try {
            unlinkSync(file);
          } catch {
            // already gone
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readLock(file);
      if (holder && holder.host === info.host && !isAlive(holder.pid)) {
        // The holder died without cleaning up (kill -9, power loss): the lock is stale.
        unlinkSync(file);
        continue;
      }
      const who = holder
        ? `process ${holder.pid} on ${holder.host} (\`${holder.command}\`, since ${holder.started})`
        : 'another process';
      throw new UserError(
        `run directory ${dir} is in use by ${who}. Wait for it to finish or stop it; if it is no longer running, delete ${file}.`,
        3,
      );
    }
  }
  throw new UserError(`could not lock run directory ${dir}`, 3);
}

function readLock(file: string): LockInfo | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
