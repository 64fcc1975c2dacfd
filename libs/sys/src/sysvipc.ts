import fs from 'node:fs';
import { addressOf } from './libc.js';
import { checkedSyscall } from './fcntl.js';
import { SysError } from './errors.js';

// System V IPC objects of ferry's own IPC namespace, seen through /proc/sysvipc and made or
// changed with the raw calls (not injected).
const SYS_shmget = 29, SYS_shmctl = 31, SYS_semget = 64, SYS_semctl = 66, SYS_msgget = 68, SYS_msgsnd = 69, SYS_msgrcv = 70, SYS_msgctl = 71;
const IPC_CREAT = 0o1000, IPC_EXCL = 0o2000, IPC_NOWAIT = 0o4000, IPC_RMID = 0, IPC_SET = 1, IPC_STAT = 2;
const GETPID = 11, GETALL = 13, SETALL = 17;
/** msgrcv copies the message at the index it is given as type and leaves it queued (CONFIG_CHECKPOINT_RESTORE). */
const MSG_COPY = 0o40000;
const ENOENT = 2, ENOMSG = 42;
/** The mode bit of a segment marked for removal once its last attach goes (IPC_RMID while attached). */
export const SHM_DEST = 0o1000;
const SHM_NEXT_ID = '/proc/sys/kernel/shm_next_id';
// struct shmid64_ds on x86_64: ipc64_perm (key, uid, gid, cuid, cgid, mode, seq) then the segment's fields.
const SHMID_DS_SIZE = 112, PERM_UID = 4, PERM_GID = 8, PERM_MODE = 20;

export interface SysvShmSegment {
  key: number;
  id: number;
  /** Permission bits and SHM_DEST/SHM_LOCKED, as /proc/sysvipc/shm shows them. */
  mode: number;
  size: bigint;
  cpid: number;
  lpid: number;
  nattch: number;
  uid: number;
  gid: number;
  cuid: number;
  cgid: number;
}

export interface SysvSemSet { key: number; id: number; nsems: number; mode: number; uid: number; gid: number }
export interface SysvMsgQueue { key: number; id: number; lspid: number; lrpid: number; qnum: number; mode: number; uid: number; gid: number }
export interface SysvMessage { type: bigint; text: Buffer }

function rows(file: string): string[][] {
  return fs.readFileSync(file, 'utf8').split('\n').slice(1).filter((l) => l.trim()).map((l) => l.trim().split(/\s+/));
}

/** The shared memory segments of ferry's IPC namespace. */
export function readSysvShm(): SysvShmSegment[] {
  return rows('/proc/sysvipc/shm').map((f) => ({
    key: Number(f[0]) | 0, id: Number(f[1]), mode: parseInt(f[2]!, 8), size: BigInt(f[3]!), cpid: Number(f[4]), lpid: Number(f[5]),
    nattch: Number(f[6]), uid: Number(f[7]), gid: Number(f[8]), cuid: Number(f[9]), cgid: Number(f[10]),
  }));
}

export function readSysvSemSets(): SysvSemSet[] {
  return rows('/proc/sysvipc/sem').map((f) => ({ key: Number(f[0]) | 0, id: Number(f[1]), mode: parseInt(f[2]!, 8), nsems: Number(f[3]), uid: Number(f[4]), gid: Number(f[5]) }));
}

export function readSysvMsgQueues(): SysvMsgQueue[] {
  return rows('/proc/sysvipc/msg').map((f) => ({ key: Number(f[0]) | 0, id: Number(f[1]), mode: parseInt(f[2]!, 8), qnum: Number(f[4]), lspid: Number(f[5]), lrpid: Number(f[6]), uid: Number(f[7]), gid: Number(f[8]) }));
}

/** The pid of the last semop on each semaphore of the set (0: none yet). */
export function semaphoreLastPids(set: SysvSemSet): number[] {
  const out: number[] = [];
  for (let n = 0; n < set.nsems; n++) out.push(checkedSyscall(`semctl(${set.id}, ${n}, GETPID)`, SYS_semctl, set.id, n, GETPID, 0));
  return out;
}

function ofKey(what: string, nr: number, key: number): number | undefined {
  try {
    return checkedSyscall(`${what}(${key})`, nr, key, 0, 0);
  } catch (e) {
    if (e instanceof SysError && e.errno === ENOENT) return undefined;
    throw e;
  }
}

