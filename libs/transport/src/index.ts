// The record stream between hosts: NATS connections from configuration, record sinks and sources over NATS, the page stream.
export {};
