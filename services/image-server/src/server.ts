import { randomBytes } from 'node:crypto';
import { checkCheckpointId, OFFSET_HEADER, PART_HEADER, respondData, respondError, respondJson, subjects, SUBJECT_PREFIX, type CheckpointSummary, type FetchReply, type FetchRequest, type Msg, type NatsConnection, type OpenReply, type OpenRequest, type PageStreamHello, type ReadRequest } from '@ferry/transport';
import { listenForPages, type PageListener, type PageSource, type PageTarget } from '@ferry/transport';
import { summaryOf } from './checkpoint-index.js';
import { IncomingCheckpoint } from './incoming.js';
import { keepLast } from './retention.js';
import { pagesHeldElsewhere, type CheckpointStore } from './store.js';

export interface ImageServerOptions {
  nc: NatsConnection;
  store: CheckpointStore;
  /** A stream with no traffic for this long is taken for a dead dumper and dropped. */
  idleMs: number;
  /** Committed checkpoints kept per workload, unless the dump asks otherwise; 0 keeps all. */
  keepLast: number;
  log: (line: string) => void;
  /** Where to listen for page streams (port 0: any); without it pages come over NATS. */
  pageStream?: { host: string; port: number };
}

interface Session {
  incoming: IncomingCheckpoint;
  /** Proves a page stream connection belongs to this stream's dumper. */
  token: string;
  /** A stream's requests are handled one after the other, in the order NATS delivered them. */
  queue: Promise<void>;
  timer?: NodeJS.Timeout;
}

/** A fetch's page stream, offered and not yet taken; forgotten after idleMs. */
interface FetchOffer {
  checkpointId: string;
  length: number;
  timer: NodeJS.Timeout;
}

export interface ImageServer {
  close(): Promise<void>;
}