/** The segment KEY leads to, or undefined when none has it. */
export const sysvShmOfKey = (key: number) => ofKey('shmget', SYS_shmget, key);
/** The semaphore set KEY leads to, or undefined when none has it. */
export const sysvSemOfKey = (key: number) => ofKey('semget', SYS_semget, key);
/** The message queue KEY leads to, or undefined when none has it. */
export const sysvMsgOfKey = (key: number) => ofKey('msgget', SYS_msgget, key);

const keyText = (key: number) => (key === 0 ? 'IPC_PRIVATE' : `0x${(key >>> 0).toString(16)}`);

/**
 * Makes a new object whose id is ID through NEXT_ID (shm_next_id, sem_next_id, msg_next_id): it
 * gives the next object of the namespace its id, and the kernel sets it back to -1 (which cannot
 * be written) once one took it. When MAKE fails the id is still pending, so THROWAWAY takes it
 * rather than someone else's next object. Returns the id the kernel gave, which the caller checks.
 */
function createWithId(nextId: string, id: number, make: () => number, throwaway: () => void): number {
  fs.writeFileSync(nextId, String(id));
  try {
    return make();
  } catch (e) {
    if (fs.readFileSync(nextId, 'utf8').trim() !== '-1') throwaway();
    throw e;
  }
}

/**
 * Makes a new segment whose id is ID: shm_next_id gives the next segment of the namespace its id,
 * and the kernel sets it back to -1 (which cannot be written) once a segment took it. When the
 * shmget fails the id is still pending, so a throwaway segment takes it rather than someone
 * else's next one. KEY 0 is IPC_PRIVATE. Returns the id the kernel gave, which the caller checks.
 */
export function createSysvShm(key: number, size: bigint, mode: number, id: number): number {
  return createWithId(SHM_NEXT_ID, id,
    () => checkedSyscall(`shmget(${keyText(key)}, ${size})`, SYS_shmget, key, Number(size), IPC_CREAT | IPC_EXCL | (mode & 0o777)),
    () => removeSysvShm(checkedSyscall('shmget of a throwaway segment', SYS_shmget, 0, 1, IPC_CREAT | 0o600)));
}

/** Gives the segment its owner and permission bits (IPC_SET); its creator stays whoever made it. */
export function setSysvShmOwner(id: number, uid: number, gid: number, mode: number): void {
  const ds = permDs(SHMID_DS_SIZE, uid, gid, mode);
  checkedSyscall(`shmctl(${id}, IPC_SET)`, SYS_shmctl, id, IPC_SET, Number(addressOf(ds)));
}

/** Marks the segment for removal: it goes at once, or with its last attach. */
export function removeSysvShm(id: number): void {
  checkedSyscall(`shmctl(${id}, IPC_RMID)`, SYS_shmctl, id, IPC_RMID, 0);
}

// semid64_ds and msqid64_ds on x86_64 begin with the same ipc64_perm (48 bytes).
const SEMID_DS_SIZE = 104, MSQID_DS_SIZE = 120, MSQ_QBYTES = 88;

function permDs(size: number, uid: number, gid: number, mode: number): Buffer {
  const ds = Buffer.alloc(size);
  ds.writeUInt32LE(uid, PERM_UID);
  ds.writeUInt32LE(gid, PERM_GID);
  ds.writeUInt32LE(mode & 0o777, PERM_MODE);
  return ds;
}

/** Every semaphore's value (GETALL). */
export function semaphoreValues(id: number, nsems: number): number[] {
  const buf = Buffer.alloc(2 * nsems);
  checkedSyscall(`semctl(${id}, GETALL)`, SYS_semctl, id, 0, GETALL, Number(addressOf(buf)));
  return Array.from({ length: nsems }, (_, n) => buf.readUInt16LE(2 * n));
}

/** Makes a semaphore set of NSEMS (all 0) whose id is ID; see createWithId. */
export function createSysvSem(key: number, nsems: number, mode: number, id: number): number {
  return createWithId('/proc/sys/kernel/sem_next_id', id,
    () => checkedSyscall(`semget(${keyText(key)}, ${nsems})`, SYS_semget, key, nsems, IPC_CREAT | IPC_EXCL | (mode & 0o777)),
    () => removeSysvSem(checkedSyscall('semget of a throwaway set', SYS_semget, 0, 1, IPC_CREAT | 0o600)));
}

/**
 * Sets every semaphore's value at once (SETALL). The kernel gives no way to set a semaphore's
 * sempid: SETALL makes it the caller's pid, ferry's.
 */
