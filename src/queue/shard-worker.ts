import { hostname } from 'node:os';
import { WaitingError, Worker } from 'bullmq';
import { resolveDeviceOptions } from '../pipeline/job-options.js';
import { intOption } from '../options.js';
import { ContextCache } from './context-cache.js';
import { QUEUE_OPTION_INVALID } from './queue-error.js';
import { resolveQueueConnection, type QueueConnectionOptions, type ResolvedQueueConnection } from './queue-options.js';
import type { TaskDefinition } from '../tasks/task.js';
import { watchIdle } from './idle-exit.js';
import { closeRedis, connectRedis } from './redis-client.js';
import type { ShardJobData, ShardJobResult } from './shard-job.js';
import { shardProcessor, type ShardWorkerStats } from './shard-processor.js';

export type { ShardWorkerStats } from './shard-processor.js';

export interface ShardWorkerOptions extends QueueConnectionOptions {
  /** `cpu` (default), `cuda`, `cuda:N`, `cuda:0,1`, `auto`: this host's choice, not the submitter's. */
  device?: string;
  /** Sessions per device (default as for a job: one per core on CPU, 2 per GPU). */
  workers?: number;
  threads?: number;
  /** Shards in flight (default devices × workers: the sessions this worker can feed). */
  concurrency?: number;
  /** BullMQ lock per shard; renewed every half of it while the shard runs (default 30 000 ms). */
  lockDurationMs?: number;
  /** How often this worker looks for shards whose lock expired (default 30 000 ms). */
  stalledIntervalMs?: number;
  /** Stalls (lost workers) a shard survives before it is failed (default 2). */
  maxStalledCount?: number;
  /** `job.updateProgress` every this many batches (default 4). */
  progressEveryBatches?: number;
  /** Models (job contexts) kept loaded at once (default 2). */
  maxModels?: number;
  /** Exit once the queue has had nothing waiting, delayed or active for this long (default: never). */
  idleExitMs?: number;
  quiet?: boolean;
  /** Where the worker logs one line per shard (default stderr). */
  log?: NodeJS.WritableStream;
  /** Tasks of a library user's own, besides the registry's, that queued shards may name. */
  tasks?: readonly TaskDefinition[];
}

export interface ResolvedShardWorker {
  readonly queue: ResolvedQueueConnection;
  readonly device: string;
  readonly workers: number | undefined;
  readonly threads: number | undefined;
  readonly concurrency: number;
  readonly lockDurationMs: number;
  readonly stalledIntervalMs: number;
  readonly maxStalledCount: number;
  readonly progressEveryBatches: number;
  readonly maxModels: number;
  readonly idleExitMs: number | null;
  readonly quiet: boolean;
  readonly log: NodeJS.WritableStream;
  readonly tasks: readonly TaskDefinition[];
}

export interface RunningShardWorker {
  readonly options: ResolvedShardWorker;
  readonly stats: ShardWorkerStats;
  /** Stops taking shards; the running ones finish and commit. Resolves when closed. */
  stop(): Promise<void>;
  /** Stops the running shards too: they go back to the queue at once, uncommitted. */
  interrupt(): void;
  /** Resolves when the worker has closed (after stop, interrupt or an idle exit). */
  readonly closed: Promise<void>;
}

/**
 * Resolves worker options once, into a frozen object; every error names the flag.
 *
 * @example
 * ```ts
 * resolveShardWorkerOptions({ redis: 'redis://127.0.0.1:6379', device: 'cuda:0,1' }).concurrency; // 4 (2 GPUs x 2 sessions)
 * ```
 */
export function resolveShardWorkerOptions(o: ShardWorkerOptions): ResolvedShardWorker {
  const queue = resolveQueueConnection(o);
  const device = o.device ?? 'cpu';
  // Resolve as a job would, to learn the devices and sessions this host runs.
  const probe = resolveDeviceOptions({ device, workers: o.workers, threads: o.threads });
  const lockDurationMs = intOption('--lock-duration', o.lockDurationMs, 30_000, 200, 3_600_000, QUEUE_OPTION_INVALID);
  return Object.freeze({
    queue,
    device,
    workers: o.workers,
    threads: o.threads,
    concurrency: intOption('--concurrency', o.concurrency, probe.devices.length * probe.workers, 1, 1024, QUEUE_OPTION_INVALID),
    lockDurationMs,
    stalledIntervalMs: intOption('--stalled-interval', o.stalledIntervalMs, 30_000, 100, 3_600_000, QUEUE_OPTION_INVALID),
    maxStalledCount: intOption('--max-stalled', o.maxStalledCount, 2, 0, 1000, QUEUE_OPTION_INVALID),
    progressEveryBatches: intOption('--progress-every', o.progressEveryBatches, 4, 1, 1_000_000, QUEUE_OPTION_INVALID),
    maxModels: intOption('--max-models', o.maxModels, 2, 1, 64, QUEUE_OPTION_INVALID),
    idleExitMs: o.idleExitMs === undefined ? null : intOption('--idle-exit', o.idleExitMs, 0, 0, 2 ** 31 - 1, QUEUE_OPTION_INVALID),
    quiet: o.quiet ?? false,
    log: o.log ?? process.stderr,
    tasks: Object.freeze([...(o.tasks ?? [])]),
  });
}

