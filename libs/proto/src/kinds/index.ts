// Every kind's validator and helpers. A new kind in libs/proto is two files: proto/KIND.proto and
// src/kinds/KIND.ts, which exports validate<Message> (Message: the first message of the .proto)
// and whatever logic the services share about the kind. The build generates the rest from the
// .proto folder into src/generated/: the TS types, the KindPayloads entry, the codec's validator
// table and the re-export below. It stops when KIND.ts is missing, and tsc does when KIND.ts
// lacks validate<Message> or checks another type.
export * from '../generated/kind-modules.js';
