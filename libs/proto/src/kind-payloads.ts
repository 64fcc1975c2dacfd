/**
 * Each kind's payload type, by kind name. Every src/kinds/<kind>.ts adds its own entry through
 * declaration merging (`declare module '../kind-payloads.js'`), so a new kind edits no shared list.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface KindPayloads {}

export type KindName = keyof KindPayloads & string;

/** What a sink's put() accepts: inventory, commit and pages records are written by the sink itself. */
export type PayloadKind = Exclude<KindName, 'inventory' | 'commit' | 'pages'>;
