/** Parsers for numeric CLI flags: a bad value is rejected with the flag name, the range and what was given. */
import { InvalidArgumentError } from 'commander';

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
