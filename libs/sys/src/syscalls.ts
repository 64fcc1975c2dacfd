// x86_64 syscall numbers used by dump and restore injections.
export const SYS = {
  read: 0, write: 1, open: 2, close: 3, lseek: 8, mmap: 9, mprotect: 10, munmap: 11, brk: 12,
  rt_sigaction: 13, rt_sigprocmask: 14, pread64: 17, readv: 19, preadv: 295, madvise: 28,
  dup3: 292, fcntl: 72, chdir: 80, fchdir: 81, umask: 95, personality: 135, prctl: 157,
  chroot: 161, setsid: 112, setpgid: 109, getpid: 39, getppid: 110, sigaltstack: 131,
  mremap: 25, rt_sigqueueinfo: 129, rt_tgsigqueueinfo: 297, prlimit64: 302, openat: 257,
  clone3: 435, close_range: 436, pidfd_open: 434, pidfd_getfd: 438, rseq: 334,
  restart_syscall: 219, exit: 60, exit_group: 231, set_tid_address: 218, set_robust_list: 273,
  gettid: 186, kill: 62, tgkill: 234, eventfd2: 290, epoll_create1: 291, epoll_ctl: 233,
  wait4: 61, ioctl: 16, fallocate: 285, poll: 7, fdatasync: 75, ftruncate: 77, splice: 275,
  process_vm_readv: 310, shmat: 30, shmdt: 67, flock: 73,
} as const;

export const AT_FDCWD = -100;
