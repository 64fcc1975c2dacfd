import type { Stage, StageFaults } from './stages.js';

/** How long the Nth participant of STAGE waits first, by StageFaults.slow (STAGE:N:MS). */
export function injectedDelay(stage: Stage, index: number, faults: StageFaults): number {
  const [name, n, ms] = (faults.slow ?? '').split(':');
  return name === stage && Number(n) === index + 1 ? Number(ms) : 0;
}
