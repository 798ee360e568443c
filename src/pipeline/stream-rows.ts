import { AlbertError } from '../errors.js';
import type { Source } from '../io/read-source.js';
import { isSourceReject, type SourceItem } from '../io/row.js';
import type { JobContext } from './job-context.js';
import type { StageTimes } from './manifest.js';
import { NativeGarbage } from './native-garbage.js';
import { ProgressReporter, type ProgressSnapshot } from './progress.js';
import { RowAccounting } from './row-accounting.js';
import { Scheduler, type SchedulerStats } from './scheduler.js';
import { submitWindow } from './submit-window.js';
import { Window } from './window.js';
import { WindowQueue } from './window-queue.js';
import type { WindowSink } from './window-sink.js';

/** Windows read ahead of the oldest unwritten one: bounds memory, keeps the pool fed. */
const OPEN_WINDOWS = 3;

export interface StreamRun {
  source: Source;
  /** Rows before this seq are already committed (a resumed job reading from the start). */
  skipBelow: number;
  /** Rows from this seq on are not read: the input ends there for this run (a repair redoing one part). */
  stopBefore?: number;
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
 * not committed and is rethrown; an abort (signal) stops reading and sending batches, lets
 * the sent ones finish, hands the windows they complete to the sink (`interrupt()` decides
 * what is kept) and reports `interrupted`.
 */
export async function streamRows(ctx: JobContext, run: StreamRun): Promise<StreamResult> {
  const { job, plan } = ctx;
  const { source, committer, stages } = run;
  const accounting = new RowAccounting(job.onError, job.maxRejects);
  const scheduler = new Scheduler(ctx.pool, plan.head, ctx.tokenizer.special.pad, ctx.faults);
  // The bytes and tokens of the windows tokenized so far: the progress meter splits the
  // bytes by tokens done, since rows run longest first within a window (see progress-bytes.ts).
  const tokenized = { bytes: 0, tokens: 0 };
  const snapshot = (): ProgressSnapshot => ({
    ...accounting.live,
    elapsedMs: Date.now() - run.startedAt,
    bytesRead: source.bytesRead(),
    totalBytes: source.totalBytes ?? null,
    bytesTokenized: tokenized.bytes,
    tokensTokenized: tokenized.tokens,
  });
  const progress = new ProgressReporter(ctx.taskName, job.log, snapshot, !job.quiet);

  let failure: unknown = null;
  const fail = (err: unknown) => {
    // A reject stop is no failure of the windows before it: they finish and are kept.
    if (!accounting.isStop(err)) failure ??= err;
  };
  // A stop (signal) ends reading and sending at once; batches already sent finish, and the
  // windows they complete are kept, so the exit waits for at most the pool's in-flight bound.
  const aborted = () => Boolean(job.signal?.aborted);
  const halted = () => failure !== null || aborted() || accounting.stop !== null;
  // A reject stop ends reading, and sending for its window and the ones after it; the
  // windows before it are sent whole (at most OPEN_WINDOWS of them), so what it keeps does
  // not depend on timing: every row before the stopping row's window.
  const haltedFor = (win: Window) => failure !== null || aborted() || (accounting.stop !== null && win.seqStart >= accounting.stop.windowStart);
  const nativeGarbage = new NativeGarbage();
  const submit = (win: Window) =>
    submitWindow(win, {
      tokenizer: ctx.tokenizer,
      pairs: job.read.textBColumn !== undefined,
      long: ctx.long,
      plan,
      batchTokens: job.batchTokens,
      scheduler,
      accounting,
      stages,
      nativeGarbage,
      halted: haltedFor,
      fail,
      onBatch: () => run.onBatch?.(snapshot()),
      onTokenized: (win, tokens) => {
        tokenized.bytes = Math.max(tokenized.bytes, win.bytesEnd);
        tokenized.tokens += tokens;
      },
    });
  // Windows are emitted in order: after a cut one, nothing may be committed, or the parts
  // would skip its rows.
  let cut = false;
  const emit = async (win: Window): Promise<void> => {
    await win.done;
    if (failure !== null) return;
    if (cut || win.cut) {
      cut = true;
      return;
    }
    const t0 = performance.now();
    const rows = win.orderedOutputs();
    const counts: Record<string, number> = { ...win.counts };
    plan.tally?.(rows, counts);
    // A byte offset ends the window's bytes exactly; a row number (Parquet, Arrow) does not: there the unit read so far does.
    const inputEnd = source.positions === 'bytes' && win.nextOffset !== null ? win.nextOffset : win.readTo;
    await committer.append({ seqStart: win.seqStart, seqEnd: win.seqEnd, batch: rows.length > 0 ? plan.build(rows) : null, rows: rows.length, tokens: win.tokens, rejects: win.rejects, counts, nextOffset: win.nextOffset, inputEnd });
    stages.writeMs += performance.now() - t0;
  };
  const queue = new WindowQueue(OPEN_WINDOWS, submit, emit, fail, haltedFor);

  // The window being filled; launched when full, or at the end of the input.
  const open: { window: Window | null } = { window: null };
  const add = (item: SourceItem): void => {
    const win = open.window!;
    accounting.read();
    if (isSourceReject(item)) {
      accounting.reject(win, { row: item.seq, offset: item.offset ?? null, id: item.id ?? null, stage: 'read', code: item.code, message: item.message, excerpt: item.excerpt ?? null });
    } else {
      win.addRow(item);
    }
    if (win.size >= job.windowRows) {
      win.bytesEnd = source.bytesRead();
      win.readTo = source.inputPosition();
      queue.launch(win);
      open.window = null;
    }
  };
  // Awaits only where a window starts (for room), not per row.
  const take = (item: SourceItem): Promise<void> | void => {
    if (open.window) return add(item);
    return queue.room().then(() => {
      const prev = queue.last;
      if (prev) prev.nextOffset = item.offset ?? null;
      open.window = new Window(item.seq, item.offset ?? null);
      add(item);
    });
  };
  let ended = false;
  try {
    ended = await readItems(source, run, stages, halted, take);
  } catch (err) {
    fail(err);
  }
  // A window still filling when a stop came is partial: it is dropped, not committed short,
  // so a resumed job forms the very windows (and batches) of an uninterrupted one.
  if (open.window && ended) {
    open.window.bytesEnd = source.bytesRead();
    open.window.readTo = source.inputPosition();
    queue.launch(open.window);
  }
  await queue.drain();
  progress.stop();

  if (failure !== null) {
    await committer.abandon();
    throw failure instanceof AlbertError ? failure : new AlbertError('ALB_INTERNAL', String((failure as Error)?.stack ?? failure));
  }
  if (accounting.stop) {
    // As for a signal: the windows before the stop are committed (the last part may be
    // short), so --resume after fixing the row goes on from there. A shard drops them.
    await committer.interrupt();
    throw accounting.stop.error;
  }
  // A stop that came after the last batch was sent changed nothing: the job is complete.
  const interrupted = aborted() && (!ended || cut);
  if (interrupted) await committer.interrupt();
  return { interrupted, batches: scheduler.stats };
}

/**
 * Reads the source batch by batch (one await per input chunk, not per row) and hands each
 * item from `skipBelow` on to `take`, until the input ends (true) or `stopped()` (false); closes the
 * source whatever happens.
 */
async function readItems(
  source: Source,
  run: StreamRun,
  stages: StageTimes,
  stopped: () => boolean,
  take: (item: SourceItem) => Promise<void> | void,
): Promise<boolean> {
  const batches = source.batches()[Symbol.asyncIterator]();
  try {
    for (;;) {
      const t0 = performance.now();
      const next: IteratorResult<readonly SourceItem[]> = await batches.next();
      stages.readMs += performance.now() - t0;
      if (next.done) return true;
      for (const item of next.value) {
        if (stopped()) return false;
        if (item.seq < run.skipBelow) continue;
        if (run.stopBefore !== undefined && item.seq >= run.stopBefore) return true;
        const starting = take(item);
        if (starting) await starting;
      }
    }
  } finally {
    await source.close();
  }
}
