import { checkNotEmpty, checkPid } from './checks.js';

/** Values of remap.proto's Remap.Kind. */
export enum RemapKind {
  PROCFS = 0,
}

/** A file that cannot simply be reopened by its path at restore. Object id: "remap:FILE_ID". */
export interface Remap {
  /** The regfile it applies to. */
  fileId: string;
  kind: RemapKind;
  /** PROCFS: the dead process whose /proc/PID the file lies under. */
  pid: number;
}

declare module '../kind-payloads.js' {
  interface KindPayloads {
    remap: Remap;
  }
}

export function validateRemap(r: Remap): void {
  checkNotEmpty(r.fileId, 'file_id');
  checkPid(r.pid, 'pid');
}
