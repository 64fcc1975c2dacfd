// The per-stage lines a `ferry restore -v` through BullMQ stages logs (pino JSON on stderr).

export interface StageLine { stage: string; participants: number; ms: number; barrierMs: number }

export function stageLines(stderr: string): StageLine[] {
  return stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l).msg as string).flatMap((msg) => {
    const m = /^stage (\w+): (\d+) participants done in ([\d.]+) ms, barrier ([\d.]+) ms$/.exec(msg);
    return m ? [{ stage: m[1]!, participants: Number(m[2]), ms: Number(m[3]), barrierMs: Number(m[4]) }] : [];
  });
}
