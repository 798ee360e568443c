import { resolve } from 'node:path';
import { OutputError } from '../errors.js';
import { filesDifference, type InputSet } from '../io/input-files.js';
import { inputIdentity, openJobContext } from './job-context.js';
import type { JobOptions } from './job-options.js';
import { newManifest, resumeManifest, summarize, type JobSummary } from './job-summary.js';
import type { Manifest } from './manifest.js';
import { openSource } from './open-source.js';
import { prepareOutputDir } from './output-dir.js';
import { PartCommitter } from './part-committer.js';
import { emptyStages } from './progress.js';
import { streamRows } from './stream-rows.js';
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
  const ctx = await openJobContext(task, options);
  try {
    const { job } = ctx;
    const out = resolve(job.out);
    const prior = await prepareOutputDir(out, job);
    const files = job.inputFiles;
    // A folder or glob: its files' names and sizes shape the output too (seq runs across them).
    const listed = files ? fileList(files) : null;
    const fingerprint = { ...ctx.fingerprint, input: inputIdentity(job.input), ...(listed ? { input_files: listed } : {}), part_rows: job.partRows };
    if (prior && files && listed) checkSameFiles(prior, files, listed, out);
    const manifest = prior
      ? resumeManifest(prior, fingerprint, out)
      : newManifest({ task: task.name, toolVersion: ctx.toolVersion, fingerprint, spec: ctx.spec, ep: ctx.described.ep, fallbackReason: ctx.described.fallbackReason, input: job.input });
    if (!prior && files && listed) manifest.input = { path: files.dir, bytes: files.bytes, files: listed };
    if (prior?.status === 'complete') return summarize(manifest, out, { alreadyComplete: true });
    const priorElapsed = manifest.elapsed_s;
    const stages = emptyStages();
    const committer = new PartCommitter(out, job.output, ctx.plan.schema, manifest, job.partRows, (m) => {
      m.elapsed_s = priorElapsed + (Date.now() - startedAt) / 1000;
      m.docs_per_s = m.elapsed_s > 0 ? m.rows_out / m.elapsed_s : 0;
      m.tokens_per_s = m.elapsed_s > 0 ? m.tokens / m.elapsed_s : 0;
      m.stages_ms = { ...stages };
      m.updated_at = new Date().toISOString();
    });
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
  } finally {
    await ctx.close();
  }
}

function fileList(set: InputSet): Array<{ name: string; bytes: number }> {
  return set.files.map((f) => ({ name: f.name, bytes: f.bytes }));
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
