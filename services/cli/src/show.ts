import { loadLocalImage, VmaKind, RegFileType, pipeName, KIND_NAMES, describeFileLock, type Image } from '@ferry/proto';
import { table } from './table.js';

const hex = (v: bigint) => '0x' + v.toString(16);
const protString = (p: number) => `${p & 1 ? 'r' : '-'}${p & 2 ? 'w' : '-'}${p & 4 ? 'x' : '-'}`;

/** Type and name of a descriptor's file when it is not a regular one: pipes, FIFOs, files left out. */
function otherFile(image: Image, id: string): { type: string; path: string } {
  const pipe = image.byKind('pipe').find((p) => p.id === id);
  if (pipe) return { type: pipe.fifoPath ? 'FIFO' : 'PIPE', path: pipe.queued.length ? `${pipeName(pipe)} (${pipe.queued.length} bytes queued)` : pipeName(pipe) };
  const tty = image.byKind('ttyfile').find((t) => t.id === id);
  if (tty) return { type: 'TTY', path: tty.devTty ? '/dev/tty' : tty.master ? `/dev/ptmx (pts ${tty.index})` : `/dev/pts/${tty.index}` };
  const external = image.byKind('external').find((e) => e.id === id);
  if (external) return { type: 'EXTERNAL', path: `${external.name} (restore needs --inherit-fd)` };
  return anyFile(image, id);
}

/** A file of a kind show has no words of its own for (a socket, a timerfd, ...): its kind, and its name if it has one. */
function anyFile(image: Image, id: string): { type: string; path: string } {
  for (const kind of KIND_NAMES) {
    const record = (image.byKind(kind) as object[]).find((r) => (r as { id?: unknown }).id === id) as Record<string, unknown> | undefined;
    if (record) return { type: kind.toUpperCase(), path: nameOf(record) };
  }
  return { type: '', path: '' };
}

function nameOf(record: Record<string, unknown>): string {
  const name = record.path ?? record.name;
  if (typeof name === 'string') return name;
  // A unix socket's address: sun_path bytes, abstract when it starts with NUL (shown as @, as ss does).
  if (Buffer.isBuffer(name) && name.length > 0) return name[0] === 0 ? `@${name.subarray(1).toString()}` : name.toString();
  return '';
}

const ICANON = 0o2;

/** Each pty pair: which ends the tree holds, whose terminal it is, its size, mode and queued bytes. */
function describeTtys(image: Image) {
  return image.byKind('tty').map((t) => {
    const files = image.byKind('ttyfile').filter((f) => f.index === t.index);
    const ends = [files.some((f) => f.master) && 'master', files.some((f) => !f.master) && 'slave'].filter(Boolean).join('+');
    const lflag = t.termios.length >= 16 ? Buffer.from(t.termios).readUInt32LE(12) : 0;
    const mode = t.external ? 'external' : t.hung ? 'hung' : lflag & ICANON ? 'cooked' : 'raw';
    return { index: t.index, ends, sid: t.sid, pgrp: t.pgrp, rows: t.rows, cols: t.cols, mode, queuedInput: t.queuedInput.length, queuedOutput: t.queuedOutput.length };
  });
}

/** A checkpoint in plain data: the shape of `ferry show --json`. */
export function describeImage(image: Image) {
  const pages = image.byKind('pages');
  const files = image.byKind('regfile');
  return {
    checkpointId: image.inventory.checkpointId,
    host: image.inventory.host,
    kernel: image.inventory.kernel,
    createdAt: new Date(Number(image.inventory.createdMs)).toISOString(),
    rootPid: image.inventory.rootPid,
    records: Number(image.commit.recordCount) + 1,
    pageBytes: Number(image.commit.pageBytes),
    tasks: image.byKind('pstree').map((t) => {
      const attrs = image.byKind('procattrs').find((a) => a.pid === t.pid);
      return {
        pid: t.pid,
        ppid: t.ppid,
        pgid: t.pgid,
        sid: t.sid,
        threads: t.threads,
        comm: t.zombie ? t.zombieComm : attrs?.comm ?? '',
        zombie: t.zombie,
        cwd: attrs?.cwd ?? '',
        exe: image.byKind('mm').find((m) => m.pid === t.pid)?.exePath ?? '',
        vmas: image.byKind('vma').filter((v) => v.pid === t.pid).map((v) => ({
          start: hex(v.start),
          end: hex(v.end),
          prot: protString(v.prot),
          kind: VmaKind[v.kind],
          path: v.path,
          pagesDumped: pages
            .filter((p) => p.pid === t.pid && p.vaddr >= v.start && p.vaddr < v.end)
            .reduce((n, p) => n + p.npages, 0),
        })),
        fds: image.byKind('fd').filter((f) => f.pid === t.pid).map((f) => {
          const file = files.find((x) => x.id === f.fileId);
          const shown = file ? { type: RegFileType[file.type], path: file.path } : otherFile(image, f.fileId);
          return { fd: f.fd, cloexec: f.cloexec, file: f.fileId, ...shown, pos: Number(file?.pos ?? 0n) };
        }),
        locks: image.byKind('filelock').filter((l) => l.pid === t.pid).map((l) => ({ fd: l.fd, lock: describeFileLock(l) })),
      };
    }),
    ttys: describeTtys(image),
  };
}

export async function show(dir: string, json: boolean): Promise<string> {
  const d = describeImage(await loadLocalImage(dir));
  if (json) return JSON.stringify(d, null, 2);
  const out = [
    `checkpoint ${d.checkpointId}  made on ${d.host} (${d.kernel}) at ${d.createdAt}`,
    `${d.records} records, ${(d.pageBytes / 1048576).toFixed(1)} MiB of pages`,
    '',
    table(['PID', 'PPID', 'PGID', 'SID', 'THREADS', 'COMM', 'EXE'], d.tasks.map((t) => [t.pid, t.ppid, t.pgid, t.sid, t.threads.length, t.comm, t.exe])),
  ];
  if (d.ttys.length > 0) {
    out.push('', 'terminals:', table(['INDEX', 'ENDS', 'SID', 'FG', 'SIZE', 'MODE', 'IN', 'OUT'], d.ttys.map((t) => [t.index, t.ends, t.sid, t.pgrp, `${t.rows}x${t.cols}`, t.mode, t.queuedInput, t.queuedOutput])));
  }
  for (const t of d.tasks) {
    out.push('', `memory of pid ${t.pid}:`, table(['START', 'END', 'PROT', 'KIND', 'PAGES', 'PATH'], t.vmas.map((v) => [v.start, v.end, v.prot, v.kind, v.pagesDumped, v.path])));
    out.push('', `files of pid ${t.pid}:`, table(['FD', 'CLOEXEC', 'TYPE', 'POS', 'PATH'], t.fds.map((f) => [f.fd, f.cloexec ? 'yes' : 'no', f.type, f.pos, f.path])));
    if (t.locks.length > 0) out.push('', `file locks of pid ${t.pid}:`, table(['FD', 'LOCK'], t.locks.map((l) => [l.fd, l.lock])));
  }
  return out.join('\n');
}
