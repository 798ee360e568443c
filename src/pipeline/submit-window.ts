import type { AlbertTokenizer } from '../model/albert-tokenizer.js';
import type { TaskPlan } from '../tasks/task.js';
import { cutBatches } from './batcher.js';
import { encodeWindow } from './encode-window.js';
import type { LongPolicy } from './long-options.js';
import type { StageTimes } from './manifest.js';
import type { NativeGarbage } from './native-garbage.js';
import { excerpt } from './reject.js';
import type { RowAccounting } from './row-accounting.js';
import type { Scheduler } from './scheduler.js';
import type { Window } from './window.js';

export interface SubmitDeps {
  tokenizer: AlbertTokenizer;
  pairs: boolean;
  long: LongPolicy;
  plan: TaskPlan;
  batchTokens: number;
  scheduler: Scheduler;
  accounting: RowAccounting;
  stages: StageTimes;
  nativeGarbage: NativeGarbage;
  /** Whether the run failed or was stopped before this window: send no more of its batches. */
  halted(win: Window): boolean;
  fail(err: unknown): void;
  /** After each batch's rows are accounted for. */
  onBatch(): void;
  /** Once the window is tokenized, with the tokens of the rows that will be sent (progress: bytes done by tokens). */
  onTokenized(win: Window, tokens: number): void;
}

/**
 * One window into the pool: tokenize it (one native call), let the task refuse rows
 * (fill-mask without `[MASK]`), cut length-sorted token-budget batches, and run each as
 * soon as the pool has room (backpressure for the reader). Each batch holds the window
 * open until its rows are output or rejected; the window is released by its own hold when
 * every batch is submitted.
 */
export async function submitWindow(win: Window, d: SubmitDeps): Promise<void> {
  const t0 = performance.now();
  const byId = new Map(win.rows.map((r) => [r.seq, r]));
  const rejectRow = (seq: number, stage: 'tokenize' | 'infer', problem: { code: string; message: string }) => {
    const row = byId.get(seq)!;
    d.accounting.reject(win, { row: seq, offset: row.offset ?? null, id: row.id, stage, ...problem, excerpt: excerpt(row.text) });
  };
  const { rows: encoded, counts } = await encodeWindow(d.tokenizer, win.rows, { pairs: d.pairs, long: d.long, offsets: d.plan.needsOffsets ?? false }, (row, problem) => rejectRow(row.seq, 'tokenize', problem));
  win.addCounts(counts);
  d.stages.tokenizeMs += performance.now() - t0;
  d.nativeGarbage.tokenized(encoded.reduce((n, e) => n + e.ids.length, 0));
  const accepted = encoded.filter((e) => {
    const problem = d.plan.checkRow?.(e);
    if (problem) rejectRow(e.seq, 'tokenize', problem);
    return !problem;
  });
  // A document in several windows is output once all of them are back (see Window.chunkBack).
  for (const e of accepted) if (e.chunk && e.chunk.count > 1 && e.chunk.index === 0) win.expectChunks(e.seq, e.chunk.count);
  d.onTokenized(win, accepted.reduce((n, e) => n + e.ids.length, 0));
  const idOf = (seq: number) => byId.get(seq)!.id;
  for (const batch of cutBatches(accepted, d.batchTokens)) {
    if (d.halted(win)) {
      win.cut = true;
      break;
    }
    await d.scheduler.capacity();
    // A stop may have come while waiting for room: a batch sent now would only delay the exit.
    if (d.halted(win)) {
      win.cut = true;
      break;
    }
    win.hold(1);
    d.scheduler
      .run(batch)
      .then(({ done, failed }) => {
        for (const { rows, response } of done) {
          d.stages.queueMs += response.timings.queueMs;
          d.stages.inferMs += response.timings.inferMs;
          d.stages.postMs += response.timings.postMs;
          d.accounting.output(win, rows, response, idOf);
        }
        for (const { row, error } of failed) rejectRow(row.seq, 'infer', { code: error.code, message: error.message });
        d.onBatch();
      })
      .catch(d.fail)
      .finally(() => win.release());
  }
  win.release();
}
