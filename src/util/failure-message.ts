/**
 * What the CLI says about an error that is not a `UserError`: the operating system's and
 * SQLite's failures each get one message naming the path and what to do; anything else is a bug
 * in sparq, said as such. Stack traces only with --debug or SPARQ_DEBUG=1.
 */
import { statSync } from 'node:fs';

export interface Failure {
  message: string;
  exitCode: number;
}

/** Exit code of a runtime failure (server, disk, a bug): the work done so far is kept. */
const RUNTIME = 1;
/** Exit code of bad input: here, a path given where its kind (file or folder) cannot be. */
const BAD_INPUT = 2;

/** Errors that say a path the user gave is the wrong kind of thing: bad input, not a failure. */
const WRONG_KIND = new Set(['EISDIR', 'ENOTDIR', 'EEXIST']);

const OS_ERRORS: Record<string, (path: string) => string> = {
  EACCES: (p) =>
    `permission denied: ${p}; check its owner and mode (ls -ld), or use a directory you can write`,
  EPERM: (p) => `operation not permitted on ${p}; check its owner and mode (ls -ld)`,
  EISDIR: (p) => `${p} is a directory, where a file was expected`,
  ENOTDIR: (p) => `a part of ${p} is a file, where a directory was expected`,
  ENOENT: (p) => `no such file or directory: ${p}`,
  ENOSPC: (p) => `no space left on the device holding ${p}; free some space, then run the same command again`,
  EROFS: (p) => `${p} is on a read-only file system; use a directory on a writable one`,
  EDQUOT: (p) => `disk quota exceeded writing ${p}; free some space, then run the same command again`,
  EMFILE: () => 'too many open files; raise the limit (ulimit -n) and run the same command again',
  // mkdir of a folder whose path runs through a file says EEXIST, naming the file.
  EEXIST: (p) => (isFile(p) ? `${p} is a file, where a folder is needed` : `${p} already exists`),
};

const SQLITE_ERRORS: Record<string, string> = {
  SQLITE_NOTADB: 'is not a sparq database (not SQLite, or damaged beyond reading)',
  SQLITE_CORRUPT: 'is damaged (SQLite reports corruption); `sparq status --check` shows what can be read',
  SQLITE_READONLY: 'cannot be written (read-only file or directory)',
  SQLITE_CANTOPEN: 'cannot be opened (missing, or its directory is not accessible)',
  SQLITE_FULL: 'cannot be written: the disk is full; free some space, then run the same command again',
  SQLITE_IOERR: 'could not be read or written (an I/O error from the disk)',
  SQLITE_BUSY: 'is in use by another process; wait for it to finish',
};

export function describeFailure(err: unknown): Failure {
  const e = err as NodeJS.ErrnoException & { dest?: string };
  const code = typeof e?.code === 'string' ? e.code : '';
  const os = OS_ERRORS[code];
  if (os)
    return {
      message: os(e.path ?? e.dest ?? 'a file'),
      exitCode: WRONG_KIND.has(code) ? BAD_INPUT : RUNTIME,
    };
  const sqlite = Object.entries(SQLITE_ERRORS).find(([c]) => code === c || code.startsWith(`${c}_`));
  if (sqlite) return { message: `the run database ${sqlite[1]} (${code})`, exitCode: RUNTIME };
  const text = err instanceof Error ? err.message : String(err);
  return {
    message: `internal error: ${text}\nThis is a bug in sparq; please report it with the output of the same command run with SPARQ_DEBUG=1.`,
    exitCode: RUNTIME,
  };
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export function debugRequested(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  return (
    argv.includes('--debug') ||
    (env.SPARQ_DEBUG !== undefined && env.SPARQ_DEBUG !== '' && env.SPARQ_DEBUG !== '0')
  );
}
