import { waitFor, describeWait, SYS, type Injector } from '@ferry/sys';

const CLONE_VM = 0x100n, CLONE_FS = 0x200n, CLONE_FILES = 0x400n, CLONE_SIGHAND = 0x800n;
const CLONE_PARENT = 0x8000n, CLONE_THREAD = 0x10000n, CLONE_SYSVSEM = 0x40000n;
const SIGCHLD = 17n;
const CLONE_ARGS_SIZE = 88;

export type CloneKind = 'child' | 'sibling' | 'thread';

const FLAGS: Record<CloneKind, bigint> = {
  child: 0n,
  // A sibling of the caller: the restored root and helpers become children of ferry itself.
  sibling: CLONE_PARENT,
  thread: CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM,
};

/**
 * Runs clone3 with set_tid inside a stopped task, so the new task or thread gets the pid it had.
 * It arrives traced (the tracer options ask for fork and clone events) and stopped right after
 * the syscall instruction, ready for injections of its own.
 */
export function cloneWithPid(inj: Injector, pid: number, kind: CloneKind): number {
  inj.resetScratch();
  const tid = inj.put(Buffer.from(Int32Array.of(pid).buffer));
  const args = Buffer.alloc(CLONE_ARGS_SIZE);
  args.writeBigUInt64LE(FLAGS[kind], 0);
  args.writeBigUInt64LE(kind === 'child' ? SIGCHLD : 0n, 32);
  args.writeBigUInt64LE(tid, 64);
  args.writeBigUInt64LE(1n, 72);
  const ret = inj.raw(SYS.clone3, inj.put(args), CLONE_ARGS_SIZE);
  if (ret === -17n) throw new Error(`pid ${pid} is already in use`);
  if (ret < 0n) throw new Error(`cannot create ${kind === 'thread' ? 'thread' : 'task'} ${pid}: clone3 failed (errno ${-ret})`);
  const child = Number(ret);
  const w = waitFor(child);
  if (w.kind !== 'stopped') throw new Error(`new ${kind === 'thread' ? 'thread' : 'task'} ${child} ${describeWait(w)}`);
  return child;
}
