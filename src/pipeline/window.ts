import type { SourceRow } from '../io/row.js';
import type { RejectRecord } from './reject.js';
import type { OutputRow } from '../tasks/task.js';

/**
 * A window: a contiguous run of input rows, read together, sorted by length and batched.
 * Windows start at multiples of --window-rows from the job's first row, and parts end on
 * window boundaries, so a resumed job forms exactly the windows (and batches) of an
 * uninterrupted one. A window is emitted, in input order, once all its batches are back.
 */
export class Window {
  /** One past the last row added so far. */
  seqEnd: number;
  readonly rows: SourceRow[] = [];
  readonly rejects: RejectRecord[] = [];
  readonly outputs: OutputRow[] = [];
  tokens = 0;
  private pending = 1; // held by the reader until the window is closed
  private resolveDone!: () => void;
  /** Resolves when every row of the window has an output or a reject. */
  readonly done = new Promise<void>((r) => (this.resolveDone = r));
  /** Resolves once the window was handed to the committer. */
  emitted!: Promise<void>;
  /** Position of the first row of the next window (its byte offset; its row number in a Parquet or Arrow input), once that row was read. */
  nextOffset: number | null = null;
  /** The source's bytesRead() when the window was launched: where its bytes end, to within a read chunk (progress only). */
  bytesEnd = 0;
  /** Where the reader stood in the input's bytes when the window was launched (InputRanges coordinates). */
  readTo = 0;
  /**
   * Set when a stop (signal) kept some of its batches from being sent: the window can never
   * be complete, so neither it nor any window after it may be committed.
   */
  cut = false;

  constructor(
    readonly seqStart: number,
    readonly startOffset: number | null,
  ) {
    this.seqEnd = seqStart;
  }

  get size(): number {
    return this.seqEnd - this.seqStart;
  }

  addRow(row: SourceRow): void {
    this.rows.push(row);
    this.seqEnd = row.seq + 1;
  }

  addReject(record: RejectRecord): void {
    this.rejects.push(record);
    this.seqEnd = Math.max(this.seqEnd, record.row + 1);
  }

  /** Adds `n` batches that must come back before the window is done. */
  hold(n: number): void {
    this.pending += n;
  }

  release(): void {
    if (--this.pending === 0) this.resolveDone();
  }

  /** Rows in input order, for the task's record batch. */
  orderedOutputs(): OutputRow[] {
    return this.outputs.sort((a, b) => a.seq - b.seq);
  }
}
