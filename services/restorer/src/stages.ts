import type { Log } from './log.js';

/** The restore stages, as CRIU names them: each starts when every participant finished the one before. */
export const STAGES = ['RESTORE_NS', 'RESTORE_SHARED', 'FORKING', 'RESTORE', 'RESTORE_SIGCHLD', 'RESTORE_CREDS', 'COMPLETE'] as const;
export type Stage = (typeof STAGES)[number];

/** One party to a stage (a task, a thread, a helper, the shared-object opener) and its part of the work. */
export interface Participant {
  name: string;
  work(): void | Promise<void>;
}

export interface StageReport {
  participants: number;
  ms: number;
}

/** A stage failed: the participant that failed is named, and nothing of later stages runs. */
export class StageError extends Error {
  constructor(readonly stage: Stage, readonly participant: string, cause: unknown) {
    super(`stage ${stage}: ${participant}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/**
 * Where participants meet between stages. A stage's run resolves once every participant has done
 * its part and rejects with a StageError as soon as one fails, after which the restorer removes
 * everything it made. The local barrier runs the participants in this process, in order (ptrace
 * requests must come from one thread); the distributed one (BullMQ flows) has the same interface.
 */
export interface StageBarrier {
  run(stage: Stage, participants: Participant[]): Promise<void>;
  readonly reports: Map<Stage, StageReport>;
}

/**
 * Faults a test asks for (the cli takes them from FERRY_FAIL_STAGE and FERRY_SLOW_STAGE).
 * fail: NAME fails stage NAME once its participants are done; NAME:N fails it at its Nth
 * participant (from 1), after that participant's work. slow (distributed barrier only):
 * STAGE:N:MS makes the Nth participant of STAGE wait MS ms, without blocking the event loop, first.
 */
export interface StageFaults {
  fail?: string;
  slow?: string;
}

export function injectedFailure(stage: Stage, faults: StageFaults): number | null {
  const spec = faults.fail;
  if (!spec) return null;
  const [name, index] = spec.split(':');
  if (name !== stage) return null;
  return index === undefined ? Infinity : Number(index);
}

export class LocalStages implements StageBarrier {
  readonly reports = new Map<Stage, StageReport>();
  private next = 0;

  constructor(private readonly log: Log, private readonly faults: StageFaults = {}) {}

  async run(stage: Stage, participants: Participant[]): Promise<void> {
    const index = STAGES.indexOf(stage);
    if (index !== this.next) throw new Error(`stage ${stage} cannot run after ${STAGES[this.next - 1] ?? 'nothing'}`);
    this.next = index + 1;
    const failAt = injectedFailure(stage, this.faults);
    const t0 = performance.now();
    for (const [i, p] of participants.entries()) {
      try {
        await p.work();
        if (failAt === i + 1) throw new Error('failure injected by FERRY_FAIL_STAGE');
      } catch (e) {
        throw new StageError(stage, p.name, e);
      }
    }
    if (failAt === Infinity) throw new StageError(stage, 'barrier', new Error('failure injected by FERRY_FAIL_STAGE'));
    const ms = performance.now() - t0;
    this.reports.set(stage, { participants: participants.length, ms });
    this.log.debug(`stage ${stage}: ${participants.length} participants done in ${ms.toFixed(2)} ms`);
  }
}
