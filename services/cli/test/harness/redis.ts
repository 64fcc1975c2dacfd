// A private redis-server for a test: a free loopback port, a password, no persistence, its own
// directory; stopped by its pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.js';

export interface RedisServer {
  pid: number;
  port: number;
  password: string;
  /** redis://:PASSWORD@127.0.0.1:PORT */
  url: string;
  /** SIGKILL, as a crash would; resolves once it is gone. */
  kill(): Promise<void>;
}


function untilReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000);
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited ${code}: ${out}`));
    });
  });
}

export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-redis-'));
  const child = spawn('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', password, '--dir', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const gone = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
    await gone;
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await untilReady(child);
  } catch (e) {
    await kill();
    throw e;
  }
  child.stdout!.resume();
  return { pid: child.pid!, port, password, url: `redis://:${password}@127.0.0.1:${port}`, kill };
}
