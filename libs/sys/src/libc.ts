import koffi from 'koffi';

// One handle on libc for every binding in this library. Calls are synchronous on the calling
// thread: ptrace requests must come from the thread that attached (see DESIGN.md).
export const libc = koffi.load('libc.so.6');

export const iovec = koffi.struct('ferry_iovec', { base: 'void *', len: 'size_t' });

export const native = {
  ptrace: libc.func('long ptrace(int request, int pid, uintptr_t addr, uintptr_t data)'),
  ptraceBuf: libc.func('long ptrace(int request, int pid, uintptr_t addr, _Inout_ uint8_t *data)'),
  ptraceIov: libc.func('long ptrace(int request, int pid, uintptr_t addr, _Inout_ ferry_iovec *data)'),
  waitpid: libc.func('int waitpid(int pid, _Out_ int *status, int options)'),
  kill: libc.func('int kill(int pid, int sig)'),
  syscall: libc.func('long syscall(long nr, ...)'),
  prlimit: libc.func('int prlimit(int pid, int resource, const uint8_t *newLimit, _Out_ uint8_t *oldLimit)'),
  posixSpawn: libc.func('int posix_spawn(_Out_ int *pid, const char *path, void *fileActions, void *attr, const char **argv, const char **envp)'),
  pidfdOpen: libc.func('int pidfd_open(int pid, unsigned int flags)'),
  getpid: libc.func('int getpid()'),
  // glibc's syscall() reads its arguments as longs: calling it with a fixed list is safe on x86_64.
  syscall6: libc.func('syscall', 'long', ['long', 'long', 'long', 'long', 'long', 'long', 'long']),
  lseek: libc.func('long lseek(int fd, long offset, int whence)'),
};

/**
 * syscall(2) on a libuv thread: resolves with its return value (-1 on failure; errno belongs to
 * that thread, so only the failure is known here).
 */
export function syscallAsync(nr: number, ...args: (number | bigint)[]): Promise<number> {
  const padded = [...args, 0, 0, 0, 0, 0, 0].slice(0, 6);
  return new Promise((resolve, reject) => {
    native.syscall6.async(nr, ...padded, (err: unknown, r: number | bigint) => (err ? reject(err) : resolve(Number(r))));
  });
}

export function errno(): number {
  return koffi.errno();
}

export function addressOf(buf: Buffer): bigint {
  return BigInt(koffi.address(buf) as number | bigint);
}
