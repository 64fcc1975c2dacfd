import fs from 'node:fs';

// POSIX timers and interval timers of a process: what /proc shows of them, and the structures
// and syscall numbers their injected calls take (x86_64).
export const TIMER_SYS = {
  getitimer: 36, setitimer: 38, timer_create: 222, timer_settime: 223, timer_gettime: 224, timer_getoverrun: 225, timer_delete: 226,
} as const;

/** prctl: timer_create takes the id it finds in *timer_id (Linux 6.14+), for the process. */
export const PR_TIMER_CREATE_RESTORE_IDS = 77;
export const PR_TIMER_CREATE_RESTORE_IDS_OFF = 0, PR_TIMER_CREATE_RESTORE_IDS_ON = 1;

export const SIGEV = { SIGNAL: 0, NONE: 1, THREAD: 2, THREAD_ID: 4 } as const;

/** A timer as /proc/PID/timers lists it; its times are only known from inside the process. */
export interface ListedTimer {
  id: number;
  signo: number;
  value: bigint;
  notify: number;
  /** The thread SIGEV_THREAD_ID signals, else 0. */
  notifyTid: number;
  clockid: number;
}

const NOTIFY_NAMES: Record<string, number> = { signal: SIGEV.SIGNAL, none: SIGEV.NONE, thread: SIGEV.THREAD };

/** The POSIX timers of PID, by id. */
export function listTimers(pid: number): ListedTimer[] {
  const text = fs.readFileSync(`/proc/${pid}/timers`, 'utf8');
  const timers: ListedTimer[] = [];
  for (const block of text.split(/^(?=ID:)/m).filter((b) => b.trim() !== '')) {
    const m = /^ID: (\d+)\nsignal: (\d+)\/([0-9a-f]+)\nnotify: (\w+)\/(pid|tid)\.(\d+)\nClockID: (-?\d+)\n?$/.exec(block);
    const notify = m ? NOTIFY_NAMES[m[4]!] : undefined;
    if (!m || notify === undefined) throw new Error(`/proc/${pid}/timers: cannot read ${JSON.stringify(block.trim())}`);
    const byThread = m[5] === 'tid';
    timers.push({
      id: Number(m[1]), signo: Number(m[2]), value: BigInt(`0x${m[3]}`), clockid: Number(m[7]),
      notify: notify | (byThread ? SIGEV.THREAD_ID : 0), notifyTid: byThread ? Number(m[6]) : 0,
    });
  }
  return timers.sort((a, b) => a.id - b.id);
}

/** The kernel's struct sigevent: value, signo, notify, then the thread id of SIGEV_THREAD_ID. */
export function encodeSigevent(t: Pick<ListedTimer, 'value' | 'signo' | 'notify' | 'notifyTid'>): Buffer {
  const b = Buffer.alloc(64);
  b.writeBigUInt64LE(t.value, 0);
  b.writeInt32LE(t.signo, 8);
  b.writeInt32LE(t.notify, 12);
  b.writeInt32LE(t.notifyTid, 16);
  return b;
}
