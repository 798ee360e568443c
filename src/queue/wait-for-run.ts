import { setTimeout as sleep } from 'node:timers/promises';
import { mergeManifest, type MergeResult } from '../shards/merge-manifest.js';
import { QueueError } from './queue-error.js';
import { resolveQueueConnection, type QueueConnectionOptions } from './queue-options.js';
import { statusOf, type RunStatus } from './queue-status.js';
import { withQueue } from './redis-client.js';

export interface WaitForRunOptions extends QueueConnectionOptions {
  run: string;
  out: string;
  /** Poll period (default 2000 ms). */
  intervalMs?: number;
  /** Sees each status while waiting. */
  onStatus?: (s: RunStatus) => void;
  signal?: AbortSignal;
}

/**
 * `albert submit --wait`: waits until the output holds every planned shard, then writes the
 * dataset manifest (`albert merge-manifest`). Stops with ALB_QUEUE_RUN_FAILED, naming the
 * shards and reasons, when a shard failed for good (after its attempts) while none is left
 * running, so a waiting submitter never hangs on a run that cannot finish.
 *
 * @example
 * ```ts
 * const { manifest } = await waitForRun({ redis, run: 'docs', out: '/shared/out/docs' });
 * ```
 */
export async function waitForRun(o: WaitForRunOptions): Promise<MergeResult> {
  const conn = resolveQueueConnection(o);
  return withQueue(conn, async (q) => {
    for (;;) {
      const s = await statusOf(q, conn, o.run, o.out);
      o.onStatus?.(s);
      if (s.complete) return await mergeManifest(o.out);
      const pending = s.counts.waiting + s.counts.prioritized + s.counts.delayed + s.counts.active;
      if (s.failed.length > 0 && pending === 0) {
        throw new QueueError('ALB_QUEUE_RUN_FAILED', `run ${o.run}: ${s.failed.length} shards failed for good: ${s.failed.slice(0, 5).map((f) => `${f.shard} (${f.reason})`).join('; ')}; fix the cause, then albert retry-failed --run ${o.run}`, { run: o.run, failed: s.failed.map((f) => f.shard) });
      }
      if (s.disk && s.disk.missing.length > 0 && s.jobs === 0) {
        throw new QueueError('ALB_QUEUE_RUN_FAILED', `run ${o.run}: ${s.disk.missing.length} shards are missing and none is queued; run albert submit again`, { run: o.run });
      }
      await sleep(o.intervalMs ?? 2000, undefined, { signal: o.signal });
    }
  });
}
