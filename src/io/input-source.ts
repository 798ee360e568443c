import { AlbertError, optionError } from '../errors.js';
import { compressionOfName, type Compression } from './compression.js';
import { openFileInput, stdinInput, streamInput, withDecompression, type InputBytes } from './input-bytes.js';
import { readColumnar } from './columnar-file.js';
import { INPUT_FORMATS } from './input-formats.js';
import type { ResolvedReadSource } from './read-options.js';
import type { ItemBatch } from './reader-input.js';
import type { SourceItem } from './row.js';

/**
 * An input being read: iterate it for items, in seq order, each record exactly one
 * {@link SourceItem} (a row or a reject). Single use. Whole-input failures (unreadable
 * input, CSV header without the text column) are {@link InputError}s thrown by `open()`
 * or at the first item; a bad record never throws.
 */
export interface Source extends AsyncIterable<SourceItem> {
  readonly options: ResolvedReadSource;
  /**
   * Bytes in the range being read (file size or `endOffset`, minus `startOffset`), once
   * `open()` has resolved; undefined for a pipe. The header counts when read from offset 0.
   * A compressed input counts its compressed bytes; a folder or glob, all its files'.
   */
  readonly totalBytes: number | undefined;
  /**
   * Bytes of the range the reader has consumed so far; it advances a chunk (128 KiB) at a
   * time. With `endOffset`, the last record may run past it, so this can exceed `totalBytes`.
   * A compressed input counts the compressed bytes taken so far.
   */
  bytesRead(): number;
  /**
   * The compression the input was inflated from, once `open()` has resolved: from the
   * bytes, whatever the extension says. Items of a compressed input have no `offset`
   * (a compressed stream has no byte positions to seek to). Null for plain inputs and
   * for a folder or glob (whose files each have their own).
   */
  readonly compression: Compression | null;
  /**
   * What item offsets and the read range count: `bytes` of the input, or `rows` of the
   * file (Parquet and Arrow inputs, read from their footer).
   */
  readonly positions: 'bytes' | 'rows';
  /**
   * Where reading stands in the input's own bytes: a file's byte offset (a folder's files
   * laid end to end; a compressed file's compressed bytes; a Parquet or Arrow file's end of
   * the unit read). What resume re-hashes up to; it runs ahead of the items handed out.
   */
  inputPosition(): number;
  /** Opens the input and reads up to the first batch, so whole-input errors surface here. Idempotent. */
  open(): Promise<void>;
  /** The source itself, for callers that keep the iterable apart from the progress calls. */
  readonly items: AsyncIterable<SourceItem>;
  /** The items in batches of one input chunk each: one await per batch instead of per item. */
  batches(): AsyncIterable<readonly SourceItem[]>;
  /** Stops reading and releases the input. Idempotent; needed only when iteration did not finish. */
  close(): Promise<void>;
}

/**
 * What every {@link Source} does the same way: single use (a second iteration is
 * ALB_SOURCE_REUSED), an idempotent `open()` and `close()`, iteration closing the input at
 * its end, and `bytesRead()` from the byte positions the subclass keeps (`bytesAt`, and
 * `bytesFrom` where this read began). A subclass opens in `start()`, yields in
 * `readBatches()` and lets go in `release()`.
 */
export abstract class SourceBase implements Source {
  abstract readonly options: ResolvedReadSource;
  abstract readonly totalBytes: number | undefined;
  abstract readonly compression: Compression | null;
  positions: 'bytes' | 'rows' = 'bytes';
  /** Where reading stands in the input's bytes, and where this read began. */
  protected bytesAt = 0;
  protected bytesFrom = 0;
  private opening: Promise<void> | undefined;
  private claimed = false;
  private closed = false;

  get items(): AsyncIterable<SourceItem> {
    return this;
  }

  bytesRead(): number {
    return this.bytesAt - this.bytesFrom;
  }

  inputPosition(): number {
    return this.bytesAt;
  }

  open(): Promise<void> {
    this.opening ??= this.start();
    return this.opening;
  }

