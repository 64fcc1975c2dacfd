import { native, errno } from './libc.js';
import { SysError } from './errors.js';

export const WNOHANG = 1;
export const WALL = 0x40000000;

export type WaitResult =
  | { pid: number; kind: 'exited'; code: number }
  | { pid: number; kind: 'signaled'; signal: number }
  | { pid: number; kind: 'stopped'; signal: number; event: number; syscallStop: boolean }
  | { pid: number; kind: 'none' };

export function decodeStatus(pid: number, status: number): WaitResult {
  if ((status & 0x7f) === 0) return { pid, kind: 'exited', code: (status >> 8) & 0xff };
  if ((status & 0xff) === 0x7f) {
    const sig = (status >> 8) & 0xff;
    return { pid, kind: 'stopped', signal: sig & 0x7f, event: (status >> 16) & 0xff, syscallStop: sig === 0x85 };
  }
  return { pid, kind: 'signaled', signal: status & 0x7f };
}

export function waitFor(pid: number, options = WALL): WaitResult {
  const status = [0];
  for (;;) {
    const r = native.waitpid(pid, status, options);
    if (r === 0) return { pid, kind: 'none' };
    if (r > 0) return decodeStatus(r, status[0]!);
    const e = errno();
    if (e !== 4 /* EINTR */) throw new SysError('waitpid', e, `for ${pid}`);
  }
}

/** Waits on a libuv thread, so the event loop keeps running (no ptrace involved). */
export function waitForAsync(pid: number, options = WALL): Promise<WaitResult> {
  return new Promise((resolve, reject) => {
    const status = [0];
    native.waitpid.async(
      pid, status, options,
      (err: unknown, r: number) => {
        if (err) return reject(err);
        if (r > 0) return resolve(decodeStatus(r, status[0]!));
        if (r === 0) return resolve({ pid, kind: 'none' });
        reject(new SysError('waitpid', errno(), `for ${pid}`));
      },
    );
  });
}

export function describeWait(w: WaitResult): string {
  switch (w.kind) {
    case 'exited': return `exited with status ${w.code}`;
    case 'signaled': return `killed by signal ${w.signal}`;
    case 'stopped': return `stopped (signal ${w.signal}, event ${w.event})`;
    case 'none': return 'still running';
  }
}