/** Serves the image server's protocol (see @ferry/transport protocol.ts) on NC from STORE. */
export async function startImageServer(o: ImageServerOptions): Promise<ImageServer> {
  const sessions = new Map<string, Session>();
  /** By token: each is good for one connection. */
  const offers = new Map<string, FetchOffer>();

  const drop = (id: string, why: string) => {
    const s = sessions.get(id);
    if (!s) return;
    sessions.delete(id);
    clearTimeout(s.timer);
    o.log(`dropped checkpoint ${id}: ${why}`);
    s.queue = s.queue.then(() => s.incoming.abort()).catch((e: Error) => o.log(`removing checkpoint ${id}: ${e.message}`));
  };
  const touch = (s: Session) => {
    clearTimeout(s.timer);
    s.timer = setTimeout(() => drop(s.incoming.checkpointId, `no traffic for ${o.idleMs / 1000} s, its dumper is gone`), o.idleMs);
  };
  /** Runs WORK in the stream's turn; a failure drops the stream, whose dumper then aborts. */
  const inTurn = (msg: Msg, work: (s: Session) => Promise<void>) => {
    const id = msg.subject.slice(msg.subject.lastIndexOf('.') + 1);
    const s = sessions.get(id);
    if (!s) return respondError(msg, `no checkpoint ${id} is being received (never opened, or dropped after ${o.idleMs / 1000} s without traffic)`);
    touch(s);
    s.queue = s.queue.then(() => work(s)).catch((e: Error) => {
      respondError(msg, `checkpoint ${id}: ${e.message}`);
      drop(id, e.message);
    });
  };
  const pageTarget = (hello: PageStreamHello): PageTarget | undefined => {
    const s = sessions.get(hello.checkpointId);
    if (!s || s.token !== hello.token || s.incoming.request.pagesHeldBy) return undefined;
    return {
      write(offset, data) {
        touch(s);
        const written = s.queue.then(() => s.incoming.put('pages', offset, data));
        s.queue = written.catch((e: Error) => drop(s.incoming.checkpointId, e.message));
        return { written, durable: written.then(() => s.incoming.durable('pages')) };
      },
      broken: (why) => drop(s.incoming.checkpointId, why),
    };
  };
  const pageSource = (hello: PageStreamHello): PageSource | undefined => {
    const offer = offers.get(hello.token);
    if (!offer || offer.checkpointId !== hello.checkpointId) return undefined;
    offers.delete(hello.token);
    clearTimeout(offer.timer);
    return { file: o.store.fileOf(offer.checkpointId, 'pages'), length: offer.length };
  };
  const pages: PageListener | undefined = o.pageStream && (await listenForPages(o.pageStream.host, o.pageStream.port, pageTarget, pageSource));
  const answer = (msg: Msg, work: () => Promise<void>) => {
    work().catch((e: Error) => respondError(msg, e.message));
  };

  const handlers: Record<string, (msg: Msg) => void> = {
    [subjects.open]: (msg) => answer(msg, async () => {
      const req = msg.json<OpenRequest>();
      checkCheckpointId(req.checkpointId);
      if (sessions.has(req.checkpointId)) throw new Error(`checkpoint ${req.checkpointId} is already being received`);
      const s: Session = { incoming: await IncomingCheckpoint.start(o.store, req), token: randomBytes(16).toString('hex'), queue: Promise.resolve() };
      sessions.set(req.checkpointId, s);
      touch(s);
      const reply: OpenReply = { ok: true, pageStream: pages && !req.pagesHeldBy ? { host: pages.host, port: pages.port, token: s.token } : undefined };
      respondJson(msg, reply);
    }),
    [subjects.put('*')]: (msg) => inTurn(msg, async (s) => {
      const part = msg.headers?.get(PART_HEADER);
      const offset = Number(msg.headers?.get(OFFSET_HEADER));
      if ((part !== 'records' && part !== 'pages') || !Number.isSafeInteger(offset)) throw new Error('a chunk without a valid part and offset');
      // A copy: the client's read buffer is reused once this callback returns.
      await s.incoming.put(part, offset, Buffer.from(msg.data));
      // The next chunk is written while this one syncs; the ack waits for the sync.
      s.incoming.durable(part).then(
        () => respondJson(msg, { ok: true }),
        (e: Error) => {
          respondError(msg, `checkpoint ${s.incoming.checkpointId}: ${e.message}`);
          drop(s.incoming.checkpointId, e.message);
        },
      );
    }),
    [subjects.commit('*')]: (msg) => inTurn(msg, async (s) => {
      const index = await s.incoming.commit();
      sessions.delete(index.checkpointId);
      clearTimeout(s.timer);
      o.log(`stored checkpoint ${index.checkpointId} of ${index.workload}: ${index.records} records, ${index.pageBytes} bytes of pages`);
      // Answered first: the checkpoint is stored whatever pruning does.
      respondJson(msg, summaryOf(index));
      const n = s.incoming.request.keepLast ?? o.keepLast;
      if (n > 0) {
        await keepLast(o.store, index.workload, n).then(
          (removed) => removed.forEach((id) => o.log(`removed checkpoint ${id}: more than ${n} of ${index.workload}`)),
          (e: Error) => o.log(`keeping the last ${n} of ${index.workload}: ${e.message}`),
        );
      }
    }),
    [subjects.abort('*')]: (msg) => inTurn(msg, async (s) => {
      drop(s.incoming.checkpointId, 'its dumper gave up');
      respondJson(msg, { ok: true });
    }),
    [subjects.list]: (msg) => answer(msg, async () => {
      const stored = (await o.store.committed()).map(summaryOf);
      const coming = [...sessions.values()].map((s) => summaryOf(s.incoming.progress()));
      const all: CheckpointSummary[] = [...stored, ...coming].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
      respondJson(msg, all);
    }),
    [subjects.show]: (msg) => answer(msg, async () => {
      const { checkpointId } = msg.json<{ checkpointId: string }>();
      respondJson(msg, summaryOf(sessions.get(checkpointId)?.incoming.progress() ?? (await committedIndex(o.store, checkpointId))));
    }),
    [subjects.delete]: (msg) => answer(msg, async () => {
      const { checkpointId } = msg.json<{ checkpointId: string }>();
      if (sessions.has(checkpointId)) drop(checkpointId, 'deleted on request');
      else {
        await committedIndex(o.store, checkpointId);
        await o.store.remove(checkpointId);
        o.log(`deleted checkpoint ${checkpointId}`);
      }
      respondJson(msg, { ok: true });
    }),
    [subjects.read]: (msg) => answer(msg, async () => {
      const r = msg.json<ReadRequest>();
      checkCheckpointId(r.checkpointId);
      respondData(msg, await o.store.read(r.checkpointId, r.part, r.offset, r.length));
    }),
    [subjects.fetch]: (msg) => answer(msg, async () => {
      const { checkpointId } = msg.json<FetchRequest>();
      const index = await committedIndex(o.store, checkpointId);
      if (index.pagesHeldBy) throw new Error(pagesHeldElsewhere(checkpointId, index.pagesHeldBy));
      const reply: FetchReply = {};
      if (pages) {
        const token = randomBytes(16).toString('hex');
        offers.set(token, { checkpointId, length: index.pageBytes, timer: setTimeout(() => offers.delete(token), o.idleMs) });
        reply.pageStream = { host: pages.host, port: pages.port, token };
      }
      respondJson(msg, reply);
    }),
  };

  const subs = Object.entries(handlers).map(([subject, handle]) =>
    o.nc.subscribe(subject, { callback: (err, msg) => (err ? o.log(`subscription ${subject}: ${err.message}`) : handle(msg)) }),
  );
  o.log(`serving checkpoints from ${o.store.root} on ${SUBJECT_PREFIX}.*${pages ? `, page streams on ${pages.host}:${pages.port}` : ''}`);

  return {
    async close() {
      for (const sub of subs) sub.unsubscribe();
      pages?.close();
      for (const s of sessions.values()) clearTimeout(s.timer);
      for (const f of offers.values()) clearTimeout(f.timer);
      await Promise.allSettled([...sessions.values()].map((s) => s.queue));
    },
  };
}

async function committedIndex(store: CheckpointStore, checkpointId: string) {
  checkCheckpointId(checkpointId);
  const index = await store.readIndex(checkpointId);
  if (!index) throw new Error(`no committed checkpoint ${checkpointId}`);
  return index;
}
