// The durable record store of the distributed mode: receives checkpoints over NATS, keeps them, replays them.
export {};
