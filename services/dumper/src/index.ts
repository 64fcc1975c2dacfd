export { dump, FERRY_VERSION, type DumpOptions, type DumpSummary } from './dump.js';
export { runningTree } from './tree.js';
export { releaseAbandonedConnections } from './abandoned.js';
export { UnsupportedFdError } from './objects/fd.js';
export type { Log } from './log.js';
