// Kernel and format limits shared by the writers and the checks. x86_64 with 4-level paging.

export const FORMAT_VERSION = 1;
export const PAGE_SIZE = 4096;
/** PID_MAX_LIMIT: pid_max can never be raised above it. */
export const PID_MAX = 4194304;
/** Exclusive end of user space (TASK_SIZE with 4-level paging). */
export const USER_SPACE_END = 0x800000000000n;
/** Where the legacy vsyscall page lives: the kernel provides it, so it is never recorded. */
export const VSYSCALL_ADDRESS = 0xffffffffff600000n;
/** Default fs.nr_open: no descriptor number can reach it. */
export const FD_LIMIT = 1048576;
/** PATH_MAX includes the terminating NUL, so a usable string is shorter. */
export const MAX_STRING_BYTES = 4096;
/** struct user_regs_struct on x86_64: 27 registers of 8 bytes. */
export const REGS_BYTES = 216;
/** The legacy FXSAVE area plus header is the smallest XSAVE image; 64 KiB is far above any CPU's. */
export const XSTATE_MIN_BYTES = 512;
export const XSTATE_MAX_BYTES = 65536;
export const SIGINFO_BYTES = 128;
/** One auxv entry: type and value, two u64. */
export const AUXV_ENTRY_BYTES = 16;
/** A frame longer than this is corruption, not data: no record comes near it. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;
export const HASH_BYTES = 32;
