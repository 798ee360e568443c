import { resolve } from 'node:path';
import { AlbertError, OptionError, optionError } from '../errors.js';
import { isSourceReject, type SourceItem } from '../io/row.js';
import { packageInfo } from '../io/package-root.js';
import type { AlbertTokenizer } from '../model/albert-tokenizer.js';
import { checkModelInputs, type ModelSpec } from '../model/model-spec.js';
import type { EncodedRow } from '../model/padding.js';
import { cutBatches } from './batcher.js';
import { resolveJobOptions, type JobOptions, type ResolvedJobOptions } from './job-options.js';
import { bundledModel, loadModel, makeTokenizer } from './load-model.js';
import type { Manifest } from './manifest.js';
import { prepareOutputDir } from './output-dir.js';
import { PartCommitter } from './part-committer.js';
import { emptyStages, ProgressReporter } from './progress.js';
import { excerpt, RejectPolicy, type RejectRecord } from './reject.js';
import { Scheduler } from './scheduler.js';
import { openSource } from './open-source.js';
import { newManifest, resumeManifest, summarize, type JobSummary } from './job-summary.js';
import type { TaskContext, TaskDefinition, TaskPlan } from './task.js';
import { Window } from './window.js';
import { InferencePool } from './worker-pool.js';
import { tokenizeWindow } from './tokenize-window.js';

/** Windows read ahead of the oldest unwritten one: bounds memory, keeps the pool fed. */
const OPEN_WINDOWS = 3;

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
  const job = resolveJobOptions(options);
  const taskOptions = task.resolveOptions(options);
  if (task.requiresPairs && !job.textBColumn) {
    throw new OptionError('ALB_OPTION_MISSING', `\`${task.name}\` works on pairs: pass --text-b-column (and --text-a-column) naming the second segment`, { option: '--text-b-column' });
  }
  const startedAt = Date.now();
  const out = resolve(job.out);
  const prior = await prepareOutputDir(out, job);
  const model = await loadModel(job.model ?? bundledModel(task.defaultModel));
  const tokenizer = makeTokenizer(model, job.maxLength);
  if (job.batchTokens < tokenizer.maxLength) {
    throw optionError('--batch-tokens', job.batchTokens, `at least the max length (${tokenizer.maxLength}), so the longest row fits a batch`);
  }
  const pool = new InferencePool({
    modelPath: model.files.onnxPath,
    devices: job.devices,
    workersPerDevice: job.workers,
    intraOpThreads: job.threads,
    graphPooling: task.graphPooling?.(taskOptions) ?? null,
    queuePerWorker: job.device.kind === 'cuda' ? 3 : 2,
    batchTimeoutMs: job.batchTimeoutMs,
  });
  try {
    const described = await pool.describe();
    const spec: ModelSpec = { ...model.config, name: model.files.name, onnxSha256: model.files.onnxSha256, inputs: described.inputs, outputs: described.outputs };
    checkModelInputs(spec);
    const toolVersion = packageInfo().version;
    const ctx: TaskContext = { spec, tokenizer, maxLength: tokenizer.maxLength, toolVersion, pairs: job.textBColumn !== null };
    const plan = task.plan(ctx, taskOptions);
    const fingerprint = jobFingerprint(task.name, job, spec, tokenizer.maxLength, task.fingerprint(taskOptions));
    const manifest = prior
      ? resumeManifest(prior, fingerprint, out)
      : newManifest({ task: task.name, toolVersion, fingerprint, spec, ep: described.ep, fallbackReason: described.fallbackReason, input: job.input });
    if (prior?.status === 'complete') return summarize(manifest, out, { alreadyComplete: true });
    if (described.fallbackReason && !job.quiet) job.log.write(`albert: --device auto: ${described.fallbackReason}; running on the CPU\n`);
    return await stream(task.name, job, plan, tokenizer, pool, manifest, out, startedAt);
  } finally {
    await pool.close();
  }
}

