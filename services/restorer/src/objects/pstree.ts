import type { Task } from '@ferry/proto';
import { SYS } from '@ferry/sys';
import type { RestoringTask } from '../restoring-task.js';

/**
 * A task that led its session or group leads it again. Otherwise it stays in ferry's session and
 * group, as the process it now is a child of (trees with their own sessions come with pstree support).
 */
export function restoreSessionAndGroup(task: RestoringTask, t: Task): void {
  if (t.sid === t.pid) task.injector.call('setsid', SYS.setsid);
  else if (t.pgid === t.pid) task.injector.call('setpgid', SYS.setpgid, 0, 0);
}
