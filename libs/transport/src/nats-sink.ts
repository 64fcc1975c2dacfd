import { randomUUID } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { FrameBuffer, pagesRecordFor, StreamWriter, type SinkState, type Commit, type KindPayloads, type LocalInventory, type PayloadKind, type RecordSink } from '@ferry/proto';
import { PageStreamWriter } from './page-stream.js';
import { CrcWorker } from './crc-worker.js';
import { CHUNK_BYTES, OFFSET_HEADER, PART_HEADER, subjects, type OpenReply, type OpenRequest, type Part } from './protocol.js';
import { cancelPagesToAgent, pagesToAgent } from './agent-pages-client.js';
import { request, requestJson } from './rpc.js';

/**
 * Chunks in flight before the sink waits for acks: enough to keep the server's disk busy while
 * the next chunk travels, few enough that a dead server stops the dump soon.
 */
const WINDOW = 8;

/**
 * Chunks already sent to an image server that then died are never answered, and would hold the
 * dump for the whole request timeout: when no ack came for this long, the sink asks the server
 * whether it still has the stream; nobody answering ends the dump at once.
 */
const PROBE_MS = 1000;

/**
 * When the pages go to a target host, the image server hears only records, which are buffered up
 * to a chunk (a chunk of pages records stands for ~40 GiB of pages): they are sent at least this
 * often, or the server would drop the stream as abandoned (--idle-timeout, 30 s by default).
 */
const RECORDS_AT_LEAST_EVERY_MS = 2000;

export interface NatsSinkOptions {
  workload?: string;
  keepLast?: number;
  /**
   * Send the pages to this host's agent instead of the image server (a migration): it is asked
   * for an offer (agentSubjects.pages). When it does not answer or cannot be reached, the pages
   * go to the server.
   */
  pagesTo?: string;
  /** Told why the pages could not go to `pagesTo` (they go to the image server then). */
  onPagesFallback?: (why: string) => void;
  /** About how many bytes of pages the dump will send: their receiver makes room for them up front. */
  expectedPageBytes?: number;
}

/**
 * Starts a checkpoint on the image server. The stream is the one a local sink writes (the same
 * StreamWriter numbers and chains it): the records as a byte stream of frames, cut into NATS
 * chunks the server acks once they are fsynced, and the pages as a byte stream whose offsets the
 * pages records give, on the TCP page stream the server offers (page-stream.ts), or as NATS
 * chunks like the records when it offers none. A migration sends the pages to the target host's
 * agent instead (`pagesTo`); the server then keeps the records only.
 */
export async function openNatsSink(nc: NatsConnection, inventory: LocalInventory, options: NatsSinkOptions = {}): Promise<RecordSink> {
  const writer = new StreamWriter({ ...inventory, checkpointId: inventory.checkpointId ?? randomUUID(), parentCheckpointId: inventory.parentCheckpointId ?? '' });
  const direct = options.pagesTo === undefined ? undefined : await pagesToAgent(nc, options.pagesTo, writer.checkpointId, options.expectedPageBytes).catch((e: Error) => {
    options.onPagesFallback?.(e.message);
    return undefined;
  });
  const open: OpenRequest = {
    checkpointId: writer.checkpointId, workload: options.workload, keepLast: options.keepLast,
    pagesHeldBy: direct ? options.pagesTo : undefined, expectedPageBytes: direct ? undefined : options.expectedPageBytes,
  };
  let reply: OpenReply;
  try {
    reply = await requestJson<OpenReply>(nc, subjects.open, open);
  } catch (e) {
    direct?.close();
    if (direct) await cancelPagesToAgent(nc, options.pagesTo!, writer.checkpointId);
    throw e;
  }
  let pageStream = direct;
  if (!direct && reply.pageStream) {
    try {
      pageStream = await PageStreamWriter.connect(reply.pageStream, { checkpointId: writer.checkpointId, token: reply.pageStream.token });
    } catch (e) {
      await request(nc, subjects.abort(writer.checkpointId), '').catch(() => {});
      throw e;
    }
  }
  return new NatsRecordSink(nc, writer, pageStream, direct ? options.pagesTo : undefined);
}

class NatsRecordSink implements RecordSink {
  readonly checkpointId: string;
  private state: SinkState = 'open';
  private failure?: Error;
  private readonly buffered = new FrameBuffer();
  private readonly crc = new CrcWorker();
  private readonly ends: Record<Part, number> = { records: 0, pages: 0 };
  private readonly inflight = new Set<Promise<void>>();
  private lastAck = Date.now();
  private lastSent = Date.now();
  private probing = false;
  private readonly watchdog = setInterval(() => void this.probe(), PROBE_MS).unref();
  /** Settles at the first failure: waits end there, not when the requests in flight time out. */
  private readonly failed: Promise<void>;
  private signalFailure!: () => void;

  constructor(private readonly nc: NatsConnection, private readonly writer: StreamWriter, private readonly pageStream?: PageStreamWriter, private readonly pagesHeldBy?: string) {
    this.checkpointId = writer.checkpointId;
    this.failed = new Promise((resolve) => (this.signalFailure = resolve));
    this.buffered.add(writer.inventoryRecord);
  }