/**
 * `albert worker`: one BullMQ Worker taking shards from the queue, `concurrency` at a time,
 * all through the same pool of ONNX sessions (piscina threads, so this thread stays free to
 * renew locks however long a shard computes). Each shard: skipped if the output holds it,
 * else streamed through the pipeline with progress every few batches, and committed first
 * writer wins, so a shard run twice (a stalled worker that was only slow) is committed once.
 *
 * @example
 * ```ts
 * const w = await startShardWorker({ redis: 'redis://127.0.0.1:6379', device: 'cuda' });
 * process.once('SIGTERM', () => void w.stop());
 * await w.closed;
 * ```
 */
export async function startShardWorker(options: ShardWorkerOptions): Promise<RunningShardWorker> {
  const o = resolveShardWorkerOptions(options);
  const me = `${hostname()}:${process.pid}`;
  const say = (line: string) => o.quiet || o.log.write(`albert worker ${me}: ${line}\n`);
  const stats: ShardWorkerStats = { committed: 0, skipped: 0, lostRace: 0, failed: 0, handedBack: 0, rowsOut: 0, stalledRecovered: 0 };
  const abort = new AbortController();
  const cache = new ContextCache(o.maxModels, (opts) => ({
    ...opts,
    device: o.device,
    ...(o.workers !== undefined ? { workers: o.workers } : {}),
    ...(o.threads !== undefined ? { threads: o.threads } : {}),
    quiet: true,
    signal: abort.signal,
  }));
  const connection = await connectRedis(o.queue, 'worker');

  const processor = shardProcessor({ me, cache, tasks: o.tasks, progressEveryBatches: o.progressEveryBatches, stats, say });

  const worker = new Worker<ShardJobData, ShardJobResult>(o.queue.queue, processor, {
    connection,
    prefix: o.queue.prefix,
    concurrency: o.concurrency,
    lockDuration: o.lockDurationMs,
    stalledInterval: o.stalledIntervalMs,
    maxStalledCount: o.maxStalledCount,
    name: me,
    autorun: false,
  });
  worker.on('failed', (job, err) => {
    if (!job || err instanceof WaitingError || err.name === 'WaitingError') return;
    stats.failed++;
    const final = job.finishedOn !== undefined || job.attemptsMade >= (job.opts.attempts ?? 1);
    say(`${job.id}: attempt ${job.attemptsStarted} failed${final ? ' for good' : ', will retry'}: ${err.message}`);
  });
  worker.on('stalled', (jobId) => {
    stats.stalledRecovered++;
    say(`${jobId}: its worker stopped renewing the lock (lost?); back in the queue`);
  });
  worker.on('lockRenewalFailed', (ids) => say(`lock renewal failed for ${ids.join(', ')} (Redis slow or unreachable?); another worker may take them over`));
  worker.on('error', (err) => say(`queue error: ${err.message}`));

  let idle: ReturnType<typeof watchIdle> | null = null;
  let stopping: Promise<void> | null = null;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await idle?.stop();
      try {
        await worker.close();
      } finally {
        await cache.close();
        await closeRedis(connection);
        say(`stopped: ${stats.committed} shards committed (${stats.rowsOut} rows), ${stats.skipped} skipped, ${stats.lostRace} lost races, ${stats.failed} failed attempts, ${stats.stalledRecovered} stalled shards recovered`);
        resolveClosed();
      }
    })());

  if (o.idleExitMs !== null) {
    const idleMs = o.idleExitMs;
    idle = watchIdle({ queue: o.queue.queue, prefix: o.queue.prefix, connection }, idleMs, () => {
      say(`queue ${o.queue.queue} idle for ${(idleMs / 1000).toFixed(1)}s: exiting`);
      void stop();
    });
  }

  say(`taking shards from ${o.queue.prefix}:${o.queue.queue}, ${o.concurrency} at a time on ${o.device} (lock ${o.lockDurationMs} ms, stall check every ${o.stalledIntervalMs} ms)`);
  void worker.run().catch((err) => {
    say(`worker stopped on an error: ${(err as Error).message}`);
    void stop();
  });
  return {
    options: o,
    stats,
    stop,
    interrupt: () => {
      abort.abort();
      void stop();
    },
    closed,
  };
}
