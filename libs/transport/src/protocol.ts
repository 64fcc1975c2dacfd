// The image server's NATS protocol, shared by the server and its clients.
//
// Everything is request/reply on core NATS, not JetStream: the image server is the durable store,
// and its reply is sent only once what the request carried is written and fsynced in its own
// files. A JetStream ack would only say that NATS stored a copy (a second copy of every
// checkpoint, in a place the server must then drain), not that the checkpoint store has it.
// Requests for one checkpoint come from one connection, and NATS keeps their order, so the server
// handles them one after the other and every chunk carries its offset for it to check.

export const SUBJECT_PREFIX = 'ferry.images';

/** How long a party waits for an answer, or for the next bytes of a page stream. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** Where a page stream (page-stream.ts) is offered: the address, and a one-time token for its hello. */
export interface PageStreamOffer {
  host: string;
  port: number;
  token: string;
}

export interface PageStreamHello {
  checkpointId: string;
  token: string;
}

export const subjects = {
  open: `${SUBJECT_PREFIX}.open`,
  /** Per checkpoint, so the server can route a stream's chunks without decoding them. */
  put: (id: string) => `${SUBJECT_PREFIX}.put.${id}`,
  commit: (id: string) => `${SUBJECT_PREFIX}.commit.${id}`,
  abort: (id: string) => `${SUBJECT_PREFIX}.abort.${id}`,
  list: `${SUBJECT_PREFIX}.list`,
  show: `${SUBJECT_PREFIX}.show`,
  delete: `${SUBJECT_PREFIX}.delete`,
  read: `${SUBJECT_PREFIX}.read`,
  /** A committed checkpoint's pages over a page stream, offered like a dump's (see page-stream.ts). */
  fetch: `${SUBJECT_PREFIX}.fetch`,
};

/** A failed request's reply carries the reason here, its body empty. */
export const ERROR_HEADER = 'Ferry-Error';
/** put: which file of the checkpoint the bytes belong to. */
export const PART_HEADER = 'Ferry-Part';
/** put and read: where in that file the bytes go or come from. */
export const OFFSET_HEADER = 'Ferry-Offset';

export type Part = 'records' | 'pages';

/**
 * max_payload is 1 MiB including headers: chunks stay well below it. The record stream is cut at
 * any byte (a record larger than a chunk spans several), the server joins the frames again.
 */
export const CHUNK_BYTES = 1024 * 1024 - 16 * 1024;

/** Checkpoint ids become directory names on the server: nothing that could climb out of one. */
export function checkCheckpointId(id: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/.test(id)) throw new Error(`not a checkpoint id: ${JSON.stringify(id.slice(0, 140))}`);
}

export interface OpenRequest {
  checkpointId: string;
  /** The workload the checkpoint belongs to; the server names it host:pid:exe when not given. */
  workload?: string;
  /** Keep only this many committed checkpoints of the workload (overrides the server's default). */
  keepLast?: number;
  /** About how many bytes of pages will come: the server makes room for them as the stream opens. */
  expectedPageBytes?: number;
  /**
   * The pages go straight to this host's agent (a migration): the server stores the records only,
   * checks that they chain and commit, and never offers the checkpoint's pages.
   */
  pagesHeldBy?: string;
}

export interface OpenReply {
  ok: true;
  /** Where to send the pages (see page-stream.ts); absent: as NATS chunks, part `pages`. */
  pageStream?: PageStreamOffer;
}

export interface ReadRequest {
  checkpointId: string;
  part: Part;
  offset: number;
  length: number;
}

export interface FetchRequest {
  checkpointId: string;
}

export interface FetchReply {
  /** Where to take the pages from (see page-stream.ts); absent: read them over NATS. */
  pageStream?: PageStreamOffer;
}

/**
 * An agent's page stream for a migration to its host: the source asks the target's agent for an
 * offer, so that pages cross once, from the dumper to the host that restores them, instead of
 * through the image server and back (which doubled the bytes moved in the downtime).
 */
export const agentSubjects = {
  // Host names come from flags or the system: anything that is not a plain subject token is escaped.
  pages: (host: string) => `ferry.agents.${host.replace(/[^A-Za-z0-9_-]/g, '_')}.pages`,
};

export interface AgentPagesRequest {
  checkpointId: string;
  /** The dump failed: drop what came (answered with an empty offer). */
  cancel?: boolean;
  /** About how many bytes of pages will come (the tree's resident memory): room is made for them. */
  expectedBytes?: number;
}

export interface TaskSummary {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  threads: number;
  comm: string;
  exe: string;
  zombie: boolean;
}

/** What list and show tell about a checkpoint. */
export interface CheckpointSummary {
  checkpointId: string;
  workload: string;
  host: string;
  rootPid: number;
  createdAt: string;
  /** When the commit was stored; empty while the stream is still coming in. */
  committedAt: string;
  committed: boolean;
  records: number;
  recordBytes: number;
  pageBytes: number;
  /** Bytes stored: records and pages. */
  size: number;
  /** The host whose agent received the pages instead of the server (a migration's checkpoint). */
  pagesHeldBy?: string;
  tasks: TaskSummary[];
  kindCounts: Record<string, number>;
}