  async *batches(): AsyncGenerator<readonly SourceItem[]> {
    if (this.claimed) throw new AlbertError('ALB_SOURCE_REUSED', 'a Source can be iterated once; call readSource() again');
    this.claimed = true;
    await this.open();
    try {
      yield* this.readBatches();
    } finally {
      await this.close();
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<SourceItem> {
    for await (const items of this.batches()) yield* items;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.release();
  }

  protected abstract start(): Promise<void>;
  /** The batches, after `open()`; `batches()` closes the input after them. */
  protected abstract readBatches(): AsyncGenerator<readonly SourceItem[]>;
  protected abstract release(): Promise<void>;
}

/** One input: a file (plain or compressed), stdin or a stream. */
export class InputSource extends SourceBase {
  totalBytes: number | undefined;
  compression: Compression | null = null;
  private bytes: InputBytes | undefined;
  private batchesOf: AsyncGenerator<ItemBatch> | undefined;
  private first: IteratorResult<ItemBatch> | undefined;

  constructor(readonly options: ResolvedReadSource) {
    super();
    this.bytesAt = this.bytesFrom = options.startOffset;
    this.positions = INPUT_FORMATS[options.format].positions;
  }

  protected async start(): Promise<void> {
    const { input, startOffset, endOffset } = this.options;
    const raw = typeof input !== 'string' ? streamInput(input) : input === '-' ? stdinInput() : await openFileInput(input);
    this.bytes = raw;
    try {
      const bytes = await withDecompression(raw, typeof input === 'string' && input !== '-' ? compressionOfName(input).compression : null);
      this.bytes = bytes;
      this.compression = bytes.compression;
      if (bytes.compression !== null) {
        this.checkWholeRange(bytes);
        this.totalBytes = bytes.size;
      } else if (bytes.size !== undefined && this.positions === 'bytes') {
        if (startOffset > bytes.size) throw optionError('--start-offset', startOffset, `an offset within ${bytes.name} (${bytes.size} bytes)`);
        this.totalBytes = Math.min(endOffset ?? bytes.size, bytes.size) - startOffset;
      }
      if ((startOffset > 0 || endOffset !== undefined) && !bytes.seekable && bytes.compression === null) {
        throw optionError(startOffset > 0 ? '--start-offset' : '--end-offset', startOffset > 0 ? startOffset : endOffset, `no value: ${bytes.name} is not a regular file`);
      }
      this.batchesOf = await this.reader(bytes);
      this.first = await this.batchesOf.next();
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  /**
   * A compressed input is read whole: its offsets are positions in the inflated bytes,
   * which no seek in the file can reach. A range that covers the whole file (start 0, end
   * at or past its size: what a shard plan gives a compressed file) is the whole file.
   */
  private checkWholeRange(bytes: InputBytes): void {
    const { startOffset, endOffset } = this.options;
    const why = `${bytes.name} is ${bytes.compression}-compressed, and a compressed stream can only be read whole, from its start (a shard plan gives a compressed file to one shard; a resumed job re-reads it and skips the committed rows)`;
    if (startOffset > 0) throw optionError('--start-offset', startOffset, `no value (or 0): ${why}`);
    if (endOffset !== undefined && (bytes.size === undefined || endOffset < bytes.size)) {
      throw optionError('--end-offset', endOffset, `no value, or the file's size (${bytes.size ?? 'unknown'} bytes): ${why}`);
    }
  }

  private async reader(bytes: InputBytes): Promise<AsyncGenerator<ItemBatch>> {
    const entry = INPUT_FORMATS[this.options.format];
    if (entry.positions === 'bytes') {
      const range = bytes.compression === null ? this.options : { startOffset: 0, endOffset: undefined, firstSeq: this.options.firstSeq };
      return entry.read(bytes, range, this.options);
    }
    // Rows of a file read by its footer: progress counts the bytes of the units in range.
    const file = await entry.open(bytes);
    const { startOffset, endOffset } = this.options;
    if (startOffset > file.rows) throw optionError('--start-offset', startOffset, `a row number within ${bytes.name} (${file.rows} rows)`);
    const end = Math.min(endOffset ?? file.rows, file.rows);
    const units = file.units.filter((u) => u.firstRow + u.rows > startOffset && u.firstRow < end && u.rows > 0);
    this.bytesAt = this.bytesFrom = startOffset === 0 ? 0 : (units[0]?.byteStart ?? 0);
    this.totalBytes = units.length === 0 ? 0 : units[units.length - 1].byteEnd - this.bytesFrom;
    return readColumnar(file, bytes.name, this.options, this.options);
  }

  protected async *readBatches(): AsyncGenerator<readonly SourceItem[]> {
    const batches = this.batchesOf as AsyncGenerator<ItemBatch>;
    const bytes = this.bytes as InputBytes;
    const compressed = bytes.compression !== null;
    let next = this.first as IteratorResult<ItemBatch>;
    this.first = undefined;
    while (!next.done) {
      const { items } = next.value;
      if (compressed) {
        // Offsets in the inflated bytes are no file positions: leave them out, so a
        // resume re-reads from the start (and skips) instead of seeking to a wrong byte.
        for (const item of items) item.offset = undefined;
        this.bytesAt = (bytes.inputBytesRead as () => number)();
      } else {
        this.bytesAt = next.value.bytePosition ?? next.value.position;
      }
      if (items.length > 0) yield items;
      next = await batches.next();
    }
    if (compressed) this.bytesAt = (bytes.inputBytesRead as () => number)();
  }

  protected async release(): Promise<void> {
    await this.batchesOf?.return(undefined);
    await this.bytes?.close();
  }
}