async function stream(
  taskName: string,
  job: ResolvedJobOptions,
  plan: TaskPlan,
  tokenizer: AlbertTokenizer,
  pool: InferencePool,
  manifest: Manifest,
  out: string,
  startedAt: number,
): Promise<JobSummary> {
  const priorElapsed = manifest.elapsed_s;
  const stages = emptyStages();
  const live = { rowsRead: 0, rowsDone: 0, rowsOut: 0, rejected: 0, tokens: 0 };
  const policy = new RejectPolicy(job.onError, job.maxRejects);
  const faultSeqs = new Map<number, 'throw' | 'exit' | 'hang'>();
  const scheduler = new Scheduler(pool, plan.head, tokenizer.special.pad, (rows) => {
    for (const r of rows) {
      const f = faultSeqs.get(r.seq);
      if (f) return f;
    }
    return null;
  });
  const committer = new PartCommitter(out, plan.schema, manifest, job.partRows, (i) => `part-${String(i).padStart(5, '0')}.arrow`, (m) => {
    m.elapsed_s = priorElapsed + (Date.now() - startedAt) / 1000;
    m.docs_per_s = m.elapsed_s > 0 ? m.rows_out / m.elapsed_s : 0;
    m.tokens_per_s = m.elapsed_s > 0 ? m.tokens / m.elapsed_s : 0;
    m.stages_ms = { ...stages };
    m.updated_at = new Date().toISOString();
  });
  const source = await openSource(job, manifest.next);
  const progress = new ProgressReporter(taskName, job.log, () => ({ ...live, elapsedMs: Date.now() - startedAt, bytesRead: source.bytesRead(), totalBytes: source.totalBytes ?? null }), !job.quiet);

  let failure: unknown = null;
  const fail = (err: unknown) => {
    failure ??= err;
  };
  const windows: Window[] = [];
  let lastEmitted: Promise<void> = Promise.resolve();
  let submitted: Promise<void> = Promise.resolve();
  const rejectInto = (win: Window, record: RejectRecord) => {
    live.rejected++;
    live.rowsDone++;
    policy.reject(record, (r) => win.addReject(r));
  };

  const submit = async (win: Window): Promise<void> => {
    const t0 = performance.now();
    const encoded: EncodedRow[] = await tokenizeWindow(tokenizer, win.rows, job.textBColumn !== null, (row, problem) =>
      rejectInto(win, { row: row.seq, offset: row.offset ?? null, id: row.id, stage: 'tokenize', ...problem, excerpt: excerpt(row.text) }),
    );
    stages.tokenizeMs += performance.now() - t0;
    const byId = new Map(win.rows.map((r) => [r.seq, r]));
    const accepted = encoded.filter((e) => {
      const problem = plan.checkRow?.(e);
      if (!problem) return true;
      const row = byId.get(e.seq)!;
      rejectInto(win, { row: e.seq, offset: row.offset ?? null, id: row.id, stage: 'tokenize', ...problem, excerpt: excerpt(row.text) });
      return false;
    });
    for (const batch of cutBatches(accepted, job.batchTokens)) {
      if (failure) break;
      await scheduler.capacity();
      win.hold(1);
      scheduler
        .run(batch)
        .then(({ done, failed }) => {
          for (const { rows, response } of done) {
            stages.queueMs += response.timings.queueMs;
            stages.inferMs += response.timings.inferMs;
            stages.postMs += response.timings.postMs;
            rows.forEach((e, index) => {
              win.outputs.push({ seq: e.seq, id: byId.get(e.seq)!.id, encoded: e, response, index });
              win.tokens += e.ids.length;
            });
            live.rowsDone += rows.length;
            live.rowsOut += rows.length;
            live.tokens += rows.reduce((n, e) => n + e.ids.length, 0);
          }
          for (const { row, error } of failed) {
            const src = byId.get(row.seq)!;
            rejectInto(win, { row: row.seq, offset: src.offset ?? null, id: src.id, stage: 'infer', code: error.code, message: error.message, excerpt: excerpt(src.text) });
          }
        })
        .catch(fail)
        .finally(() => win.release());
    }
    win.release();
  };

  const emit = async (win: Window): Promise<void> => {
    await win.done;
    if (failure || job.signal?.aborted) return;
    const t0 = performance.now();
    const rows = win.orderedOutputs();
    const counts: Record<string, number> = {};
    plan.tally?.(rows, counts);
    await committer.append({
      seqStart: win.seqStart,
      seqEnd: win.seqEnd,
      batch: rows.length > 0 ? plan.build(rows) : null,
      rows: rows.length,
      tokens: win.tokens,
      rejects: win.rejects,
      counts,
      nextOffset: win.nextOffset,
    });
    stages.writeMs += performance.now() - t0;
  };

  const launch = (win: Window): void => {
    const prevEmitted = lastEmitted;
    submitted = submitted.then(() => (failure ? win.release() : submit(win))).catch((err) => {
      fail(err);
      win.release();
    });
    win.emitted = lastEmitted = prevEmitted.then(() => emit(win)).catch(fail);
  };

  let current: Window | null = null;
  const batches = source.batches()[Symbol.asyncIterator]();
  try {
    reading: for (;;) {
      const t0 = performance.now();
      const next: IteratorResult<readonly SourceItem[]> = await batches.next();
      stages.readMs += performance.now() - t0;
      if (next.done) break;
      for (const item of next.value) {
        if (failure || job.signal?.aborted) break reading;
        if (item.seq < manifest.next.seq) continue;
        live.rowsRead++;
        if (!current) {
          while (windows.length >= OPEN_WINDOWS) await windows.shift()!.emitted;
          const prev = windows[windows.length - 1];
          if (prev) prev.nextOffset = item.offset ?? null;
          current = new Window(item.seq, item.offset ?? null);
          windows.push(current);
        }
        if (isSourceReject(item)) {
          rejectInto(current, { row: item.seq, offset: item.offset ?? null, id: item.id ?? null, stage: 'read', code: item.code, message: item.message, excerpt: item.excerpt ?? null });
        } else {
          current.addRow(item);
          const fault = job.faults.throwIds.includes(item.id) ? 'throw' : job.faults.exitIds.includes(item.id) ? 'exit' : job.faults.hangIds.includes(item.id) ? 'hang' : null;
          if (fault) faultSeqs.set(item.seq, fault);
        }
        if (current.size >= job.windowRows) {
          launch(current);
          current = null;
        }
      }
    }
  } catch (err) {
    fail(err);
  } finally {
    await source.close();
  }
  if (current) launch(current);
  await Promise.allSettled(windows.map((w) => w.emitted));
  progress.stop();

  const interrupted = !failure && Boolean(job.signal?.aborted);
  if (failure || interrupted) {
    await committer.abandon();
    manifest.status = failure ? 'failed' : 'interrupted';
    await committer.saveManifest().catch(() => undefined);
    if (failure) throw failure instanceof AlbertError ? failure : new AlbertError('ALB_INTERNAL', String((failure as Error)?.stack ?? failure));
    return summarize(manifest, out, { interrupted: true, retries: scheduler.stats });
  }
  await committer.finish();
  manifest.status = 'complete';
  await committer.saveManifest();
  await committer.close();
  return summarize(manifest, out, { retries: scheduler.stats });
}

function jobFingerprint(task: string, job: ResolvedJobOptions, spec: ModelSpec, maxLength: number, taskPart: Record<string, unknown>): Record<string, unknown> {
  return {
    task,
    model_sha256: spec.onnxSha256,
    input: typeof job.input === 'string' ? resolve(job.input) : '<stream>',
    format: job.format,
    text_column: job.textColumn,
    text_b_column: job.textBColumn,
    id_column: job.idColumn,
    keep_empty: job.keepEmpty,
    max_record_bytes: job.maxRecordBytes,
    max_length: maxLength,
    batch_tokens: job.batchTokens,
    window_rows: job.windowRows,
    part_rows: job.partRows,
    ...taskPart,
  };
}