  async put<K extends PayloadKind>(kind: K, objectId: string, payload: KindPayloads[K]): Promise<void> {
    this.checkWritable();
    if ((kind as string) === 'pages') throw new Error('pages records are written by putPages');
    this.buffered.add(this.writer.add(kind, objectId, payload));
    if (this.buffered.bytes >= CHUNK_BYTES) await this.flush();
  }

  async putPages(pid: number, vaddr: bigint, data: Buffer): Promise<void> {
    this.checkWritable();
    const { objectId, pages } = pagesRecordFor(pid, vaddr, data.length, this.ends.pages);
    const crc = this.crc.crc32(data);
    try {
      // Both settle before we return: the caller reuses `data` then.
      if (this.pageStream) await Promise.all([this.writePages(data), crc]);
      // A copy: the client sends it later than that.
      else await Promise.all([this.send('pages', Buffer.from(data)), crc]);
    } catch (e) {
      // The sink's first failure stops the crc thread too: that is not the news.
      throw this.failure ?? e;
    }
    pages.crc32 = await crc;
    this.buffered.add(this.writer.add('pages', objectId, pages));
    const quiet = this.pagesHeldBy !== undefined && Date.now() - this.lastSent >= RECORDS_AT_LEAST_EVERY_MS;
    if (this.buffered.bytes >= CHUNK_BYTES || quiet) await this.flush();
  }

  async commit(): Promise<Commit> {
    this.checkWritable();
    this.state = 'committing';
    try {
      const { record, commit } = this.writer.commit();
      this.buffered.add(record);
      await this.flush();
      await this.settle();
      await this.pageStream?.allAcked().catch((e: Error) => this.fail(e));
      if (this.failure) throw this.failure;
      // The server checks the whole stream and fsyncs before it answers: after this the
      // checkpoint is stored, and only then may the dumper let the tree go.
      await request(this.nc, subjects.commit(this.checkpointId), '');
      this.state = 'committed';
      clearInterval(this.watchdog);
      this.crc.close();
      this.pageStream?.close();
      return commit;
    } catch (e) {
      this.fail(e as Error);
      this.state = 'failed';
      throw e;
    }
  }

  async abort(): Promise<void> {
    if (this.state === 'committed') throw new Error(`checkpoint ${this.checkpointId} is committed; abort would delete a complete checkpoint`);
    if (this.state === 'aborted') return;
    this.state = 'aborted';
    clearInterval(this.watchdog);
    this.crc.close();
    this.pageStream?.close();
    // Chunks still in flight are not waited for: nothing of them remains here, and the server
    // refuses whatever arrives for a stream it dropped.
    // The server also drops a stream that goes quiet: if it cannot be told now, it cleans up anyway.
    await Promise.all([
      request(this.nc, subjects.abort(this.checkpointId), '').catch(() => {}),
      this.pagesHeldBy && cancelPagesToAgent(this.nc, this.pagesHeldBy, this.checkpointId),
    ]);
  }

  private checkWritable(): void {
    if (this.failure) throw new Error(`checkpoint ${this.checkpointId}: ${this.failure.message}`, { cause: this.failure });
    if (this.state !== 'open') throw new Error(`checkpoint ${this.checkpointId}: the sink is ${this.state}`);
  }

  private async flush(): Promise<void> {
    if (this.buffered.bytes === 0) return;
    await this.send('records', this.buffered.take());
  }

  /** Sends DATA as the next bytes of PART, in chunks, waiting only when the window is full. */
  private async send(part: Part, data: Buffer): Promise<void> {
    for (let from = 0; from < data.length; from += CHUNK_BYTES) {
      while (this.inflight.size >= WINDOW && !this.failure) await Promise.race([...this.inflight, this.failed]);
      if (this.failure) throw this.failure;
      const chunk = data.subarray(from, Math.min(data.length, from + CHUNK_BYTES));
      this.lastSent = Date.now();
      const offset = this.ends[part];
      this.ends[part] += chunk.length;
      this.track(request(this.nc, subjects.put(this.checkpointId), chunk, { [PART_HEADER]: part, [OFFSET_HEADER]: String(offset) }).then(() => {}));
    }
  }

  /** The first failed chunk poisons the sink: everything after it would be refused anyway. */
  private track(work: Promise<void>): void {
    const tracked = work.then(
      () => void (this.lastAck = Date.now()),
      (e: Error) => this.fail(e),
    );
    this.inflight.add(tracked);
    void tracked.then(() => this.inflight.delete(tracked));
  }

  private async settle(): Promise<void> {
    while (this.inflight.size > 0 && !this.failure) await Promise.race([...this.inflight, this.failed]);
    if (this.failure) throw this.failure;
  }

  private async writePages(data: Buffer): Promise<void> {
    const offset = this.ends.pages;
    this.ends.pages += data.length;
    try {
      await this.pageStream!.write(offset, data);
    } catch (e) {
      this.fail(e as Error);
      throw e;
    }
  }

  private fail(e: Error): void {
    this.failure ??= e;
    clearInterval(this.watchdog);
    this.crc.close();
    this.signalFailure();
  }

  private async probe(): Promise<void> {
    if (this.probing || this.failure || this.inflight.size === 0 || Date.now() - this.lastAck < PROBE_MS) return;
    this.probing = true;
    try {
      await requestJson(this.nc, subjects.show, { checkpointId: this.checkpointId });
    } catch (e) {
      this.fail(e as Error);
    } finally {
      this.probing = false;
    }
  }
}
