import type { Task } from '@ferry/proto';

/**
 * A task that stands in for a session or group leader that died before the dump: it takes the
 * leader's pid, makes the session or group, and exits once every member is in it.
 */
export interface LeaderHelper {
  pid: number;
  kind: 'session' | 'group';
  /** The tree task that forks it, and reaps it when it is done. */
  parent: number;
  /** Session helpers: the tasks they fork into their session, as children of their own parent. */
  forks: Set<number>;
}

export class LayoutError extends Error {}

/**
 * Sessions and groups come back through the order of forks: a session leader calls setsid right
 * after it is made, and its children inherit the session; group members join their leader once
 * every task exists. A member of a session or group whose leader is gone gets a LeaderHelper.
 * Layouts that would need more are refused with the task named.
 */
export function planLeaderHelpers(order: Task[]): LeaderHelper[] {
  const root = order[0]!;
  const byPid = new Map(order.map((t) => [t.pid, t]));
  const helpers = new Map<number, LeaderHelper>();
  for (const t of order) {
    if (t === root) continue;
    const parent = byPid.get(t.ppid)!;
    if (t.sid !== t.pid && t.sid !== parent.sid) {
      if (byPid.has(t.sid)) throw new LayoutError(`image: pid ${t.pid} is in session ${t.sid} but its parent ${parent.pid} in session ${parent.sid}: not supported yet`);
      if (t.zombie) throw new LayoutError(`image: zombie ${t.pid} is in session ${t.sid}, whose leader is gone: not supported yet`);
      const helper = helpers.get(t.sid) ?? { pid: t.sid, kind: 'session', parent: parent.pid, forks: new Set<number>() };
      if (helper.parent !== parent.pid) throw new LayoutError(`image: session ${t.sid} has lost its leader and holds children of both ${helper.parent} and ${parent.pid}: not supported yet`);
      helper.forks.add(t.pid);
      helpers.set(t.sid, helper);
    }
    if (t.zombie || t.pgid === t.pid || byPid.has(t.pgid) || t.pgid === root.pgid || helpers.has(t.pgid)) continue;
    if (parent.sid !== t.sid) throw new LayoutError(`image: pid ${t.pid} is in group ${t.pgid}, whose leader is gone, and in another session than its parent: not supported yet`);
    helpers.set(t.pgid, { pid: t.pgid, kind: 'group', parent: parent.pid, forks: new Set() });
  }
  return [...helpers.values()];
}
