// The jobs a host's agent takes from its BullMQ queue (prefix ferry:HOST, queue "jobs").
import os from 'node:os';

export const JOB_QUEUE = 'jobs';

export function hostPrefix(host: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(host)) throw new Error(`not a host name: ${JSON.stringify(host)}`);
  return `ferry:${host}`;
}

export function thisHost(): string {
  return process.env.FERRY_HOST || os.hostname();
}

/** Restore the stored checkpoint on the agent's host, detached; the result is the restored root pid. */
export interface RestoreJob {
  checkpointId: string;
}

export interface RestoreJobResult {
  pid: number;
  stageMs: Record<string, number>;
}
