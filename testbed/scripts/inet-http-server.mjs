// A node HTTP server that keeps connections alive for ten minutes; each answer says how many
// requests it has served and the client's port, so a client sees that both survived.
import http from 'node:http';

let served = 0;
const server = http.createServer((req, res) => {
  served++;
  res.end(`request ${served} from port ${req.socket.remotePort}\n`);
});
server.keepAliveTimeout = 600_000;
// HOST: the address to listen on (default loopback).
server.listen(Number(process.argv[2]), process.argv[3] ?? '127.0.0.1', () => console.log('ready'));
