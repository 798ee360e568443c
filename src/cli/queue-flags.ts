import type { Command } from 'commander';

/** Where the shard queue lives: every queue command takes these. */
export function addQueueFlags(cmd: Command): Command {
  return cmd
    .option('--redis <url>', 'Redis holding the shard queue: redis://[user:pass@]host:port[/db] (default: $ALBERT_REDIS_URL)')
    .option('--queue <name>', 'queue name; one queue serves every run (default: shards)')
    .option('--prefix <prefix>', 'Redis key prefix (default: albert)');
}

/** The queue options of parsed flags, as the library names them. */
export function queueFlags(o: Record<string, unknown>): { redis?: string; queue?: string; prefix?: string } {
  return {
    ...(o.redis !== undefined ? { redis: o.redis as string } : {}),
    ...(o.queue !== undefined ? { queue: o.queue as string } : {}),
    ...(o.prefix !== undefined ? { prefix: o.prefix as string } : {}),
  };
}

/** Seconds (as flags take them) to milliseconds (as the library takes them). */
export function ms(seconds: unknown): number | undefined {
  return typeof seconds === 'number' ? Math.round(seconds * 1000) : undefined;
}
