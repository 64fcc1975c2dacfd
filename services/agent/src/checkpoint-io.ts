// What the local commands share with the agent, without the queues: importing it loads no BullMQ.
export { imageServerSink, type ImageServerSink, type ImageServerSinkOptions } from './image-server-sink.js';
export { fetchCheckpointCopy, type FetchedCheckpoint } from './fetched-checkpoint.js';
export { withNats } from './nats.js';
export type { Faults, NatsSettings } from './options.js';
