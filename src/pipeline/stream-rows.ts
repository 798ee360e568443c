import { AlbertError } from '../errors.js';
import type { Source } from '../io/read-source.js';
import { isSourceReject, type SourceItem } from '../io/row.js';
import type { EncodedRow } from '../model/padding.js';
import { cutBatches } from './batcher.js';
import type { JobContext } from './job-context.js';
import type { StageTimes } from './manifest.js';
import type { FinishedWindow } from './part-committer.js';
import { ProgressReporter, type ProgressSnapshot } from './progress.js';
import { excerpt, RejectPolicy, type RejectRecord } from './reject.js';
import { Scheduler, type SchedulerStats } from './scheduler.js';
import { NativeGarbage } from './native-garbage.js';
import { tokenizeWindow } from './tokenize-window.js';
import { Window } from './window.js';

/** Windows read ahead of the oldest unwritten one: bounds memory, keeps the pool fed. */
const OPEN_WINDOWS = 3;

/** Where finished windows go: parts of a job, or the one part of a shard. */
export interface WindowSink {
  append(w: FinishedWindow): Promise<void>;
  /** Drops what is not committed (a failed or interrupted run). */
  abandon(): Promise<void>;
}

export interface StreamRun {
  source: Source;
  /** Rows before this seq are already committed (a resumed job reading from the start). */
  skipBelow: number;
  committer: WindowSink;
  startedAt: number;
  /** Accumulates per-stage times (ms) of this run. */
  stages: StageTimes;
  /** Called after each batch's rows are accounted for (a queue worker reports job progress from it). */
  onBatch?: (progress: ProgressSnapshot) => void;
}

export interface StreamResult {
  interrupted: boolean;
  batches: SchedulerStats;
}

/**
 * The pipeline's one loop: read → window → tokenize → cut batches → pool (with retries) →
 * reorder by window → sink. Memory is bounded by OPEN_WINDOWS windows and the pool's
 * queue, never by the input. A bad row becomes a reject; a fatal error abandons what is
 * not committed and is rethrown; an abort (signal) stops reading and reports `interrupted`.
 */
export async function streamRows(ctx: JobContext, run: StreamRun): Promise<StreamResult> {
  const { job, plan, tokenizer, pool, taskName } = ctx;
  const { source, committer, startedAt, stages, skipBelow } = run;
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
  const snapshot = (): ProgressSnapshot => ({ ...live, elapsedMs: Date.now() - startedAt, bytesRead: source.bytesRead(), totalBytes: source.totalBytes ?? null });
  const progress = new ProgressReporter(taskName, job.log, snapshot, !job.quiet);

  let failure: unknown = null;
  const fail = (err: unknown) => {
    failure ??= err;
  };
  const windows: Window[] = [];
  const nativeGarbage = new NativeGarbage();
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
    nativeGarbage.tokenized(encoded.reduce((n, e) => n + e.ids.length, 0));
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
          run.onBatch?.(snapshot());
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
        if (item.seq < skipBelow) continue;
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
  if (failure || interrupted) await committer.abandon();
  if (failure) throw failure instanceof AlbertError ? failure : new AlbertError('ALB_INTERNAL', String((failure as Error)?.stack ?? failure));
  return { interrupted, batches: scheduler.stats };
}
