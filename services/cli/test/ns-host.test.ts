// A checkpoint restored on another "host" (pid, mount and network namespaces of its own) keeps
// its pids there, carries on, and the host is reachable over its own link.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { repoRoot, workload } from './harness/build.js';
import { Scratch } from './harness/scratch.js';
import { launch, treeOf, waitGone, waitForLine, waitUntil } from './harness/processes.js';
import { ferryOk } from './harness/ferry.js';
import { treeCheck } from './harness/tree-workload.js';
import { NamespaceHost } from './harness/ns-host.js';

const ferryBin = path.join(repoRoot, 'services/cli/bin/ferry.js');

test('a tree dumped here is restored inside another pid namespace with the same pids there', async () => {
  const scratch = new Scratch();
  const host = new NamespaceHost();
  try {
    await host.connect();
    const server = net.createServer((c) => c.on('data', (d) => { heard += d; }));
    let heard = '';
    await new Promise<void>((r) => server.listen(0, host.ourAddress, r));
    const port = (server.address() as net.AddressInfo).port;
    host.exec(['python3', '-c', `import socket; socket.create_connection(('${host.ourAddress}', ${port}), 5).sendall(b'from the host')`]);
    await waitUntil('the host to reach us over its link', () => heard === 'from the host');
    server.close();
    const out = scratch.path('out');
    const root = launch([workload('tree', ['-pthread'])], { newSession: true, output: out });
    await waitForLine(out, /^ready/);
    const pids = treeOf(root);
    await ferryOk(['dump', '-t', String(root), '-D', scratch.path('img')]);
    for (const pid of pids) await waitGone(pid);
    host.exec([process.execPath, ferryBin, 'restore', '-D', scratch.path('img'), '-d']);
    // Inside the host the tree has its old pids; here, pids of the host's namespace.
    const outer = pids.map((pid) => host.outerPid(pid));
    assert.ok(outer.every((p) => p !== undefined), `pids inside the host: ${pids} -> ${outer}`);
    assert.equal(await treeCheck({ root: outer[0]!, pids: outer as number[], out }), 'check ok');
  } finally {
    await host.remove();
    scratch.remove();
  }
});
