import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Job, JobState, Queue } from 'bullmq';
import { isShardCommitted, SHARDS_DIR, TMP_PREFIX } from '../shards/shard-committer.js';
import { readPlan } from '../shards/shard-plan.js';
import { QueueError, queueOptionError } from './queue-error.js';
import { resolveQueueConnection, type QueueConnectionOptions, type ResolvedQueueConnection } from './queue-options.js';
import { withQueue } from './redis-client.js';
import { runJobIdPattern, type ShardJobData, type ShardJobProgress } from './shard-job.js';

export interface RunStatusOptions extends QueueConnectionOptions {
  run: string;
  /** The run's output (default: from its queued jobs; needed once Redis lost them). */
  out?: string;
}

export const JOB_STATES: readonly JobState[] = ['waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed', 'waiting-children'];

export interface RunStatus {
  run: string;
  queue: string;
  out: string | null;
  /** This run's jobs in Redis, by state. */
  counts: Record<string, number>;
  jobs: number;
  active: Array<{ shard: string; worker: string | null; attempt: number; progress: ShardJobProgress | null }>;
  failed: Array<{ shard: string; reason: string; attempts: number; failed_at: string | null }>;
  /** Over the run's jobs in Redis: starts beyond the first, stalls survived (lost workers), failed attempts. */
  attempts: { started: number; retries: number; stalls: number; failed: number };
  /** The output, which is the source of truth. */
  disk: { planned: number | null; committed: number; missing: string[]; abandoned_attempts: number } | null;
  /** Where Redis and the output disagree (the output wins; `albert submit` again re-queues what is missing). */
  disagree: { completed_not_committed: string[]; committed_not_completed: string[] };
  /** Every planned shard is committed: `albert merge-manifest <out>` can run. */
  complete: boolean;
}

/**
 * `albert status`: one run's shards as Redis sees them (counts, progress of the active ones,
 * failed ones with their reasons, retries and stalls) and as the output holds them
 * (committed, missing), and where the two disagree.
 *
 * @example
 * ```ts
 * const s = await runStatus({ redis: 'redis://127.0.0.1:6379', run: 'docs' });
 * s.counts.completed; s.failed[0]?.reason; s.complete;
 * ```
 */
export async function runStatus(options: RunStatusOptions): Promise<RunStatus> {
  const conn = resolveQueueConnection(options);
  if (typeof options.run !== 'string' || options.run === '') throw queueOptionError('--run', options.run, 'the run id given to albert submit');
  return withQueue(conn, (q) => statusOf(q, conn, options.run, options.out));
}

/** The run's jobs in Redis, by state (ids only: one queue holds many runs). */
export async function runJobIds(q: Queue, run: string, states: readonly JobState[] = JOB_STATES): Promise<Map<JobState, string[]>> {
  const mine = runJobIdPattern(run);
  const byState = new Map<JobState, string[]>();
  for (const state of states) byState.set(state, (await q.getRanges([state], 0, -1, true)).filter((id) => mine.test(id)));
  return byState;
}

