// The durable record store of the distributed mode: receives checkpoints over NATS, keeps them, replays them.
export { startImageServer, type ImageServer, type ImageServerOptions } from './server.js';
export { CheckpointStore } from './store.js';
export type { CheckpointIndex } from './checkpoint-index.js';
