#!/usr/bin/env node
/**
 * The `sparq` executable. Each command lives in its own module under src/commands and exports a
 * `register(program)` function; this file only wires them and turns errors into exit codes.
 */
import { Command, CommanderError } from 'commander';
import { commands } from './commands/index.js';
import { UserError } from './util/errors.js';
import { debugRequested, describeFailure } from './util/failure-message.js';
import { SPARQ_VERSION } from './version.js';

const EXIT_CODES = `
Exit codes:
  0    done
  1    runtime failure (model server, disk, a bug): what was done is kept; run the same command to resume
  2    bad input (configuration, flags, files)
  3    the run directory is locked by another sparq process
  75   waiting for batch files (--batch-files): run the files it names, then the same command again
  130  interrupted by SIGINT (Ctrl-C); 143 by SIGTERM: resumable

--debug (or SPARQ_DEBUG=1) prints the stack trace of any error.`;

export function buildProgram(): Command {
  const program = new Command('sparq')
    .description('Synthetic math problems by quality-diversity search (SPARQ)')
    .version(SPARQ_VERSION)
    .option('--debug', 'print stack traces of errors (also SPARQ_DEBUG=1)')
    .addHelpText('after', EXIT_CODES)
    .showHelpAfterError()
    .exitOverride();
  for (const register of commands) register(program);
  return program;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const debug = debugRequested(argv, env);
  try {
    await buildProgram().parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    const failure =
      err instanceof UserError ? { message: err.message, exitCode: err.exitCode } : describeFailure(err);
    process.stderr.write(`sparq: ${failure.message}\n`);
    if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return failure.exitCode;
  }
}

// An error no caller can catch (a timer's, a stray rejection) still ends with a message.
const onStray = (err: unknown) => {
  process.stderr.write(`sparq: ${describeFailure(err).message}\n`);
  if (debugRequested(process.argv, process.env) && err instanceof Error && err.stack)
    process.stderr.write(`${err.stack}\n`);
  process.exit(1);
};
process.on('uncaughtException', onStray);
process.on('unhandledRejection', onStray);

const code = await main(process.argv);
process.exitCode = code;
