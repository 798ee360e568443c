import type { JobsOptions } from 'bullmq';
import type { ShardSpec } from '../shards/shard-plan.js';
import { QueueError } from './queue-error.js';

export const SHARD_JOB_FORMAT = 'albert-pipeline/shard-job@1';

/**
 * What a queued shard carries: everything a worker on any host needs to run it. Job id =
 * shard id, so the queue holds each shard at most once.
 */
export interface ShardJobData {
  format: typeof SHARD_JOB_FORMAT;
  run: string;
  /** A task of the registry, or one the worker was given (`tasks` option). */
  task: string;
  /**
   * The submitter's job and task options (model, columns, max length, batch tokens, window
   * rows, pooling…), JSON only. Never device, worker or thread counts: the worker chooses those.
   */
  options: Record<string, unknown>;
  /** Absolute output directory, shared by every worker (a network filesystem across hosts). */
  out: string;
  /** The plan's fingerprint: a worker whose model or options would give other bytes refuses the shard. */
  fingerprint: Record<string, unknown>;
  shard: ShardSpec;
  submitted_at: string;
}

/** What a worker stores as the job's return value. */
export interface ShardJobResult {
  status: 'committed' | 'skipped' | 'lost-race';
  rows_out: number;
  rows_rejected: number;
  elapsed_s: number;
  worker: string;
  /** The longest the worker's event loop was blocked during the shard (lock renewal runs there). */
  max_event_loop_lag_ms: number;
}

/** What `job.updateProgress` reports while a shard runs. */
export interface ShardJobProgress {
  rows_done: number;
  rows: number;
  rows_out: number;
  rows_rejected: number;
  tokens: number;
  elapsed_s: number;
  worker: string;
}

/** Options a worker decides for itself (its devices and threads), or that make no sense per shard. */
export const NOT_IN_JOB_DATA: readonly string[] = [
  'device', 'workers', 'threads', 'quiet', 'log', 'signal', 'onProgress',
  'input', 'out', 'overwrite', 'resume', 'partRows', 'shardCount', 'shardIndex', 'shardRows', 'shardBytes', 'run',
];

/** Retry policy of every shard job. */
export interface ShardRetryPolicy {
  attempts: number;
  backoffMs: number;
}

/**
 * BullMQ options of one shard job. Finished jobs are kept (no removeOnComplete/Fail): a kept
 * job id is what makes a repeated submit a no-op, and failed ones keep their reasons for
 * `albert status` and `albert retry-failed`. A run holds one small job per shard.
 */
export function shardJobOptions(shard: ShardSpec, p: ShardRetryPolicy): JobsOptions {
  return { jobId: shard.id, attempts: p.attempts, backoff: { type: 'exponential', delay: p.backoffMs }, removeOnComplete: false, removeOnFail: false };
}

/** Job ids of one run: exactly `<run>-shard-<digits>` (a run `a` must not match run `a-shard-1`). */
export function runJobIdPattern(run: string): RegExp {
  return new RegExp(`^${run.replace(/[.]/g, '\\.')}-shard-\\d{5,}$`);
}

/** Checks a job's data before a worker acts on it: another version may have queued it. */
export function parseShardJobData(data: unknown, jobId: string | undefined): ShardJobData {
  const d = data as Partial<ShardJobData> | null;
  const bad = (why: string) => new QueueError('ALB_QUEUE_JOB_INVALID', `job ${jobId}: ${why}; was it queued by another version of albert-pipeline?`, { job: jobId });
  if (typeof d !== 'object' || d === null) throw bad('no job data');
  if (d.format !== SHARD_JOB_FORMAT) throw bad(`format ${JSON.stringify(d.format)}, expected ${SHARD_JOB_FORMAT}`);
  if (typeof d.task !== 'string' || d.task === '') throw bad(`no task`);
  if (typeof d.out !== 'string' || typeof d.run !== 'string') throw bad('no out or run');
  if (typeof d.options !== 'object' || d.options === null || typeof d.fingerprint !== 'object' || d.fingerprint === null) throw bad('no options or fingerprint');
  const s = d.shard;
  if (!s || typeof s.id !== 'string' || typeof s.input !== 'string' || ![s.index, s.startOffset, s.endOffset, s.firstSeq, s.rows].every(Number.isInteger)) throw bad('no valid shard');
  if (s.id !== jobId) throw bad(`shard ${s.id} under another job id`);
  return d as ShardJobData;
}
