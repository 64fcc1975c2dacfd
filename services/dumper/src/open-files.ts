import { fileDescribers } from './kinds.js';
import { collectFds } from './objects/fd.js';
import { externalNames } from './objects/external.js';
import { describeContext, type DescribeContext, type FileOptions } from './objects/file-kinds.js';

/**
 * The names --inherit-fd KEYS leave outside the checkpoint. The root's descriptors are described
 * here too, their contents left alone, so that an unsupported one is refused before anything is
 * stopped.
 */
export function checkOpenFiles(root: number, running: readonly number[], keys: readonly string[], options: FileOptions): ReadonlySet<string> {
  const external = externalNames(keys, running);
  collectFds(root, describeContext(fileDescribers, running, external, options, false));
  return external;
}

/** The open files of the frozen tree, filled as its tasks' descriptors are read. */
export function openFilesOf(pids: Iterable<number>, external: ReadonlySet<string>, options: FileOptions): DescribeContext {
  return describeContext(fileDescribers, pids, external, options);
}
