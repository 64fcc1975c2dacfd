// Runs every workspace's compiled node:test files (WORKSPACE/dist/test), one file at a time: the
// tests trace and restore real processes with fixed pids, so they must not run side by side. The
// workspaces are the root package.json's, so a new one is tested as soon as it is listed there.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const dirs = workspaces().map((d) => path.join(d, 'dist/test')).filter((d) => fs.existsSync(d));
const filter = process.argv.slice(2);
const files = dirs.flatMap((d) => walk(d)).filter((f) => f.endsWith('.test.js') && (filter.length === 0 || filter.some((x) => f.includes(x))));

/** The workspace directories, with an entry like "services/*" standing for each directory in services. */
function workspaces() {
  const { workspaces: entries = [] } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  return entries.flatMap((entry) => {
    if (!entry.endsWith('/*')) return [path.join(root, entry)];
    const parent = path.join(root, entry.slice(0, -2));
    return fs.readdirSync(parent, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(parent, e.name));
  });
}

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

if (files.length === 0) {
  console.error(`no test files${filter.length ? ` matching ${filter.join(', ')}` : ''} under ${dirs.map((d) => path.relative(root, d)).join(', ')} (built?)`);
  process.exit(1);
}
// The tests start without the descriptors our caller leaked to us (a shell's, a CI runner's): a
// workload that inherited one would hold a pipe to something outside its tree, and its dump
// would carry it. Only stdio goes through.
const closeInherited = 'import os, sys\nos.closerange(3, 1 << 16)\nos.execv(sys.argv[1], sys.argv[1:])';
const r = spawnSync('python3', ['-c', closeInherited, process.execPath, '--test', '--test-concurrency=1', ...files], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
