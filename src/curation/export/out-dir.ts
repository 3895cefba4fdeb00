/**
 * The checks every export makes of its output folder before any work, so that a wrong `--out`
 * fails at once with a message, not after minutes of work with a raw OS error.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from '../../util/errors.js';

/** An OS error on a path, in words. */
export function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOTDIR') return 'a part of the path is a file, not a folder';
  if (code === 'EROFS') return 'read-only file system';
  return code ?? String(err);
}

/** `out` (the absolute form of `dir`, as the user wrote it) is an existing folder this process can write. */
export function assertWritableFolder(out: string, dir: string): void {
  try {
    accessSync(out, constants.W_OK);
  } catch (err) {
    throw new UserError(`cannot write to output folder ${dir}: ${describeFsError(err)}`);
  }
}

/** `out` does not exist yet and can be created: its nearest existing ancestor is a writable folder. */
export function assertCreatableFolder(out: string, dir: string): void {
  let ancestor = dirname(out);
  while (!existsSync(ancestor) && dirname(ancestor) !== ancestor) ancestor = dirname(ancestor);
  if (!statSync(ancestor).isDirectory())
    throw new UserError(`cannot create output folder ${dir}: ${ancestor} is a file, not a folder`);
  try {
    accessSync(ancestor, constants.W_OK);
  } catch (err) {
    throw new UserError(
      `cannot create output folder ${dir}: ${ancestor} is not writable (${describeFsError(err)})`,
    );
  }
}
