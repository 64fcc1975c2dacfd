// The record stream between hosts: NATS connections from configuration, record sinks over NATS,
// and the image server's protocol and client calls.
export { natsConfig, DEFAULT_NATS_URL, type NatsConfig, type NatsFlags, type NatsEnv } from './nats-config.js';
export { connectNats, type ConnectOptions } from './connect.js';
export { openNatsSink, type NatsSinkOptions } from './nats-sink.js';
export { request, requestJson } from './rpc.js';
export { respondJson, respondData, respondError } from './replies.js';
export { fetchCheckpoint, listCheckpoints, showCheckpoint, deleteCheckpoint, type FetchOptions } from './image-client.js';
export * from './protocol.js';
export { PageStreamWriter, receivePages, FETCH_CONNECT_TIMEOUT_MS, PAGE_ACK_BYTES, PAGE_FRAME_HEADER, PAGE_FRAME_MAX } from './page-stream.js';
export type { NatsConnection, Msg, Subscription } from '@nats-io/transport-node';
export { listenForPages, type PageListener, type PageSource, type PageTarget } from './page-listener.js';
export { PageFile, type PageFileOptions } from './page-file.js';
