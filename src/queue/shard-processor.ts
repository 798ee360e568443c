import { UnrecoverableError, WaitingError, type Job } from 'bullmq';
import { AlbertError } from '../errors.js';
import { fingerprintDifference } from '../pipeline/manifest.js';
import { runShard, type ShardOutcome } from '../shards/run-shards.js';
import { findTask } from '../tasks/task-registry.js';
import type { TaskDefinition } from '../tasks/task.js';
import type { ContextCache } from './context-cache.js';
import { LagProbe } from './lag-probe.js';
import { QueueError } from './queue-error.js';
import { parseShardJobData, type ShardJobData, type ShardJobProgress, type ShardJobResult } from './shard-job.js';

/** What a worker counts, over its life. */
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

export interface ProcessorDeps {
  /** `host:pid`, as job results and progress name the worker. */
  me: string;
  cache: ContextCache;
  /** Tasks besides the registry's that a job may name. */
  tasks: readonly TaskDefinition[];
  progressEveryBatches: number;
  stats: ShardWorkerStats;
  say(line: string): void;
}

/**
 * The BullMQ processor of `albert worker`: one queued shard, start to commit. Data this
 * version cannot read fails for good (no retry can fix it); a worker whose model or options
 * would write other bytes than the plan's refuses the shard; an interrupted shard goes back
 * to the queue at once; anything else fails the attempt with the stable code in its message
 * (BullMQ keeps only the message), for `albert status` and the retry policy.
 *
 * @example
 * ```ts
 * const worker = new Worker(queueName, shardProcessor({ me, cache, tasks: [], progressEveryBatches: 4, stats, say }), opts);
 * ```
 */
export function shardProcessor(d: ProcessorDeps): (job: Job<ShardJobData, ShardJobResult>, token?: string) => Promise<ShardJobResult> {
  return async (job, token) => {
    let data: ShardJobData;
    let task: TaskDefinition;
    try {
      data = parseShardJobData(job.data, job.id);
      task = findTask(data.task, d.tasks);
    } catch (err) {
      throw new UnrecoverableError(messageOf(err));
    }
    const probe = new LagProbe();
    let lease: Awaited<ReturnType<ContextCache['acquire']>> | null = null;
    let progress: Promise<unknown> = Promise.resolve();
    const report = (p: ShardJobProgress) => (progress = progress.then(() => job.updateProgress(p as unknown as object)).catch(() => undefined));
    try {
      lease = await d.cache.acquire(task, data.options, data.shard.input, data.out);
      checkFingerprint(lease.ctx.fingerprint, data);
      let batches = 0;
      const outcome = await runShard(lease.ctx, data.out, data.shard, {
        onBatch: (p) => {
          if (++batches % d.progressEveryBatches === 0) report({ rows_done: p.rowsDone, rows: data.shard.rows, rows_out: p.rowsOut, rows_rejected: p.rejected, tokens: p.tokens, elapsed_s: p.elapsedMs / 1000, worker: d.me });
        },
      });
      if (outcome.status === 'interrupted') {
        d.stats.handedBack++;
        await progress;
        // Back to the queue now, rather than after the lock expires, and without counting a stall.
        await job.moveToWait(token);
        d.say(`${data.shard.id}: interrupted, handed back to the queue`);
        throw new WaitingError();
      }
      const result = resultOf(outcome, d.me, probe.maxLagMs);
      report({ rows_done: data.shard.rows, rows: data.shard.rows, rows_out: result.rows_out, rows_rejected: result.rows_rejected, tokens: outcome.record?.tokens ?? 0, elapsed_s: result.elapsed_s, worker: d.me });
      await progress;
      count(d.stats, result);
      d.say(`${data.shard.id}: ${describeOutcome(result)}, attempt ${job.attemptsStarted}, max event-loop lag ${result.max_event_loop_lag_ms} ms`);
      return result;
    } catch (err) {
      if (err instanceof WaitingError || err instanceof UnrecoverableError) throw err;
      throw new Error(messageOf(err));
    } finally {
      probe.stop();
      lease?.release();
    }
  };
}

function resultOf(outcome: ShardOutcome, worker: string, maxLagMs: number): ShardJobResult {
  const r = outcome.record;
  return {
    status: outcome.status as ShardJobResult['status'],
    rows_out: r?.rows_out ?? 0,
    rows_rejected: r?.rows_rejected ?? 0,
    elapsed_s: r?.elapsed_s ?? 0,
    worker,
    max_event_loop_lag_ms: Math.round(maxLagMs),
  };
}

function count(stats: ShardWorkerStats, result: ShardJobResult): void {
  if (result.status === 'committed') {
    stats.committed++;
    stats.rowsOut += result.rows_out;
  } else if (result.status === 'skipped') stats.skipped++;
  else stats.lostRace++;
}

function describeOutcome(r: ShardJobResult): string {
  if (r.status === 'committed') return `committed ${r.rows_out} rows (+${r.rows_rejected} rejected) in ${r.elapsed_s.toFixed(1)}s`;
  return r.status === 'skipped' ? 'already committed, skipped' : 'committed first by another attempt (lost the race): done';
}

/** A worker whose model or options would write other bytes than the plan's must not commit. */
function checkFingerprint(have: Record<string, unknown>, data: ShardJobData): void {
  const d = fingerprintDifference(data.fingerprint, have);
  if (d) {
    throw new QueueError('ALB_QUEUE_FINGERPRINT_MISMATCH', `shard ${data.shard.id}: run ${data.run} was planned with ${d.key}=${JSON.stringify(d.was)}, this worker has ${d.key}=${JSON.stringify(d.now)} (another model file on this host?)`, { shard: data.shard.id, key: d.key });
  }
}

export function messageOf(err: unknown): string {
  return err instanceof AlbertError ? `${err.code}: ${err.message}` : String((err as Error)?.message ?? err);
}
