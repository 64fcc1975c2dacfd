import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  agentSubjects, checkCheckpointId, listenForPages, PageFile, respondError, respondJson,
  type AgentPagesRequest, type NatsConnection, type PageListener, type PageStreamHello, type PageStreamOffer, type Subscription,
} from '@ferry/transport';
import { connectTo } from './nats.js';
import type { NatsSettings } from './options.js';

const SWEEP_MS = 5000;
const NATS_RETRY_MS = 2000;

export interface AgentPagesOptions {
  host: string;
  /** Where the page streams connect (port 0: any free one). */
  listen: { host: string; port: number };
  nats: NatsSettings;
  /** The received files' directory. */
  dir: string;
  /**
   * Pages received for a migration wait this long for its restore job once nothing more arrives:
   * the job comes right after the source's commit, unless this agent is busy with another job
   * first, and the source gives up on the target after its take-over timeout (120 s by default) anyway.
   */
  unclaimedMs: number;
  say: (line: string) => void;
}

interface Incoming {
  token: string;
  file: PageFile;
  connected: boolean;
  /** The file's size at the last sweep, and when it last changed (or the stream connected). */
  bytesSeen: number;
  lastActivity: number;
}

/**
 * The target side of a migration's page stream: the source asks this host's agent (over NATS,
 * agentSubjects.pages) for an offer, and sends the pages here while it dumps, so that after the
 * commit only the records are fetched from the image server. A restore job takes the file with
 * take(); what no job takes (the dump failed, the migration was called off) is removed.
 */
export class AgentPages {
  private readonly incoming = new Map<string, Incoming>();
  private readonly sweeper = setInterval(() => this.sweep(), SWEEP_MS).unref();
  private nc?: NatsConnection;
  private subscription?: Subscription;
  private closed = false;

  private constructor(private readonly o: AgentPagesOptions, private readonly listener: PageListener) {}

  /**
   * Listens on LISTEN and answers offers on NATS; connecting to NATS is retried in the background
   * (meanwhile a source finds no responder and sends its pages through the image server).
   */
  static async start(o: AgentPagesOptions): Promise<AgentPages> {
    fs.mkdirSync(o.dir, { recursive: true });
    let pages: AgentPages | undefined;
    const listener = await listenForPages(o.listen.host, o.listen.port, (hello) => pages!.targetFor(hello));
    pages = new AgentPages(o, listener);
    void pages.connect();
    return pages;
  }

  get address(): string {
    return `${this.listener.host}:${this.listener.port}`;
  }

  /** The pages file received for CHECKPOINT_ID, now the caller's; undefined when none came here. */
  async take(checkpointId: string): Promise<string | undefined> {
    const entry = this.incoming.get(checkpointId);
    if (!entry) return undefined;
    this.incoming.delete(checkpointId);
    await entry.file.close();
    return entry.file.path;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    this.subscription?.unsubscribe();
    this.listener.close();
    await this.nc?.close().catch(() => {});
    await Promise.all([...this.incoming.keys()].map((id) => this.drop(id)));
  }

  private async connect(): Promise<void> {
    for (let attempt = 0; !this.closed; attempt++) {
      try {
        this.nc = await connectTo(this.o.nats, { name: `ferry agent ${this.o.host}`, reconnect: true });
        break;
      } catch (e) {
        if (attempt === 0) this.o.say(`no page stream offers until NATS answers (${(e as Error).message}); migrations to this host send their pages through the image server meanwhile`);
        await new Promise((r) => setTimeout(r, NATS_RETRY_MS));
      }
    }
    if (this.closed || !this.nc) return;
    this.subscription = this.nc.subscribe(agentSubjects.pages(this.o.host), {
      callback: (err, msg) => {
        if (err) return;
        this.offer(msg.json<AgentPagesRequest>()).then((offer) => respondJson(msg, offer), (e: Error) => respondError(msg, e.message));
      },
    });
  }

  private async offer(request: AgentPagesRequest): Promise<PageStreamOffer | Record<string, never>> {
    checkCheckpointId(request.checkpointId);
    if (request.cancel) {
      await this.drop(request.checkpointId);
      return {};
    }
    if (this.incoming.has(request.checkpointId)) throw new Error(`host ${this.o.host} is already receiving the pages of checkpoint ${request.checkpointId}`);
    const expectedBytes = Number.isSafeInteger(request.expectedBytes) && request.expectedBytes! > 0 ? Math.min(request.expectedBytes!, os.freemem()) : undefined;
    const file = await PageFile.create(path.join(this.o.dir, `${request.checkpointId}.pages`), { sync: false, expectedBytes });
    const token = randomBytes(16).toString('hex');
    this.incoming.set(request.checkpointId, { token, file, connected: false, bytesSeen: 0, lastActivity: Date.now() });
    return { host: this.listener.host, port: this.listener.port, token };
  }

  /** One connection per offer, with its token. */
  private targetFor(hello: PageStreamHello): PageFile | undefined {
    const entry = this.incoming.get(hello.checkpointId);
    if (!entry || entry.connected || entry.token !== hello.token) return undefined;
    entry.connected = true;
    entry.lastActivity = Date.now();
    return entry.file;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, entry] of this.incoming) {
      // A stream still coming in is active: its file grew since the last sweep.
      if (entry.file.bytes !== entry.bytesSeen) {
        entry.bytesSeen = entry.file.bytes;
        entry.lastActivity = now;
      } else if (now - entry.lastActivity > this.o.unclaimedMs) {
        this.o.say(`removed the pages of checkpoint ${id}: no restore took them within ${this.o.unclaimedMs / 1000} s`);
        void this.drop(id);
      }
    }
  }

  private async drop(checkpointId: string): Promise<void> {
    const entry = this.incoming.get(checkpointId);
    if (!entry) return;
    this.incoming.delete(checkpointId);
    await entry.file.close().catch(() => {});
    await fs.promises.rm(entry.file.path, { force: true });
  }
}
