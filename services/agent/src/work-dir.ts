import os from 'node:os';
import path from 'node:path';

/** Where an agent fetches checkpoints: its own, so that what a killed agent left can be removed at its start. */
export function agentWorkDir(host: string): string {
  return path.join(os.tmpdir(), `ferry-agent-${host}`);
}
