// Runs every package's compiled node:test files, one file at a time: the tests trace and restore
// real processes with fixed pids, so they must not run side by side.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const dirs = ['libs/sys', 'libs/proto', 'libs/transport', 'services/dumper', 'services/restorer', 'services/image-server', 'services/cli']
  .map((d) => path.join(root, d, 'dist/test'))
  .filter((d) => fs.existsSync(d));
const filter = process.argv.slice(2);
const files = dirs.flatMap((d) => walk(d)).filter((f) => f.endsWith('.test.js') && (filter.length === 0 || filter.some((x) => f.includes(x))));

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...files], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
