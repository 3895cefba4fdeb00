/** Parsers for numeric CLI flags: a bad value is rejected with the flag name, the range and what was given. */
import { type Command, InvalidArgumentError } from 'commander';
import { DEFAULT_RESAMPLES } from '../eval/bootstrap.js';

export function intArg(flag: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`${flag} expects an integer in [${min}, ${max}], got "${value}"`);
    return n;
  };
}

export function numArg(flag: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max)
      throw new InvalidArgumentError(`${flag} expects a number in [${min}, ${max}], got "${value}"`);
    return n;
  };
}

export function rateArg(flag: string) {
  return numArg(flag, 0, 1);
}

export function choiceArg<T extends string>(flag: string, choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value))
      throw new InvalidArgumentError(`${flag} expects one of ${choices.join(', ')}, got "${value}"`);
    return value as T;
  };
}

/** `--bootstrap N` and `--bootstrap-seed N`, shared by the commands that report bootstrap intervals. */
export function addBootstrapOptions(command: Command, what: string): Command {
  return command
    .option('--bootstrap <n>', what, intArg('--bootstrap', 100, 1_000_000), DEFAULT_RESAMPLES)
    .option('--bootstrap-seed <n>', 'seed of the bootstrap', intArg('--bootstrap-seed', 0, 2 ** 31 - 1), 0);
}
