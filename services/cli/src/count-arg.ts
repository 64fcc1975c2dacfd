import { InvalidArgumentError } from 'commander';

/** A whole number, 0 or more. */
export function countArg(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`not a whole number: ${value}`);
  return Number(value);
}
