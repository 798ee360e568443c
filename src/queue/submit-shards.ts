import { resolve } from 'node:path';
import { Queue } from 'bullmq';
import { optionError } from '../errors.js';
import { openJobContext } from '../pipeline/job-context.js';
import { splitTaskOptions } from '../pipeline/task-options.js';
import type { JobOptions } from '../pipeline/job-options.js';
import { intOption } from '../options.js';
import { planFor, prepareSharedOut } from '../shards/run-shards.js';
import { isShardCommitted } from '../shards/shard-committer.js';
import type { ShardPlan } from '../shards/shard-plan.js';
import type { TaskDefinition } from '../tasks/task.js';
import { QUEUE_OPTION_INVALID, QueueError, queueOptionError } from './queue-error.js';
import { resolveQueueConnection, type QueueConnectionOptions, type ResolvedQueueConnection } from './queue-options.js';
import { closeRedis, connectRedis } from './redis-client.js';
import { NOT_IN_JOB_DATA, SHARD_JOB_FORMAT, shardJobOptions, type ShardJobData, type ShardRetryPolicy } from './shard-job.js';

export interface SubmitOptions extends QueueConnectionOptions {
  /** Input files; a shard is a byte range of one of them. */
  inputs: readonly string[];
  /** Output directory every worker writes into (shared storage across hosts). */
  out: string;
  /** Run id: required, since one queue holds many runs. Shard ids are `<run>-shard-00042`. */
  run: string;
  shardRows?: number;
  shardBytes?: number;
  /** Tries per shard before it is failed (default 5). */
  attempts?: number;
  /** First retry delay, doubled each further try (default 10 000 ms). */
  backoffMs?: number;
}

/** What `submitShards` takes besides the job's and the task's options (shardCount/shardIndex only to refuse them by name). */
const SUBMIT_KEYS: readonly string[] = ['redis', 'queue', 'prefix', 'inputs', 'run', 'shardRows', 'shardBytes', 'attempts', 'backoffMs', 'shardCount', 'shardIndex'];

export interface ResolvedSubmit {
  readonly queue: ResolvedQueueConnection;
  readonly retry: Readonly<ShardRetryPolicy>;
}

export interface SubmitResult {
  run: string;
  out: string;
  queue: string;
  shards: number;
  rows: number;
  /** Jobs this call added. */
  added: number;
  /** Shards already committed in the output: not queued (the output is the source of truth). */
  committed: number;
  /** Shards already queued, by state (a repeated submit adds nothing). */
  existing: Record<string, number>;
  /** Jobs completed in Redis whose shard is not in the output (deleted?): queued again. */
  requeued: number;
}

/**
 * `albert submit`: plans the run's shards (once, shared through `out/plan.json`) and queues
 * every shard the output does not hold yet, with job id = shard id. Submitting again adds
 * nothing; after Redis lost its data (a flush, a new instance) it queues exactly the
 * shards that are not committed.
 *
 * @example
 * ```ts
 * const r = await submitShards(embedTask, { redis: 'redis://127.0.0.1:6379', inputs: ['docs.csv'], out: '/shared/out/docs', run: 'docs', shardRows: 65536 });
 * r.added; // 16 (then 0 on a second call)
 * ```
 */
