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

/** Reads a UTF-8 file the user named; `what` names it in the error ("seed file", "template"). */
export function readUserFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(
      `cannot read ${what} ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(err))}`,
    );
  }
}
