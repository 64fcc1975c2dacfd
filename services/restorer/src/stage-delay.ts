import type { Stage } from './stages.js';

/**
 * For tests of a barrier that loses its coordinator mid-stage: FERRY_SLOW_STAGE=STAGE:N:MS makes
 * the Nth participant (from 1) of STAGE wait MS milliseconds, without blocking the event loop,
 * before its work.
 */
export function injectedDelay(stage: Stage, index: number): number {
  const [name, n, ms] = (process.env.FERRY_SLOW_STAGE ?? '').split(':');
  return name === stage && Number(n) === index + 1 ? Number(ms) : 0;
}
