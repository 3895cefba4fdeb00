import { readFileSync } from 'node:fs';

/**
 * An error the user can fix (bad config, bad input file, bad flag). The CLI prints only its
 * message, without a stack trace, and exits with `exitCode` (2 for invalid input by convention).
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Reads a UTF-8 text file the user named; `what` names it in errors ("seed file", "template").
 * A byte-order mark is dropped (editors on Windows write one), and bytes that are not UTF-8 are
 * refused with the line they are on rather than stored as U+FFFD.
 */
export function readUserFile(file: string, what: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a directory; give the path of the file'
          : code === 'EACCES' || code === 'EPERM'
            ? 'permission denied'
            : (code ?? String(err));
    throw new UserError(`cannot read ${what} ${file}: ${why}`);
  }
  return decodeUserText(bytes, file, what);
}

/** The text of a user's file: a byte-order mark dropped, bytes that are not UTF-8 refused with their line. */
export function decodeUserText(bytes: Buffer, file: string, what: string): string {
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(start));
  } catch {
    const line = firstInvalidUtf8Line(bytes.subarray(start));
    throw new UserError(
      `${what} ${file}:${line}: not UTF-8 text (save the file as UTF-8, e.g. \`iconv -f latin1 -t utf-8\`)`,
    );
  }
}

/** The 1-based line of the first byte sequence that is not UTF-8. */
function firstInvalidUtf8Line(bytes: Buffer): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      try {
        decoder.decode(bytes.subarray(lineStart, i));
      } catch {
        return line;
      }
      line++;
      lineStart = i + 1;
    }
  }
  return line;
}