export function setSemaphoreValues(id: number, values: readonly number[]): void {
  const buf = Buffer.alloc(2 * values.length);
  values.forEach((v, n) => buf.writeUInt16LE(v, 2 * n));
  checkedSyscall(`semctl(${id}, SETALL)`, SYS_semctl, id, 0, SETALL, Number(addressOf(buf)));
}

export function setSysvSemOwner(id: number, uid: number, gid: number, mode: number): void {
  const ds = permDs(SEMID_DS_SIZE, uid, gid, mode);
  checkedSyscall(`semctl(${id}, IPC_SET)`, SYS_semctl, id, 0, IPC_SET, Number(addressOf(ds)));
}

export function removeSysvSem(id: number): void {
  checkedSyscall(`semctl(${id}, IPC_RMID)`, SYS_semctl, id, 0, IPC_RMID, 0);
}

/** The most bytes a queue holds (msg_qbytes), which /proc/sysvipc/msg does not show. */
export function messageQueueBytes(id: number): bigint {
  const ds = Buffer.alloc(MSQID_DS_SIZE);
  checkedSyscall(`msgctl(${id}, IPC_STAT)`, SYS_msgctl, id, IPC_STAT, Number(addressOf(ds)));
  return ds.readBigUInt64LE(MSQ_QBYTES);
}

const msgmax = () => Number(fs.readFileSync('/proc/sys/kernel/msgmax', 'utf8'));

/** Every queued message in order, left queued: msgrcv with MSG_COPY takes the index as type. */
export function queuedMessages(id: number, qnum: number): SysvMessage[] {
  const max = msgmax();
  const buf = Buffer.alloc(8 + max);
  const out: SysvMessage[] = [];
  for (let n = 0; n < qnum; n++) {
    const len = checkedSyscall(`msgrcv(${id}, MSG_COPY ${n})`, SYS_msgrcv, id, Number(addressOf(buf)), max, n, IPC_NOWAIT | MSG_COPY);
    out.push({ type: buf.readBigInt64LE(0), text: Buffer.from(buf.subarray(8, 8 + len)) });
  }
  return out;
}

/** Takes every message out of the queue, without waiting. */
export function drainMessages(id: number): void {
  const max = msgmax();
  const buf = Buffer.alloc(8 + max);
  for (;;) {
    try {
      checkedSyscall(`msgrcv(${id})`, SYS_msgrcv, id, Number(addressOf(buf)), max, 0, IPC_NOWAIT);
    } catch (e) {
      if (e instanceof SysError && e.errno === ENOMSG) return;
      throw e;
    }
  }
}

export function sendMessage(id: number, m: SysvMessage): void {
  const buf = Buffer.alloc(8 + m.text.length);
  buf.writeBigInt64LE(m.type, 0);
  m.text.copy(buf, 8);
  checkedSyscall(`msgsnd(${id}, type ${m.type})`, SYS_msgsnd, id, Number(addressOf(buf)), m.text.length, IPC_NOWAIT);
}

/** Makes a message queue whose id is ID; see createWithId. */
export function createSysvMsg(key: number, mode: number, id: number): number {
  return createWithId('/proc/sys/kernel/msg_next_id', id,
    () => checkedSyscall(`msgget(${keyText(key)})`, SYS_msgget, key, IPC_CREAT | IPC_EXCL | (mode & 0o777)),
    () => removeSysvMsg(checkedSyscall('msgget of a throwaway queue', SYS_msgget, 0, IPC_CREAT | 0o600)));
}

/** Gives the queue its owner, permission bits and byte limit (IPC_SET). */
export function setSysvMsgOwner(id: number, uid: number, gid: number, mode: number, qbytes: bigint): void {
  const ds = permDs(MSQID_DS_SIZE, uid, gid, mode);
  ds.writeBigUInt64LE(qbytes, MSQ_QBYTES);
  checkedSyscall(`msgctl(${id}, IPC_SET)`, SYS_msgctl, id, IPC_SET, Number(addressOf(ds)));
}

export function removeSysvMsg(id: number): void {
  checkedSyscall(`msgctl(${id}, IPC_RMID)`, SYS_msgctl, id, IPC_RMID, 0);
}

/** Whether the task is in ferry's own IPC namespace, whose objects /proc/sysvipc shows. */
export function sharesIpcNamespace(pid: number): boolean {
  return fs.readlinkSync(`/proc/${pid}/ns/ipc`) === fs.readlinkSync('/proc/self/ns/ipc');
}
