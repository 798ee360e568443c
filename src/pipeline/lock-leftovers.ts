import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';

// process.kill(0 or negative) signals process groups: only a plain positive pid may be probed.
export function isPid(pid: unknown): pid is number {
  return typeof pid === 'number' && Number.isSafeInteger(pid) && pid > 0;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists under another user. Anything but ESRCH is taken as alive.
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Removes the temp files (`albert.lock.<pid>.<hex>.tmp`, and the break mutex's) of
 * processes that died while creating a lock: a kill -9 in those milliseconds would leave
 * them in --out for good. Called by the lock's new holder, so no live attempt on this
 * host loses its file; a temp whose pid lives (here) is left alone.
 */
export async function removeDeadLockTemps(dir: string, lockFile: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(`${lockFile}.`) || !name.endsWith('.tmp')) continue;
    const pid = Number(/\.(\d+)\.[0-9a-f]+\.tmp$/.exec(name)?.[1]);
    if (isPid(pid) && pid !== process.pid && !pidAlive(pid)) await unlink(join(dir, name)).catch(() => undefined);
  }
}
