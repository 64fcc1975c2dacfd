import fs from 'node:fs';
import { addressOf } from './libc.js';
import { checkedSyscall } from './fcntl.js';
import { SysError } from './errors.js';

// System V IPC objects of ferry's own IPC namespace, seen through /proc/sysvipc and made or
// changed with the raw calls (not injected).
const SYS_shmget = 29, SYS_shmctl = 31, SYS_semctl = 66;
const IPC_CREAT = 0o1000, IPC_EXCL = 0o2000, IPC_RMID = 0, IPC_SET = 1;
const GETPID = 11;
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

export interface SysvSemSet { key: number; id: number; nsems: number }
export interface SysvMsgQueue { key: number; id: number; lspid: number; lrpid: number; qnum: number }

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
  return rows('/proc/sysvipc/sem').map((f) => ({ key: Number(f[0]) | 0, id: Number(f[1]), nsems: Number(f[3]) }));
}

export function readSysvMsgQueues(): SysvMsgQueue[] {
  return rows('/proc/sysvipc/msg').map((f) => ({ key: Number(f[0]) | 0, id: Number(f[1]), qnum: Number(f[4]), lspid: Number(f[5]), lrpid: Number(f[6]) }));
}

/** The pid of the last semop on each semaphore of the set (0: none yet). */
export function semaphoreLastPids(set: SysvSemSet): number[] {
  const out: number[] = [];
  for (let n = 0; n < set.nsems; n++) out.push(checkedSyscall(`semctl(${set.id}, ${n}, GETPID)`, SYS_semctl, set.id, n, GETPID, 0));
  return out;
}

/** The segment KEY leads to, or undefined when none has it. */
export function sysvShmOfKey(key: number): number | undefined {
  try {
    return checkedSyscall(`shmget(${key})`, SYS_shmget, key, 0, 0);
  } catch (e) {
    if (e instanceof SysError && e.errno === 2) return undefined; // ENOENT
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
  fs.writeFileSync(SHM_NEXT_ID, String(id));
  try {
    return checkedSyscall(`shmget(${key === 0 ? 'IPC_PRIVATE' : `0x${(key >>> 0).toString(16)}`}, ${size})`, SYS_shmget, key, Number(size), IPC_CREAT | IPC_EXCL | (mode & 0o777));
  } catch (e) {
    if (fs.readFileSync(SHM_NEXT_ID, 'utf8').trim() !== '-1') {
      const throwaway = checkedSyscall('shmget of a throwaway segment', SYS_shmget, 0, 1, IPC_CREAT | 0o600);
      removeSysvShm(throwaway);
    }
    throw e;
  }
}

/** Gives the segment its owner and permission bits (IPC_SET); its creator stays whoever made it. */
export function setSysvShmOwner(id: number, uid: number, gid: number, mode: number): void {
  const ds = Buffer.alloc(SHMID_DS_SIZE);
  ds.writeUInt32LE(uid, PERM_UID);
  ds.writeUInt32LE(gid, PERM_GID);
  ds.writeUInt32LE(mode & 0o777, PERM_MODE);
  checkedSyscall(`shmctl(${id}, IPC_SET)`, SYS_shmctl, id, IPC_SET, Number(addressOf(ds)));
}

/** Marks the segment for removal: it goes at once, or with its last attach. */
export function removeSysvShm(id: number): void {
  checkedSyscall(`shmctl(${id}, IPC_RMID)`, SYS_shmctl, id, IPC_RMID, 0);
}

/** Whether the task is in ferry's own IPC namespace, whose objects /proc/sysvipc shows. */
export function sharesIpcNamespace(pid: number): boolean {
  return fs.readlinkSync(`/proc/${pid}/ns/ipc`) === fs.readlinkSync('/proc/self/ns/ipc');
}
