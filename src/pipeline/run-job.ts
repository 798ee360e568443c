import { rmdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InputError, OutputError } from '../errors.js';
import { filesDifference, type InputSet } from '../io/input-files.js';
import { InputRanges } from '../io/input-ranges.js';
import { checkCommittedInput } from './input-identity.js';
import { openJobContext, type JobContext } from './job-context.js';
import { fileList, jobFingerprint } from './job-fingerprint.js';
import type { JobOptions } from './job-options.js';
import { newManifest, resumeManifest, summarize, type JobSummary } from './job-summary.js';
import type { Manifest } from './manifest.js';
import { inputPositions, openSource } from './open-source.js';
import { ensureOutputDir, prepareOutputDir } from './output-dir.js';
import { acquireOutputLock, type OutputLock } from './output-lock.js';
import { PartCommitter } from './part-committer.js';
import { emptyStages } from './progress.js';
import { rerunRecord } from './rerun-record.js';
import { streamRows } from './stream-rows.js';
import { damageError, findDamage } from './verify-output.js';
import type { TaskDefinition } from '../tasks/task.js';

/**
 * Runs one task over one input: read → tokenize → batch → infer (worker pool) → reorder →
 * write parts + manifest. Memory is bounded by the open windows, never by the input.
 *
 * @example
 * ```ts
 * import { runJob, embedTask } from 'albert-pipeline';
 * const summary = await runJob(embedTask, { input: 'docs.csv', out: 'out/docs' });
 * console.log(summary.rows_out, summary.docs_per_s);
 * ```
 */
export async function runJob<O>(task: TaskDefinition<O>, options: JobOptions & Record<string, unknown>): Promise<JobSummary> {
  const startedAt = Date.now();
  let lock: OutputLock | null = null;
  let created: string | null = null;
  try {
    // The lock comes before the model loads: a second job on this --out fails at once.
    const ctx = await openJobContext(task, options, async (job) => {
      const o = await ensureOutputDir(job.out);
      if (o.created) created = o.dir;
      lock = await acquireOutputLock(o.dir, { staleMs: job.lockStaleMs, log: (line) => job.log.write(line) });
    });
    try {
      return await runLocked(ctx, task, options, startedAt);
    } finally {
      await ctx.close();
    }
  } finally {
    await (lock as OutputLock | null)?.release();
    // A job that failed before writing anything leaves no --out behind it (ENOTEMPTY otherwise: kept).
    if (created) await rmdir(created).catch(() => undefined);
  }
}

async function runLocked<O>(ctx: JobContext, task: TaskDefinition<O>, options: Record<string, unknown>, startedAt: number): Promise<JobSummary> {
  const { job } = ctx;
  const out = resolve(job.out);
  const prior = await prepareOutputDir(out, job);
  const files = job.inputFiles;
  const listed = files ? fileList(files) : null;
  const fingerprint = jobFingerprint(ctx);
  if (prior && files && listed) checkSameFiles(prior, files, listed, out);
  const ranges = InputRanges.of(job.input, files);
  const manifest = prior
    ? resumeManifest(prior, fingerprint, out)
    : newManifest({ task: task.name, toolVersion: ctx.toolVersion, fingerprint, spec: ctx.spec, ep: ctx.described.ep, fallbackReason: ctx.described.fallbackReason, input: job.input, rerun: rerunRecord(options) });
  if (!prior && files && listed) manifest.input = { path: files.dir, bytes: files.bytes, files: listed };
  if (prior) {
    // Nothing is added to a job before what it holds is proven: its parts, its rejects, its input.
    const damage = await findDamage(out, prior, job.verify);
    if (damage.length > 0) throw damageError(out, prior, damage, '--resume');
    await checkCommittedInput(prior, ranges, { trust: job.trustInput, note: (line) => (job.quiet ? undefined : job.log.write(line)) });
  }
  if (prior?.status === 'complete') {
    // A Parquet or Arrow file does not grow by appended rows (its footer is at its end).
    if (inputPositions(job) === 'rows' || !(await grownSinceComplete(prior, ranges))) return summarize(manifest, out, { alreadyComplete: true });
    // Rows appended to the input after the job completed: the job goes on with them.
    manifest.status = 'running';
  }
  const priorElapsed = manifest.elapsed_s;
  const stages = emptyStages();
  const committer = new PartCommitter(
    out,
    job.output,
    ctx.plan.schema,
    manifest,
    job.partRows,
    (m) => {
      m.elapsed_s = priorElapsed + (Date.now() - startedAt) / 1000;
      m.docs_per_s = m.elapsed_s > 0 ? m.rows_out / m.elapsed_s : 0;
      m.tokens_per_s = m.elapsed_s > 0 ? m.tokens / m.elapsed_s : 0;
      m.stages_ms = { ...stages };
      m.updated_at = new Date().toISOString();
    },
    ranges,
  );
  const source = await openSource(job, manifest.next);
  let result;
  try {
    result = await streamRows(ctx, { source, skipBelow: manifest.next.seq, committer, startedAt, stages, onBatch: job.onProgress ?? undefined });
  } catch (err) {
    // A new job that failed before its first commit leaves --out as it found it (empty), so
    // the rerun with a fixed input needs no --overwrite; one with parts stays resumable.
    if (prior || manifest.parts.length > 0) {
      manifest.status = 'failed';
      await committer.saveManifest().catch(() => undefined);
    }
    throw err;
  }
  if (result.interrupted) {
    // streamRows has committed every finished window (the last part may be short).
    manifest.status = 'interrupted';
    await committer.saveManifest();
    await committer.close();
    return summarize(manifest, out, { interrupted: true, retries: result.batches });
  }
  await committer.finish();
  manifest.status = 'complete';
  await committer.saveManifest();
  await committer.close();
  return summarize(manifest, out, { retries: result.batches });
}

/**
 * Whether rows were appended to a completed job's input: it now runs past the bytes the
 * last part was made from. Only when those bytes end a line: otherwise the appended bytes
 * would run on into the last committed row, a change no resume can take.
 */
async function grownSinceComplete(prior: Manifest, ranges: InputRanges | null): Promise<boolean> {
  const last = prior.parts[prior.parts.length - 1]?.input;
  if (!ranges || !last) return false;
  const grown = await ranges.tail(last.end);
  if (grown === null) return false;
  if (!grown.endsLine) {
    throw new InputError(
      'ALB_RESUME_INPUT_CHANGED',
      `--resume: ${grown.size - last.end} bytes were appended to input ${JSON.stringify(grown.file)} after the job completed, but its last committed row had no line end: the new bytes run on into it; end that row with a newline before appending, or --overwrite`,
      { option: '--resume', input: grown.file },
    );
  }
  return true;
}

/** Says which files changed, rather than two lists of them (resumeManifest would, in JSON). */
function checkSameFiles(prior: Manifest, set: InputSet, listed: Array<{ name: string; bytes: number }>, out: string): void {
  const was = prior.fingerprint.input_files;
  if (!Array.isArray(was)) return;
  const d = filesDifference(was as Array<{ name: string; bytes: number }>, listed);
  if (d === null) return;
  throw new OutputError(
    'ALB_RESUME_MISMATCH',
    `--resume: the job in ${out} was started on ${was.length} files of ${JSON.stringify(set.input)}, this run finds ${set.files.length}, and they differ: ${d}; resume on the same files, or --overwrite to start over`,
    { option: '--resume', key: 'input_files' },
  );
}
