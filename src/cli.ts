#!/usr/bin/env node
/**
 * The `sparq` executable. Each command lives in its own module under src/commands and exports a
 * `register(program)` function; this file only wires them and turns errors into exit codes.
 */
import { Command, CommanderError } from 'commander';
import { commands } from './commands/index.js';
import { UserError } from './util/errors.js';
import { SPARQ_VERSION } from './version.js';

export function buildProgram(): Command {
  const program = new Command('sparq')
    .description('Synthetic math problems by quality-diversity search (SPARQ)')
    .version(SPARQ_VERSION)
    .showHelpAfterError()
    .exitOverride();
  for (const register of commands) register(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof UserError) {
      process.stderr.write(`sparq: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`sparq: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}

const code = await main(process.argv);
process.exitCode = code;
