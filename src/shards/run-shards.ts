import { lstat, mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { OutputError, optionError } from '../errors.js';
import { expandInput } from '../io/input-files.js';
import { openJobContext, type JobContext } from '../pipeline/job-context.js';
import { splitTaskOptions } from '../pipeline/task-options.js';
import type { JobOptions } from '../pipeline/job-options.js';
import { openSource } from '../pipeline/open-source.js';
import { emptyStages, type ProgressSnapshot } from '../pipeline/progress.js';
import { isShardCommitted, ShardCommitter, type ShardRecord } from './shard-committer.js';
import { loadOrCreatePlan, planShards, selectShards, type ShardPlan, type ShardSpec } from './shard-plan.js';
import { streamRows } from '../pipeline/stream-rows.js';
import type { TaskDefinition } from '../tasks/task.js';

export interface ShardingOptions {
  /** Run id: shard ids are `<run>-shard-00042`. Default `run`. */
  run?: string;
  /** Input rows per shard (a multiple of --window-rows, so shards batch as one job would). */
  shardRows?: number;
  /** Or: input bytes per shard (record-aligned). */
  shardBytes?: number;
  /** This process's index among `shardCount` (default from JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID). */
  shardIndex?: number;
  shardCount?: number;
}

export interface ShardOutcome {
  shard: ShardSpec;
  status: 'committed' | 'skipped' | 'lost-race' | 'interrupted';
  record: ShardRecord | null;
}

export const DEFAULT_SHARD_ROWS = 65536;

/** The keys of {@link ShardingOptions}, which a sharded run takes beside the job's and the task's. */
export const SHARDING_KEYS: readonly string[] = ['run', 'shardRows', 'shardBytes', 'shardIndex', 'shardCount'];

/** Resolves the shard index from flags or the scheduler's environment (Kubernetes Indexed Job, Slurm array). */
export function shardIndexFromEnv(explicit: number | undefined, env: NodeJS.ProcessEnv = process.env): number | undefined {
  if (explicit !== undefined) return explicit;
  for (const key of ['JOB_COMPLETION_INDEX', 'SLURM_ARRAY_TASK_ID']) {
    const v = env[key];
    if (v !== undefined && v !== '') {
      if (!/^\d+$/.test(v)) throw optionError(key, v, 'a non-negative integer');
      return Number(v);
    }
  }
  return undefined;
}

/** Makes (or reads) the run's plan in `out`. */
export async function planFor(ctx: JobContext, out: string, inputs: readonly string[], s: ShardingOptions): Promise<ShardPlan> {
  const shardBytes = s.shardBytes ?? null;
  const shardRows = shardBytes === null ? (s.shardRows ?? DEFAULT_SHARD_ROWS) : (s.shardRows ?? null);
  if (shardRows !== null && shardRows % ctx.job.windowRows !== 0) {
    throw optionError('--shard-rows', shardRows, `a multiple of --window-rows (${ctx.job.windowRows}), so every shard batches exactly as one job over the whole input would`);
  }
  const run = s.run ?? 'run';
  // A folder or glob is planned as its files, each cut on its own (and a compressed one whole).
  const files = inputs.flatMap((input) => expandInput(input, ctx.job.read.format)?.files.map((f) => f.path) ?? [input]);
  const want = { run, inputs: files, shardRows, shardBytes, fingerprint: ctx.fingerprint };
  return loadOrCreatePlan(out, () => planShards({ ...want, read: ctx.job.read }), want);
}

/** Output dir for a sharded run: shared by many processes, so it may be non-empty, but never a symlink. */
export async function prepareSharedOut(out: string): Promise<void> {
  const st = await lstat(out).catch(() => null);
  if (st?.isSymbolicLink()) throw new OutputError('ALB_OUTPUT_SYMLINK', `--out ${out} is a symlink; refusing to write through it (pass the real directory)`, { option: '--out', out });
  if (st && !st.isDirectory()) throw new OutputError('ALB_OUTPUT_NOT_DIR', `--out ${out} exists and is not a directory`, { option: '--out', out });
  await mkdir(out, { recursive: true });
}

/**
 * Runs one shard through the pipeline and commits it (first writer wins). A shard already
 * committed in `out` is skipped without reading a byte. `onBatch` sees the shard's progress
 * after every batch.
 */
export async function runShard(ctx: JobContext, out: string, shard: ShardSpec, opts: { onBatch?: (progress: ProgressSnapshot) => void } = {}): Promise<ShardOutcome> {
  if (await isShardCommitted(out, shard.id)) return { shard, status: 'skipped', record: null };
  const startedAt = Date.now();
  const committer = new ShardCommitter(out, ctx.job.output, ctx.plan.schema, shard);
  // The shard names its input: a plan of several inputs (and a queue worker whose context
  // serves many shards) must read each shard's own file, not the context's.
  const source = await openSource(ctx.job, { seq: shard.firstSeq, offset: null }, shard);
  const result = await streamRows(ctx, { source, skipBelow: shard.firstSeq, committer, startedAt, stages: emptyStages(), onBatch: opts.onBatch });
  if (result.interrupted) return { shard, status: 'interrupted', record: null };
  const { won, record } = await committer.commit({ task: ctx.taskName, fingerprint: ctx.fingerprint, elapsedS: (Date.now() - startedAt) / 1000, ep: ctx.described.ep });
  return { shard, status: won ? 'committed' : 'lost-race', record };
}

/**
 * Static sharding: plans (once, shared through `out/plan.json`) and runs this process's
 * shards, one after another, with one worker pool. Run N of these with indexes 0..N-1,
 * then `albert merge-manifest out`.
 *
 * @example
 * ```ts
 * await runStaticShards(embedTask, { input: 'docs.csv', out: 'out', shardIndex: 2, shardCount: 4 });
 * ```
 */
export async function runStaticShards<O>(task: TaskDefinition<O>, options: JobOptions & ShardingOptions & Record<string, unknown>): Promise<ShardOutcome[]> {
  const split = splitTaskOptions(task, options, SHARDING_KEYS);
  const s = split.extra as ShardingOptions;
  const index = shardIndexFromEnv(s.shardIndex);
  if (s.shardCount === undefined) throw optionError('--shard-count', undefined, 'the number of shard workers (with --shard-index or JOB_COMPLETION_INDEX/SLURM_ARRAY_TASK_ID)');
  if (index === undefined) throw optionError('--shard-index', undefined, 'this worker\'s index (or set JOB_COMPLETION_INDEX / SLURM_ARRAY_TASK_ID)');
  const ctx = await openJobContext(task, { ...split.job, ...split.task });
  try {
    if (typeof ctx.job.input !== 'string' || ctx.job.input === '-') throw optionError('input', '-', 'a file: sharding needs byte ranges of a file');
    const out = resolve(ctx.job.out);
    await prepareSharedOut(out);
    const plan = await planFor(ctx, out, [ctx.job.input], s);
    const outcomes: ShardOutcome[] = [];
    for (const shard of selectShards(plan, index, s.shardCount)) {
      const outcome = await runShard(ctx, out, shard);
      outcomes.push(outcome);
      if (outcome.status === 'interrupted') break;
    }
    return outcomes;
  } finally {
    await ctx.close();
  }
}