export async function statusOf(q: Queue<ShardJobData>, conn: ResolvedQueueConnection, run: string, outOption?: string): Promise<RunStatus> {
  const byState = await runJobIds(q, run);
  const stateOf = new Map<string, JobState>();
  for (const [state, ids] of byState) for (const id of ids) stateOf.set(id, state);
  const jobs: Job<ShardJobData>[] = [];
  const ids = [...stateOf.keys()];
  for (let i = 0; i < ids.length; i += 100) {
    for (const j of await Promise.all(ids.slice(i, i + 100).map((id) => q.getJob(id)))) if (j) jobs.push(j);
  }
  const out = outOption !== undefined ? resolve(outOption) : (jobs.find((j) => typeof j.data?.out === 'string')?.data.out ?? null);
  if (out === null && jobs.length === 0) {
    throw new QueueError('ALB_QUEUE_RUN_UNKNOWN', `run ${run}: no jobs in queue ${conn.queue}; pass --out to see what its output holds (Redis may have been flushed)`, { run });
  }
  const s: RunStatus = {
    run,
    queue: conn.queue,
    out,
    counts: Object.fromEntries(JOB_STATES.map((st) => [st, byState.get(st)!.length])),
    jobs: jobs.length,
    active: [],
    failed: [],
    attempts: { started: 0, retries: 0, stalls: 0, failed: 0 },
    disk: null,
    disagree: { completed_not_committed: [], committed_not_completed: [] },
    complete: false,
  };
  for (const j of jobs) {
    s.attempts.started += j.attemptsStarted;
    s.attempts.retries += Math.max(0, j.attemptsStarted - 1);
    s.attempts.stalls += j.stalledCounter;
    s.attempts.failed += j.attemptsMade - (stateOf.get(j.id!) === 'completed' ? 1 : 0);
    const state = stateOf.get(j.id!);
    if (state === 'active') s.active.push({ shard: j.id!, worker: j.processedBy ?? null, attempt: j.attemptsStarted, progress: typeof j.progress === 'object' ? (j.progress as unknown as ShardJobProgress) : null });
    if (state === 'failed') s.failed.push({ shard: j.id!, reason: j.failedReason, attempts: j.attemptsMade, failed_at: j.finishedOn ? new Date(j.finishedOn).toISOString() : null });
  }
  s.attempts.failed = Math.max(0, s.attempts.failed);
  if (out !== null) {
    const plan = await readPlan(out);
    const shardIds = plan?.shards.map((sh) => sh.id) ?? [];
    const committed = new Set<string>();
    for (const id of new Set([...shardIds, ...stateOf.keys()])) if (await isShardCommitted(out, id)) committed.add(id);
    const prefix = `${TMP_PREFIX}${run}-shard-`;
    const abandoned = (await readdir(join(out, SHARDS_DIR)).catch(() => [] as string[])).filter((f) => f.startsWith(prefix)).length;
    s.disk = { planned: plan ? shardIds.length : null, committed: committed.size, missing: shardIds.filter((id) => !committed.has(id)), abandoned_attempts: abandoned };
    s.complete = plan !== null && s.disk.missing.length === 0;
    for (const [id, state] of stateOf) {
      if (state === 'completed' && !committed.has(id)) s.disagree.completed_not_committed.push(id);
      if (state !== 'completed' && state !== 'active' && committed.has(id)) s.disagree.committed_not_completed.push(id);
    }
  }
  return s;
}

/** `albert status` as text. */
export function formatRunStatus(s: RunStatus): string {
  const lines: string[] = [];
  const c = s.counts;
  lines.push(`run ${s.run} (queue ${s.queue}): ${s.jobs} jobs in Redis: ${c.waiting + c.prioritized} waiting, ${c.active} active, ${c.delayed} delayed (retry backoff), ${c.completed} completed, ${c.failed} failed`);
  lines.push(`attempts: ${s.attempts.started} started, ${s.attempts.retries} retries, ${s.attempts.stalls} stalls survived (lost workers), ${s.attempts.failed} failed attempts`);
  for (const a of s.active) {
    const p = a.progress;
    lines.push(`  active ${a.shard} on ${a.worker ?? '?'} (attempt ${a.attempt})${p ? `: ${p.rows_done}/${p.rows} rows (${((100 * p.rows_done) / Math.max(p.rows, 1)).toFixed(0)}%), ${p.elapsed_s.toFixed(1)}s` : ''}`);
  }
  for (const f of s.failed) lines.push(`  failed ${f.shard} after ${f.attempts} attempts: ${f.reason}`);
  if (s.failed.length > 0) lines.push(`  (albert retry-failed --run ${s.run} queues them again)`);
  if (s.disk) {
    const d = s.disk;
    lines.push(`output ${s.out}: ${d.committed}${d.planned === null ? '' : ` of ${d.planned}`} shards committed${d.planned === null ? ' (no plan.json)' : ''}${d.abandoned_attempts > 0 ? `, ${d.abandoned_attempts} abandoned attempt dirs (.tmp-*; albert merge-manifest removes them)` : ''}`);
    if (d.missing.length > 0 && s.jobs === 0) lines.push(`  Redis has no jobs for ${d.missing.length} missing shards: run albert submit again to queue them`);
  }
  if (s.disagree.completed_not_committed.length > 0) lines.push(`disagree: completed in Redis but not in the output: ${s.disagree.completed_not_committed.join(', ')} (albert submit again re-queues them)`);
  if (s.disagree.committed_not_completed.length > 0) lines.push(`disagree: committed in the output but not completed in Redis: ${s.disagree.committed_not_completed.join(', ')} (a worker will skip them)`);
  lines.push(s.complete ? `complete: albert merge-manifest ${s.out}` : 'not complete');
  return `${lines.join('\n')}\n`;
}
