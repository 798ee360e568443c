import type { EncodedRow } from '../model/padding.js';
import type { BatchResult } from '../tasks/task.js';
import { RejectPolicy, type RejectRecord } from './reject.js';
import type { Window } from './window.js';

/** Where the job stands, row by row: what progress lines and queue progress report. */
export interface LiveCounts {
  /** Rows read so far (ahead of rowsDone by the open windows). */
  rowsRead: number;
  /** Rows with an output or a reject. */
  rowsDone: number;
  rowsOut: number;
  rejected: number;
  tokens: number;
}

/**
 * The pipeline's accounting: every row read ends in exactly one of {@link output} or
 * {@link reject}, so rows_in = rows_out + rows_rejected holds at every exit. `reject` is the
 * one way a row leaves without output; it enforces --on-error fail and --max-rejects by
 * throwing, which stops the job cleanly (the caller turns it into a failure, never a
 * half-written part).
 *
 * @example
 * ```ts
 * const acc = new RowAccounting('skip', null);
 * acc.read();
 * acc.reject(win, { row: 0, offset: 0, id: 'a', stage: 'read', code: 'ALB_ROW_EMPTY_TEXT', message: 'empty', excerpt: '' });
 * acc.live; // { rowsRead: 1, rowsDone: 1, rowsOut: 0, rejected: 1, tokens: 0 }
 * ```
 */
export class RowAccounting {
  readonly live: LiveCounts = { rowsRead: 0, rowsDone: 0, rowsOut: 0, rejected: 0, tokens: 0 };
  private readonly policy: RejectPolicy;
  /**
   * A reject stop (--on-error fail, --max-rejects): the first error, and the first row of
   * the earliest window one came from. That window and the ones after it are cut; the
   * windows before it are finished and kept, so the stop keeps all the work before it.
   */
  stop: { error: unknown; windowStart: number } | null = null;
  private readonly stops = new WeakSet<object>();

  constructor(onError: 'skip' | 'fail', maxRejects: number | null) {
    this.policy = new RejectPolicy(onError, maxRejects);
  }

  read(): void {
    this.live.rowsRead++;
  }

  /** Stores the reject with the window that owns its row (it is committed with that part). */
  reject(win: Window, record: RejectRecord): void {
    if (!win.markRejected(record.row)) return;
    this.live.rejected++;
    this.live.rowsDone++;
    try {
      this.policy.reject(record, (r) => win.addReject(r));
    } catch (err) {
      win.cut = true;
      this.stops.add(err as object);
      if (!this.stop || win.seqStart < this.stop.windowStart) this.stop = { error: this.stop?.error ?? err, windowStart: win.seqStart };
      throw err;
    }
  }

  /** Whether `err` is a reject stop thrown by {@link reject} (every reject after the first stops too). */
  isStop(err: unknown): boolean {
    return typeof err === 'object' && err !== null && this.stops.has(err);
  }

  /**
   * Rows a batch computed: their outputs join their window, in any order (the window sorts).
   * A split document counts as output when its last window is back.
   */
  output(win: Window, rows: readonly EncodedRow[], response: BatchResult, idOf: (seq: number) => string): void {
    rows.forEach((e, index) => {
      win.outputs.push({ seq: e.seq, id: idOf(e.seq), encoded: e, response, index });
      win.tokens += e.ids.length;
      this.live.tokens += e.ids.length;
      if (win.chunkBack(e.seq)) {
        this.live.rowsDone++;
        this.live.rowsOut++;
      }
    });
  }
}
