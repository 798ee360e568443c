import type { RecordBatch, Schema } from 'apache-arrow';
import type { AlbertError } from '../errors.js';
import type { OutputFormatEntry, PartWriter } from '../io/output-formats.js';
import { toOutputError } from '../io/output-errors.js';
import type { RejectRecord } from './reject.js';

/** A window's worth of finished rows, in input order, ready to append to the current part. */
export interface FinishedWindow {
  seqStart: number;
  seqEnd: number;
  batch: RecordBatch | null;
  rows: number;
  tokens: number;
  rejects: RejectRecord[];
  counts: Record<string, number>;
  /** Position of the row `seqEnd` (byte offset; row number in a Parquet or Arrow input), when known: where a resumed job can start reading. */
  nextOffset: number | null;
  /**
   * Where the window's bytes end in the input's own bytes (see InputRanges): `nextOffset`
   * when it is a byte offset, else how far the reader had read (a compressed input's
   * compressed bytes; the end of the row group or record batch read).
   */
  inputEnd: number;
}

/** Where finished windows go: the parts of a job, or the one part of a shard. */
export interface WindowSink {
  append(w: FinishedWindow): Promise<void>;
  /** Drops what is not committed (a failed run). */
  abandon(): Promise<void>;
  /**
   * The run was stopped by a signal after the windows appended so far: keep what may be kept.
   * A job commits them as a (short) part; a shard, which is all or nothing, drops them.
   */
  interrupt(): Promise<void>;
}

/** What a part (or shard) holds until it is committed. */
export class PendingPart {
  rows = 0;
  tokens = 0;
  readonly rejects: RejectRecord[] = [];
  readonly counts: Record<string, number> = {};
  /** One past the last input row appended, and that row's byte offset when known. */
  end: { seq: number; offset: number | null };
  /** The last window's `inputEnd`. */
  inputEnd = 0;

  constructor(readonly seqStart: number) {
    this.end = { seq: seqStart, offset: null };
  }

  add(w: FinishedWindow): void {
    this.rows += w.rows;
    this.tokens += w.tokens;
    this.rejects.push(...w.rejects);
    addCounts(this.counts, w.counts);
    this.end = { seq: w.seqEnd, offset: w.nextOffset };
    this.inputEnd = w.inputEnd;
  }

  /** The rejects as rejects.jsonl lines, in row order ('' when there are none). */
  rejectsJsonl(): string {
    if (this.rejects.length === 0) return '';
    return `${[...this.rejects].sort((a, b) => a.row - b.row).map((r) => JSON.stringify(r)).join('\n')}\n`;
  }

  rejectsByCode(): Record<string, number> {
    const byCode: Record<string, number> = {};
    for (const r of this.rejects) byCode[r.code] = (byCode[r.code] ?? 0) + 1;
    return byCode;
  }
}

export function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

/**
 * What the job's committer and the shard committer share: one part writer of the job's
 * output format at a time, the pending rows, rejects and counts, and every filesystem error
 * mapped to one coded error (ENOSPC: ALB_OUTPUT_DISK_FULL with what to do).
 */
export abstract class PartSink implements WindowSink {
  protected writer: PartWriter | null = null;
  protected pending: PendingPart | null = null;

  constructor(
    /** The directory errors name. */
    protected readonly where: string,
    protected readonly format: OutputFormatEntry,
    protected readonly schema: Schema,
    /** What a full disk should tell the user to do. */
    private readonly diskFullHint: string,
  ) {}

  /** Where the next part file goes (its writer fills `path.tmp` until commit). */
  protected abstract nextPartPath(): Promise<string>;

  /** Called after each append: the job's committer commits a full part here. */
  protected abstract appended(pending: PendingPart): Promise<void>;

  async append(w: FinishedWindow): Promise<void> {
    const pending = await this.open(w.seqStart);
    if (w.batch && w.rows > 0) await this.io(this.writer!.write(w.batch));
    pending.add(w);
    await this.appended(pending);
  }

  async abandon(): Promise<void> {
    await this.writer?.abandon();
    this.writer = null;
    this.pending = null;
  }

  interrupt(): Promise<void> {
    return this.abandon();
  }

  /** The open part, opening one (and its file) if none is. */
  protected async open(seqStart: number): Promise<PendingPart> {
    if (!this.pending) {
      const path = await this.io(this.nextPartPath());
      this.writer = await this.io(this.format.create(path, this.schema));
      this.pending = new PendingPart(seqStart);
    }
    return this.pending;
  }

  /** Commits the open part's file; the caller records it. */
  protected async commitPart(): Promise<{ part: PendingPart; path: string; bytes: number; sha256: string }> {
    const part = this.pending!;
    const writer = this.writer!;
    const { bytes, sha256 } = await this.io(writer.commit());
    this.pending = null;
    this.writer = null;
    return { part, path: writer.path, bytes, sha256 };
  }

  /** Disk errors are whole-run failures: name the directory, and say what to do when it is full. */
  protected async io<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (err) {
      throw this.ioError(err);
    }
  }

  protected ioError(err: unknown): AlbertError {
    return toOutputError(err, this.where, this.diskFullHint);
  }
}
