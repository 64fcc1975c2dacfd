// ferry migrate moves a server with its listening socket: on b, in its own network namespace,
// it listens on the same port and its next client is served by the same program, counting on.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { removeBuiltWorkloads, script, ferry, withCluster, startOnA, waitForLine, freePort, treeOf, waitUntil, alive } from '@ferry/testbed';

after(removeBuiltWorkloads);

function get(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host, port, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

test('a node HTTP server listening on every address moves to b and serves there, counting on', () => withCluster({}, async (c) => {
  const port = await freePort();
  const out = c.scratch.path('out');
  const pid = startOnA(c, [process.execPath, script('inet-http-server.mjs'), String(port), '0.0.0.0'], out);
  await waitForLine(out, /^ready/, 20_000);
  assert.match(await get('127.0.0.1', port), /^request 1 from port \d+\n$/);
  const tree = treeOf(pid);
  const r = await ferry(['migrate', '--pid', String(pid), '--from', 'a', '--to', 'b', '--json'], { env: c.env });
  assert.equal(r.status, 0, `ferry migrate: ${r.stderr}\n--- agent a:\n${c.agentA.output}\n--- agent b:\n${c.agentB.output}`);
  await waitUntil('the server to end here', () => tree.every((p) => !alive(p)));
  c.started.splice(0, c.started.length);
  assert.match(await get(c.b.address, port), /^request 2 from port \d+\n$/, 'served on b by the same program');
  assert.match(await get(c.b.address, port), /^request 3 from port \d+\n$/);
}));
