import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

/**
 * `--idle-exit`: calls `onIdle` once the queue has had nothing waiting, delayed, active or
 * prioritized for `idleMs` (a batch of workers that should end with the run). Polls at most
 * once a second, one poll at a time; a failed poll counts as "not idle".
 *
 * @example
 * ```ts
 * const watch = watchIdle({ queue: 'shards', prefix: 'albert', connection }, 60_000, () => void worker.stop());
 * watch.stop();
 * ```
 */
export function watchIdle(where: { queue: string; prefix: string; connection: Redis }, idleMs: number, onIdle: () => void): { stop(): Promise<void> } {
  const q = new Queue(where.queue, { connection: where.connection, prefix: where.prefix });
  let idleSince: number | null = null;
  let checking = false;
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children')
      .then((c) => {
        const pending = Object.values(c).reduce((a, b) => a + b, 0);
        idleSince = pending > 0 ? null : (idleSince ?? Date.now());
        if (idleSince !== null && Date.now() - idleSince >= idleMs) onIdle();
      })
      .catch(() => undefined)
      .finally(() => (checking = false));
  }, Math.max(100, Math.min(1000, idleMs / 2)));
  return {
    async stop() {
      clearInterval(timer);
      await q.close().catch(() => undefined);
    },
  };
}
