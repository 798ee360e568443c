import { queueOptionError } from './queue-error.js';
import { resolveQueueConnection, type QueueConnectionOptions } from './queue-options.js';
import { runJobIds } from './queue-status.js';
import { withQueue } from './redis-client.js';

export interface RetryFailedOptions extends QueueConnectionOptions {
  run: string;
}

/**
 * `albert retry-failed`: puts the run's failed shards back in the queue with a fresh set
 * of attempts (once the cause is fixed: a missing input, a full disk…).
 *
 * @example
 * ```ts
 * const { retried } = await retryFailed({ redis: 'redis://127.0.0.1:6379', run: 'docs' });
 * ```
 */
export async function retryFailed(options: RetryFailedOptions): Promise<{ retried: string[] }> {
  const conn = resolveQueueConnection(options);
  if (typeof options.run !== 'string' || options.run === '') throw queueOptionError('--run', options.run, 'the run id given to albert submit');
  return withQueue(conn, async (q) => {
    const failed = (await runJobIds(q, options.run, ['failed'])).get('failed') ?? [];
    const retried: string[] = [];
    for (const id of failed) {
      const job = await q.getJob(id);
      if (!job) continue;
      await job.retry('failed', { resetAttemptsMade: true });
      retried.push(id);
    }
    return { retried };
  });
}
