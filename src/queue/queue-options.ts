import { queueOptionError } from './queue-error.js';

/** Where the shard queue lives. Every queue command takes these. */
export interface QueueConnectionOptions {
  /** `redis://[user:pass@]host:port[/db]` or `rediss://…` (default: $ALBERT_REDIS_URL). */
  redis?: string;
  /**
   * BullMQ queue name (default `shards`). One queue serves every run: a worker needs no run
   * id, and job ids (`<run>-shard-00042`) keep runs apart inside it.
   */
  queue?: string;
  /** Redis key prefix (default `albert`): keys are `albert:<queue>:…`. */
  prefix?: string;
}

export interface ResolvedQueueConnection {
  readonly redis: string;
  readonly queue: string;
  readonly prefix: string;
}

export const DEFAULT_QUEUE = 'shards';
export const DEFAULT_PREFIX = 'albert';

// BullMQ refuses ':' in queue names (it separates key parts); keep names to what run ids allow.
const NAME = /^[A-Za-z0-9][\w.-]{0,63}$/;

/**
 * Resolves the connection options once, into a frozen object.
 *
 * @example
 * ```ts
 * resolveQueueConnection({ redis: 'redis://127.0.0.1:6379/0' });
 * // { redis: 'redis://127.0.0.1:6379/0', queue: 'shards', prefix: 'albert' }
 * ```
 */
export function resolveQueueConnection(o: QueueConnectionOptions, env: NodeJS.ProcessEnv = process.env): ResolvedQueueConnection {
  const redis = o.redis ?? env.ALBERT_REDIS_URL;
  if (redis === undefined || redis === '') throw queueOptionError('--redis', redis, 'a Redis URL such as redis://127.0.0.1:6379 (or set ALBERT_REDIS_URL)');
  let url: URL;
  try {
    url = new URL(redis);
  } catch {
    throw queueOptionError('--redis', redis, 'a Redis URL such as redis://127.0.0.1:6379');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw queueOptionError('--redis', redis, 'a redis:// or rediss:// URL');
  if (url.pathname !== '' && url.pathname !== '/' && !/^\/\d+$/.test(url.pathname)) throw queueOptionError('--redis', redis, 'a database number as the path (redis://host:port/0), or none');
  const queue = o.queue ?? DEFAULT_QUEUE;
  if (typeof queue !== 'string' || !NAME.test(queue)) throw queueOptionError('--queue', queue, 'a name of letters, digits, ".", "_" or "-" (at most 64, no ":")');
  const prefix = o.prefix ?? DEFAULT_PREFIX;
  if (typeof prefix !== 'string' || !NAME.test(prefix)) throw queueOptionError('--prefix', prefix, 'a name of letters, digits, ".", "_" or "-" (at most 64, no ":")');
  return Object.freeze({ redis, queue, prefix });
}

/** Redacts the password of a Redis URL for logs and status output. */
export function redactRedisUrl(redis: string): string {
  try {
    const url = new URL(redis);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '<invalid url>';
  }
}
