import type { KindPayloads } from './generated/kind-payloads.js';

/** Generated from the .proto folder (scripts/generate-types.mjs): a new kind edits no list here. */
export type { KindPayloads };

export type KindName = keyof KindPayloads & string;

/** What a sink's put() accepts: inventory, commit and pages records are written by the sink itself. */
export type PayloadKind = Exclude<KindName, 'inventory' | 'commit' | 'pages'>;
