import fs from 'node:fs';
import { lockConnections, setTcpRepair, tcpSockets, unlockConnections, TCP_ESTABLISHED, type LockedConnection } from '@ferry/sys';
import type { Fate, Holding } from '../collector.js';
import type { DescribeContext } from './file-kinds.js';
import { treeSocketInodes } from './tree-sockets.js';

/** Ends of a connection as the socket names them. */
export interface Ends { localAddress: string; localPort: number; remoteAddress: string; remotePort: number }

const MAPPED_V4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/** A dual-stack socket's IPv4 peer travels as IPv4 on the wire: the lock matches what is on the wire. */
function lockedConnection(e: Ends): LockedConnection {
  const local = MAPPED_V4.exec(e.localAddress), remote = MAPPED_V4.exec(e.remoteAddress);
  if (local && remote) return { family: 'ip', localAddress: local[1]!, localPort: e.localPort, remoteAddress: remote[1]!, remotePort: e.remotePort };
  const family = e.localAddress.includes(':') ? 'ip6' : 'ip';
  return { family, localAddress: e.localAddress, localPort: e.localPort, remoteAddress: e.remoteAddress, remotePort: e.remotePort };
}

const keyOf = (c: LockedConnection) => `${c.family} ${c.localAddress} ${c.localPort} ${c.remoteAddress} ${c.remotePort}`;

/**
 * The checkpoint's network lock and the connections taken in repair mode under it, given back
 * together. Every established connection of the tree is locked in one nftables transaction when
 * the first is taken: libnftables reads the whole ruleset again for each call, so a call per
 * connection grows with the rules already there.
 */
export class ConnectionLock implements Holding {
  /** Inode -> the connection as locked. */
  private readonly locked = new Map<number, string>();
  private readonly repaired = new Set<number>();

  private constructor(readonly name: string) {}

  static forTree(ctx: DescribeContext): ConnectionLock {
    const lock = new ConnectionLock(ctx.options.lockName);
    const inTree = treeSocketInodes(ctx);
    const connections: LockedConnection[] = [];
    for (const d of tcpSockets([TCP_ESTABLISHED]).values()) {
      // What --inherit-fd leaves out is not taken, so its packets must keep flowing.
      if (!inTree.has(d.ino) || ctx.external.has(`socket:[${d.ino}]`)) continue;
      const c = lockedConnection(d);
      connections.push(c);
      lock.locked.set(d.ino, keyOf(c));
    }
    try {
      if (connections.length > 0) lockConnections(lock.name, connections);
    } catch (e) {
      unlockConnections(lock.name);
      throw e;
    }
    ctx.options.held.push(lock);
    return lock;
  }

  /**
   * Puts socket FD (inode INO, with ENDS) into repair mode, its packets dropped first: a socket the
   * table did not show as it is now is locked on its own. The lock keeps FD from then on.
   */
  repair(fd: number, ino: number, ends: Ends): void {
    const c = lockedConnection(ends);
    if (this.locked.get(ino) !== keyOf(c)) {
      lockConnections(this.name, [c]);
      this.locked.set(ino, keyOf(c));
    }
    try {
      setTcpRepair(fd, true);
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
    this.repaired.add(fd);
  }

  /** Gives FD back to the kernel (repair off) and closes it, after its stream could not be read. */
  giveBack(fd: number): void {
    this.repaired.delete(fd);
    try {
      setTcpRepair(fd, false);
    } finally {
      fs.closeSync(fd);
    }
  }

  release(fate: Fate): void {
    // A killed task's repair-mode socket closes silently; the lock stays for the restore to lift.
    if (fate === 'resume') this.undo();
    else for (const fd of this.repaired) fs.closeSync(fd);
    this.repaired.clear();
  }

  /** Repair off for every connection, then the packets flow again. */
  undo(): void {
    const failures: unknown[] = [];
    for (const fd of [...this.repaired]) {
      try {
        this.giveBack(fd);
      } catch (e) {
        failures.push(e);
      }
    }
    unlockConnections(this.name);
    if (failures.length) throw failures[0];
  }
}

const locks = new WeakMap<DescribeContext, ConnectionLock>();

/** The dump's connection lock, taken on first need (only the frozen pass takes connections). */
export function connectionLock(ctx: DescribeContext): ConnectionLock {
  let lock = locks.get(ctx);
  if (!lock) locks.set(ctx, (lock = ConnectionLock.forTree(ctx)));
  return lock;
}
