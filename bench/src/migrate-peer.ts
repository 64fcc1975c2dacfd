// The far end of the migrate part's transport baselines, run as a process of its own (`node
// migrate-peer.js MODE`), so that each baseline measures two processes as a migration does:
//   tcp-sink     listens on a free loopback port, says {"port"}, then reads one connection to
//                its end and says {"bytes","ms"} (from its first byte to its end);
//   nats-reader SUBJECT  answers requests on SUBJECT with CHUNK_BYTES bytes from memory, as the
//                image server answers a fetch (without its file read), and says {"ready":true}.
import net from 'node:net';
import { CHUNK_BYTES, connectNats, natsConfig } from '@ferry/transport';

const say = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);

async function tcpSink(): Promise<void> {
  const server = net.createServer((socket) => {
    let bytes = 0;
    let first = 0;
    socket.on('data', (d: Buffer) => {
      if (bytes === 0) first = performance.now();
      bytes += d.length;
    });
    socket.on('end', () => {
      say({ bytes, ms: performance.now() - first });
      socket.end();
      server.close();
    });
  });
  server.listen(0, '127.0.0.1', () => say({ port: (server.address() as net.AddressInfo).port }));
}

async function natsReader(subject: string): Promise<void> {
  const nc = await connectNats(natsConfig({}, process.env), { name: 'bench nats-reader' });
  const chunk = Buffer.alloc(CHUNK_BYTES, 7);
  nc.subscribe(subject, { callback: (err, msg) => { if (!err) msg.respond(chunk); } });
  await nc.flush();
  say({ ready: true });
}

const mode = process.argv[2];
if (mode === 'tcp-sink') await tcpSink();
else if (mode === 'nats-reader') await natsReader(process.argv[3]!);
else throw new Error(`migrate-peer: unknown mode ${mode}`);
