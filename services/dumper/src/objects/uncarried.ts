import type { FileDescriber } from './file-kinds.js';

/** Descriptors whose state lives in the kernel out of ferry's reach: each refused, saying what it is. */
const UNCARRIED: Record<string, string> = {
  'anon_inode:[io_uring]': 'an io_uring instance: its rings and the requests in flight cannot be carried',
  'anon_inode:[userfaultfd]': 'a userfaultfd: its registered ranges and pending faults cannot be carried',
  'anon_inode:[perf_event]': 'a perf_event counter: not supported',
};

export const describeUncarried: FileDescriber = (_pid, info) => {
  const why = UNCARRIED[info.target];
  return why === undefined ? null : `${info.target} (${why})`;
};
