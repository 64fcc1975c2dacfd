import { InvalidArgumentError } from 'commander';

export function pidArg(value: string): number {
  const pid = Number(value);
  if (!/^\d+$/.test(value) || pid <= 0) throw new InvalidArgumentError(`not a pid: ${value}`);
  return pid;
}
