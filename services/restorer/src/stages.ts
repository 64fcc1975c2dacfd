import type { Log } from './log.js';

/** The restore stages, as CRIU names them: each starts when every participant finished the one before. */
export const STAGES = ['RESTORE_NS', 'RESTORE_SHARED', 'FORKING', 'RESTORE', 'RESTORE_SIGCHLD', 'RESTORE_CREDS', 'COMPLETE'] as const;
export type Stage = (typeof STAGES)[number];

/**
 * Where participants meet between stages. The local one runs in this process; the distributed one
 * (BullMQ flows) implements the same interface.
 */
export interface StageBarrier {
  run(stage: Stage, work: () => Promise<void> | void): Promise<void>;
  readonly timings: Map<Stage, number>;
}

export class LocalStages implements StageBarrier {
  readonly timings = new Map<Stage, number>();
  private next = 0;

  constructor(private readonly log: Log) {}

  async run(stage: Stage, work: () => Promise<void> | void): Promise<void> {
    const index = STAGES.indexOf(stage);
    if (index < this.next) throw new Error(`stage ${stage} comes after ${STAGES[this.next - 1]}`);
    this.next = index + 1;
    const t0 = performance.now();
    await work();
    // For tests of the failure paths: FERRY_FAIL_STAGE=NAME makes that stage fail once its work is done.
    if (process.env.FERRY_FAIL_STAGE === stage) throw new Error(`stage ${stage} failed (FERRY_FAIL_STAGE)`);
    const ms = performance.now() - t0;
    this.timings.set(stage, ms);
    this.log.debug(`stage ${stage} done in ${ms.toFixed(2)} ms`);
  }
}