export async function submitShards<O>(task: TaskDefinition<O>, options: SubmitOptions & JobOptions & Record<string, unknown>): Promise<SubmitResult> {
  // Refuses unknown keys (naming the nearest of the job's, the task's and these), maps aliases.
  const split = splitTaskOptions(task, options, SUBMIT_KEYS);
  const { redis, queue, prefix, inputs, run, shardRows, shardBytes, attempts, backoffMs, shardCount, shardIndex } = split.extra as Partial<SubmitOptions> & { shardCount?: unknown; shardIndex?: unknown };
  const { out: outDir, ...rest } = { ...split.job, ...split.task } as Record<string, unknown>;
  const resolved: ResolvedSubmit = Object.freeze({
    queue: resolveQueueConnection({ redis, queue, prefix }),
    retry: Object.freeze({ attempts: intOption('--attempts', attempts, 5, 1, 1000, QUEUE_OPTION_INVALID), backoffMs: intOption('--backoff', backoffMs, 10_000, 0, 86_400_000, QUEUE_OPTION_INVALID) }),
  });
  if (typeof run !== 'string' || run === '') throw queueOptionError('--run', run, 'a run id: one queue holds many runs, so queue mode needs one');
  if (!Array.isArray(inputs) || inputs.length === 0) throw optionError('inputs', inputs, 'one or more input files');
  if (shardCount !== undefined || shardIndex !== undefined) throw queueOptionError('--shard-count', shardCount ?? shardIndex, 'nothing: workers take shards from the queue (static sharding is `albert <task> --shard-count`)');
  if (typeof outDir !== 'string' || outDir === '') throw optionError('--out', outDir, 'an output directory');
  const out = resolve(outDir);
  const jobOptions: Record<string, unknown> = Object.fromEntries(Object.entries(rest).filter(([k, v]) => v !== undefined && !NOT_IN_JOB_DATA.includes(k)));
  // Workers on other hosts and in other directories must find the same model.
  if (typeof jobOptions.model === 'string') jobOptions.model = resolve(jobOptions.model);

  // Fail on Redis before the (possibly long) planning scan.
  const client = await connectRedis(resolved.queue, 'client');
  try {
    // The submitter only plans: one small CPU session to learn the model's outputs.
    const ctx = await openJobContext(task, { ...jobOptions, input: inputs[0], out, workers: 1, threads: 1, device: 'cpu', quiet: true });
    let plan: ShardPlan;
    try {
      await prepareSharedOut(out);
      plan = await planFor(ctx, out, inputs, { run, shardRows, shardBytes });
      // Batching shapes output bytes: pin what this plan resolved, whatever device a worker has.
      jobOptions.batchTokens = ctx.job.batchTokens;
      jobOptions.windowRows = ctx.job.windowRows;
    } finally {
      await ctx.close();
    }
    const q = new Queue<ShardJobData>(resolved.queue.queue, { connection: client, prefix: resolved.queue.prefix });
    try {
      return await enqueue(q, task.name, plan, out, jobOptions, resolved);
    } finally {
      await q.close();
    }
  } finally {
    await closeRedis(client);
  }
}

async function enqueue(q: Queue<ShardJobData>, taskName: ShardJobData['task'], plan: ShardPlan, out: string, options: Record<string, unknown>, r: ResolvedSubmit): Promise<SubmitResult> {
  const result: SubmitResult = { run: plan.run, out, queue: r.queue.queue, shards: plan.shards.length, rows: plan.rows, added: 0, committed: 0, existing: {}, requeued: 0 };
  const submittedAt = new Date().toISOString();
  const toAdd: Array<{ name: string; data: ShardJobData; opts: ReturnType<typeof shardJobOptions> }> = [];
  for (const shard of plan.shards) {
    if (await isShardCommitted(out, shard.id)) {
      result.committed++;
      continue;
    }
    const existing = await q.getJob(shard.id);
    if (existing) {
      const prev = existing.data as Partial<ShardJobData>;
      if (prev.out !== out || JSON.stringify(prev.fingerprint) !== JSON.stringify(plan.fingerprint)) {
        throw new QueueError('ALB_QUEUE_RUN_CONFLICT', `run ${plan.run}: queue ${r.queue.queue} already holds shard ${shard.id} for ${prev.out === out ? 'other options' : `--out ${prev.out}`}; pick another --run (or --queue)`, { run: plan.run, job: shard.id });
      }
      const state = await existing.getState();
      result.existing[state] = (result.existing[state] ?? 0) + 1;
      // Redis says done, the output says not: the output wins, so the shard runs again.
      if (state === 'completed') {
        await existing.retry('completed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        result.requeued++;
      }
      continue;
    }
    toAdd.push({ name: taskName, data: { format: SHARD_JOB_FORMAT, run: plan.run, task: taskName, options, out, fingerprint: plan.fingerprint, shard, submitted_at: submittedAt }, opts: shardJobOptions(shard, r.retry) });
  }
  // addBulk is one MULTI; a job id that appeared meanwhile (a concurrent submit) is skipped by BullMQ.
  for (let i = 0; i < toAdd.length; i += 500) await q.addBulk(toAdd.slice(i, i + 500));
  result.added = toAdd.length;
  return result;
}
