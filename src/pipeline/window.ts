import type { SourceRow } from '../io/row.js';
import type { RejectRecord } from './reject.js';
import type { OutputRow } from '../tasks/task.js';
import { addCounts } from './window-sink.js';

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
  /** Counts the pipeline keeps for the manifest (long-document counts), beside the task's tally. */
  readonly counts: Record<string, number> = {};
  tokens = 0;
  /** Rows already rejected: a split document whose windows fail is rejected once. */
  private readonly rejected = new Set<number>();
  /** Split documents: windows not yet back. */
  private readonly chunksLeft = new Map<number, number>();
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

  /** Marks row `seq` rejected; false when it was already (a second window of a split document failing). */
  markRejected(seq: number): boolean {
    if (this.rejected.has(seq)) return false;
    this.rejected.add(seq);
    return true;
  }

  addCounts(counts: Record<string, number>): void {
    addCounts(this.counts, counts);
  }

  /** Row `seq` was split into `count` windows: it is output when all of them are back. */
  expectChunks(seq: number, count: number): void {
    this.chunksLeft.set(seq, count);
  }

  /**
   * A window of row `seq` is back: true when the row is now complete and output (its last
   * window, and none of them failed). Rows of one window are complete at once.
   */
  chunkBack(seq: number): boolean {
    const left = this.chunksLeft.get(seq);
    if (left === undefined) return true;
    this.chunksLeft.set(seq, left - 1);
    return left === 1 && !this.rejected.has(seq);
  }

  /** Adds `n` batches that must come back before the window is done. */
  hold(n: number): void {
    this.pending += n;
  }

  release(): void {
    if (--this.pending === 0) this.resolveDone();
  }

  /**
   * Rows in input order, for the task's record batch: a split document is one row whose
   * `chunks` are its windows in order, and a document rejected (one of its windows failed)
   * has no row, whatever its other windows gave.
   */
  orderedOutputs(): OutputRow[] {
    this.outputs.sort((a, b) => a.seq - b.seq || (a.encoded.chunk?.index ?? 0) - (b.encoded.chunk?.index ?? 0));
    const rows: OutputRow[] = [];
    for (let i = 0; i < this.outputs.length; ) {
      const r = this.outputs[i];
      const count = r.encoded.chunk?.count ?? 1;
      if (this.rejected.has(r.seq)) {
        while (i < this.outputs.length && this.outputs[i].seq === r.seq) i++;
        continue;
      }
      if (count > 1) {
        const chunks = this.outputs.slice(i, i + count);
        rows.push({ ...r, chunks });
        i += count;
      } else {
        rows.push(r);
        i++;
      }
    }
    return rows;
  }
}
