import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QueueError } from './queue-error.js';
import { redactRedisUrl, type ResolvedQueueConnection } from './queue-options.js';

/**
 * Opens an ioredis client for BullMQ and checks that Redis answers before anything else
 * runs, so a wrong URL fails in seconds, naming the URL (password redacted).
 *
 * `worker` clients never give up on a command (BullMQ requires `maxRetriesPerRequest: null`
 * for its blocking calls) and reconnect forever, so a Redis restart pauses a worker instead
 * of killing it; `client` clients (submit, status, retry) fail after a few tries.
 * We construct the client ourselves because BullMQ can only load ioredis by `require`,
 * which native ESM does not have.
 *
 * @example
 * ```ts
 * const redis = await connectRedis(resolveQueueConnection({ redis: 'redis://127.0.0.1:6379' }), 'client');
 * await redis.quit();
 * ```
 */
export async function connectRedis(conn: ResolvedQueueConnection, purpose: 'worker' | 'client'): Promise<Redis> {
  const worker = purpose === 'worker';
  let connected = false;
  const client = new Redis(conn.redis, {
    lazyConnect: true,
    connectTimeout: 5000,
    maxRetriesPerRequest: worker ? null : 3,
    connectionName: `albert-${purpose}-${process.pid}`,
    // Before the first connection, give up fast; after it, a worker waits out Redis restarts.
    retryStrategy: (times) => (!connected ? (times > 2 ? null : 250 * times) : worker ? Math.min(500 * times, 5000) : times > 5 ? null : 250 * times),
  });
  // ioredis emits 'error' on every failed reconnect; without a listener Node would crash.
  // BullMQ reports errors through its own 'error' events, which the callers log.
  let lastError: Error | null = null;
  client.on('error', (err: Error) => (lastError = err));
  try {
    await client.connect();
    await client.ping();
    connected = true;
  } catch (err) {
    client.disconnect();
    // connect() rejects with "Connection is closed"; the socket's own error says why.
    const why = (lastError as Error | null)?.message ?? (err as Error).message;
    throw new QueueError('ALB_QUEUE_REDIS_UNREACHABLE', `--redis ${redactRedisUrl(conn.redis)}: cannot reach Redis: ${why}`, { option: '--redis', got: redactRedisUrl(conn.redis) });
  }
  return client;
}

/** Closes a client, politely if Redis still answers. */
export async function closeRedis(client: Redis): Promise<void> {
  await client.quit().catch(() => client.disconnect());
}

/**
 * Runs `fn` with the shard queue on a fresh `client` connection, and closes both after,
 * whatever `fn` does: what `albert status`, `retry-failed` and `submit --wait` need.
 */
export async function withQueue<T>(conn: ResolvedQueueConnection, fn: (q: Queue) => Promise<T>): Promise<T> {
  const client = await connectRedis(conn, 'client');
  const q = new Queue(conn.queue, { connection: client, prefix: conn.prefix });
  try {
    return await fn(q);
  } finally {
    await q.close();
    await closeRedis(client);
  }
}
