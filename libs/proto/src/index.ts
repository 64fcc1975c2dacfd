// @ferry/proto: the checkpoint contract. Kinds and their payload types, the record envelope and
// its chain, framing, the sink/source interfaces, and the local image directory.

export type { KindPayloads, KindName, PayloadKind } from './kind-payloads.js';
export * from './generated/messages.js';
export * from './kinds/index.js';
export * from './limits.js';
export { PayloadError } from './payload-error.js';
export { KIND_NAMES, isKindName, encodePayload, decodePayload, defaultPayload, validatePayload } from './payload-codec.js';
export { PROTO_DIR } from './schema.js';

export { type RecordEnvelope, encodeRecord, decodeRecord, recordHash, firstPrevHash, objectIdProblem } from './envelope.js';
export { type Frame, FrameError, frame, frameLength, readFrames } from './framing.js';
export { StreamWriter, checkPayload, INVENTORY_OBJECT_ID, COMMIT_OBJECT_ID } from './stream-writer.js';
export { StreamVerifier, StreamError } from './stream-verifier.js';

export type { RecordSink } from './record-sink.js';
export type { RecordSource, DecodedRecord } from './record-source.js';

export { RECORDS_FILE, PAGES_FILE } from './local-layout.js';
export { openLocalSink, type LocalInventory } from './local-sink.js';
export { pagesRecordFor } from './pages-record.js';
export { FrameBuffer, type SinkState } from './frame-buffer.js';
export { writeAll, readFully, syncDir } from './file-io.js';
export { loadLocalImage, checkPageStore, PARENT_LINK, type Image, type LoadOptions } from './local-image.js';
export type { PageRun } from './page-store-check.js';
export { ImageError } from './image-error.js';
