import { hostname } from 'node:os';
import { Queue, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { AlbertError } from '../errors.js';
import { intOption, resolveJobOptions } from '../pipeline/job-options.js';
import { fingerprintDifference } from '../pipeline/manifest.js';
import { runShard } from '../shards/run-shards.js';
import { ContextCache } from './context-cache.js';
import { LagProbe } from './lag-probe.js';
import { QUEUE_OPTION_INVALID, QueueError } from './queue-error.js';
import { resolveQueueConnection, type QueueConnectionOptions, type ResolvedQueueConnection } from './queue-options.js';
import { closeRedis, connectRedis } from './redis-client.js';
import { parseShardJobData, TASKS, type ShardJobData, type ShardJobProgress, type ShardJobResult } from './shard-job.js';

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
}

export interface ShardWorkerStats {
  committed: number;
  skipped: number;
  lostRace: number;
  failed: number;
  handedBack: number;
  rowsOut: number;
  /** Shards of other (lost) workers this worker's stall check put back in the queue. */
  stalledRecovered: number;
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
  const probe = resolveJobOptions({ input: '-', out: '-', device, workers: o.workers, threads: o.threads });
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

  const processor = async (job: Job<ShardJobData, ShardJobResult>, token?: string): Promise<ShardJobResult> => {
    let data: ShardJobData;
    try {
      data = parseShardJobData(job.data, job.id);
    } catch (err) {
      // No retry can fix data this version cannot read.
      throw new UnrecoverableError(messageOf(err));
    }
    const probe = new LagProbe();
    let lease: Awaited<ReturnType<ContextCache['acquire']>> | null = null;
    let progress: Promise<unknown> = Promise.resolve();
    const report = (p: ShardJobProgress) => (progress = progress.then(() => job.updateProgress(p as unknown as object)).catch(() => undefined));
    try {
      lease = await cache.acquire(TASKS[data.task], data.options, data.shard.input, data.out);
      checkFingerprint(lease.ctx.fingerprint, data);
      let batches = 0;
      const outcome = await runShard(lease.ctx, data.out, data.shard, {
        onBatch: (p) => {
          if (++batches % o.progressEveryBatches === 0) report({ rows_done: p.rowsDone, rows: data.shard.rows, rows_out: p.rowsOut, rows_rejected: p.rejected, tokens: p.tokens, elapsed_s: p.elapsedMs / 1000, worker: me });
        },
      });
      if (outcome.status === 'interrupted') {
        stats.handedBack++;
        await progress;
        // Back to the queue now, rather than after the lock expires, and without counting a stall.
        await job.moveToWait(token);
        say(`${data.shard.id}: interrupted, handed back to the queue`);
        throw new WaitingError();
      }
      const r = outcome.record;
      const result: ShardJobResult = {
        status: outcome.status,
        rows_out: r?.rows_out ?? 0,
        rows_rejected: r?.rows_rejected ?? 0,
        elapsed_s: r?.elapsed_s ?? 0,
        worker: me,
        max_event_loop_lag_ms: Math.round(probe.maxLagMs),
      };
      report({ rows_done: data.shard.rows, rows: data.shard.rows, rows_out: result.rows_out, rows_rejected: result.rows_rejected, tokens: r?.tokens ?? 0, elapsed_s: result.elapsed_s, worker: me });
      await progress;
      if (outcome.status === 'committed') {
        stats.committed++;
        stats.rowsOut += result.rows_out;
      } else if (outcome.status === 'skipped') stats.skipped++;
      else stats.lostRace++;
      const what = outcome.status === 'committed' ? `committed ${result.rows_out} rows (+${result.rows_rejected} rejected) in ${result.elapsed_s.toFixed(1)}s` : outcome.status === 'skipped' ? 'already committed, skipped' : 'committed first by another attempt (lost the race): done';
      say(`${data.shard.id}: ${what}, attempt ${job.attemptsStarted}, max event-loop lag ${result.max_event_loop_lag_ms} ms`);
      return result;
    } catch (err) {
      if (err instanceof WaitingError || err instanceof UnrecoverableError) throw err;
      // BullMQ keeps only the message: put the stable code in it for `albert status`.
      throw new Error(messageOf(err));
    } finally {
      probe.stop();
      lease?.release();
    }
  };

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

  let idleTimer: NodeJS.Timeout | null = null;
  let stopping: Promise<void> | null = null;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (idleTimer) clearInterval(idleTimer);
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
    const q = new Queue(o.queue.queue, { connection, prefix: o.queue.prefix });
    let idleSince: number | null = null;
    let checking = false;
    idleTimer = setInterval(() => {
      if (checking) return;
      checking = true;
      q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children')
        .then((c) => {
          const pending = Object.values(c).reduce((a, b) => a + b, 0);
          idleSince = pending > 0 ? null : (idleSince ?? Date.now());
          if (idleSince !== null && Date.now() - idleSince >= idleMs) {
            say(`queue ${o.queue.queue} idle for ${(idleMs / 1000).toFixed(1)}s: exiting`);
            void stop();
          }
        })
        .catch(() => undefined)
        .finally(() => (checking = false));
    }, Math.max(100, Math.min(1000, idleMs / 2)));
    void closed.then(() => q.close().catch(() => undefined));
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

/** A worker whose model or options would write other bytes than the plan's must not commit. */
function checkFingerprint(have: Record<string, unknown>, data: ShardJobData): void {
  const d = fingerprintDifference(data.fingerprint, have);
  if (d) {
    throw new QueueError('ALB_QUEUE_FINGERPRINT_MISMATCH', `shard ${data.shard.id}: run ${data.run} was planned with ${d.key}=${JSON.stringify(d.was)}, this worker has ${d.key}=${JSON.stringify(d.now)} (another model file on this host?)`, { shard: data.shard.id, key: d.key });
  }
}

function messageOf(err: unknown): string {
  return err instanceof AlbertError ? `${err.code}: ${err.message}` : String((err as Error)?.message ?? err);
}
