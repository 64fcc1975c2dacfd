import { injectedFailure, type Participant, type Stage, type StageFaults } from './stages.js';
import { injectedDelay } from './stage-delay.js';

/**
 * One stage of one restore as this process knows it: the participants whose work runs here, in
 * the order given. Once it fails (a participant threw, or its coordinator gave up on it) no more of
 * its work runs, so nothing is forked behind the back of the cleanup.
 */
export class StageEntry {
  private readonly byName = new Map<string, { participant: Participant; index: number }>();
  private next = 0;
  readonly pending: Set<string>;
  /** When the last participant finished (performance.now()), for the barrier's overhead. */
  lastDoneAt = performance.now();
  failed: { participant: string; error: unknown } | null = null;
  /** Told at once when work here fails, so the coordinator need not wait for Redis to say so. */
  onFailure: (participant: string, error: unknown) => void = () => {};
  /** Every participant has finished and the parent job runs: the barrier is passed. */
  onPassed: () => void = () => {};

  constructor(readonly stage: Stage, participants: Participant[], private readonly faults: StageFaults = {}) {
    for (const [index, participant] of participants.entries()) {
      if (this.byName.has(participant.name)) throw new Error(`stage ${stage}: two participants named ${participant.name}`);
      this.byName.set(participant.name, { participant, index });
    }
    this.pending = new Set(this.byName.keys());
  }

  async runParticipant(name: string): Promise<void> {
    if (this.failed) throw new Error(`stage ${this.stage} was abandoned (${this.failed.participant} failed)`);
    const entry = this.byName.get(name);
    if (!entry) throw new Error(`stage ${this.stage} has no participant ${name}`);
    // Jobs are prioritized by index; an order broken anyway would fork a child before its parent.
    if (entry.index !== this.next) throw new Error(`stage ${this.stage}: ${name} came out of order`);
    this.next++;
    try {
      const delay = injectedDelay(this.stage, entry.index, this.faults);
      if (delay) await new Promise((r) => setTimeout(r, delay));
      if (this.failed) throw new Error('stage abandoned while this participant waited');
      await entry.participant.work();
      if (injectedFailure(this.stage, this.faults) === entry.index + 1) throw new Error('failure injected by FERRY_FAIL_STAGE');
    } catch (e) {
      this.fail(name, e);
      throw e;
    }
    this.pending.delete(name);
    this.lastDoneAt = performance.now();
  }

  /** The parent job: every participant has finished; this is where the barrier itself can fail. */
  passBarrier(): void {
    if (this.failed) throw new Error(`stage ${this.stage} was abandoned`);
    if (injectedFailure(this.stage, this.faults) === Infinity) throw new Error('failure injected by FERRY_FAIL_STAGE');
    this.onPassed();
  }

  fail(participant: string, error: unknown): void {
    if (this.failed) return;
    this.failed = { participant, error };
    this.onFailure(participant, error);
  }
}

/**
 * The work of the restores this process takes part in, keyed by restore id, stage and participant
 * name: jobs carry only those names, since work (ptrace requests) cannot travel and must run on
 * the thread that traces the tasks. A job of a restore not registered here is refused.
 */
export class StageRegistry {
  private readonly restores = new Map<string, Map<Stage, StageEntry>>();

  open(restoreId: string): void {
    this.restores.set(restoreId, new Map());
  }

  close(restoreId: string): void {
    this.restores.delete(restoreId);
  }

  enter(restoreId: string, stage: Stage, participants: Participant[], faults: StageFaults = {}): StageEntry {
    const stages = this.restores.get(restoreId);
    if (!stages) throw new Error(`restore ${restoreId} is not registered here`);
    const entry = new StageEntry(stage, participants, faults);
    stages.set(stage, entry);
    return entry;
  }

  find(restoreId: string, stage: Stage): StageEntry {
    const entry = this.restores.get(restoreId)?.get(stage);
    if (!entry) throw new Error(`refused: restore ${restoreId} stage ${stage} is not one this process performs`);
    return entry;
  }
}
