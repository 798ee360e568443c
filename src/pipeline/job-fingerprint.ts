import type { InputSet } from '../io/input-files.js';
import { inputIdentity, type JobContext } from './job-context.js';

/** A folder or glob input's files, as the fingerprint and the manifest list them. */
export function fileList(set: InputSet): Array<{ name: string; bytes: number }> {
  return set.files.map((f) => ({ name: f.name, bytes: f.bytes }));
}

/**
 * Everything that determines a job's output bytes: the task's and reader's options, the
 * model, the input (a folder's files with their sizes: seq runs across them) and the
 * part size. --resume and `albert repair` refuse a run whose fingerprint differs.
 *
 * @example
 * ```ts
 * const fp = jobFingerprint(ctx); // { task: 'embed', model_sha256: '…', input: '/abs/docs.csv', part_rows: 16384, … }
 * ```
 */
export function jobFingerprint(ctx: JobContext): Record<string, unknown> {
  const { job } = ctx;
  const files = job.inputFiles;
  return { ...ctx.fingerprint, input: inputIdentity(job.input), ...(files ? { input_files: fileList(files) } : {}), part_rows: job.partRows };
}
