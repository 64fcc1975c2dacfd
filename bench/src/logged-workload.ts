// Workloads that talk back: started with their output appended to a file of their own (so that a
// restore finds the file as it was), they answer a signal with a check line, and no timing of
// theirs counts until the restored one has answered it.
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';

export interface Logged { pid: number; output: string; ready: string }

async function waitForFile(file: string, what: string, alive: () => boolean): Promise<string> {
  for (let i = 0; i < 1500; i++) {
    if (fs.existsSync(file) && fs.readFileSync(file, 'utf8').endsWith('\n')) return fs.readFileSync(file, 'utf8').trim();
    if (!alive()) throw new Error(`${what} ended before it was ready`);
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${what} was not ready after 30 s`);
}

/** BIN ARGS... DIR, in a session of its own, its output appended to DIR/out; once DIR/READY_FILE holds a line. */
export async function startLogged(work: string, bin: string, args: string[], readyFile: string): Promise<Logged> {
  const dir = fs.mkdtempSync(path.join(work, `${path.basename(bin)}-`));
  const output = path.join(dir, 'out');
  const out = fs.openSync(output, 'a');
  const child = spawn(bin, [...args, dir], { detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  child.unref();
  const ready = await waitForFile(path.join(dir, readyFile), path.basename(bin), () => child.exitCode === null && child.signalCode === null);
  return { pid: child.pid!, output, ready };
}

/**
 * Sends SIGUSR1 to PID until ANSWERED, given what the workload wrote to OUTPUT since, says it has
 * answered in full (ANSWERED throws when the answer is wrong); fails after 5 s. Asked again every
 * half second: a signal sent as CRIU's restore returned was once seen lost.
 */
export async function askForCheck(pid: number, output: string, answered: (said: string) => boolean): Promise<void> {
  const before = fs.readFileSync(output, 'utf8').length;
  for (let i = 0; i < 500; i++) {
    if (i % 50 === 0) process.kill(pid, 'SIGUSR1');
    if (answered(fs.readFileSync(output, 'utf8').slice(before))) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  const state = fs.existsSync(`/proc/${pid}`) ? /State:\s*(.*)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] : 'gone';
  throw new Error(`the restored workload (pid ${pid}, ${state}) did not answer its check`);
}
