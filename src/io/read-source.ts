import type { Readable } from 'node:stream';
import { AlbertError, optionError } from '../errors.js';
import { openFileInput, stdinInput, streamInput, type InputBytes } from './input-bytes.js';
import { INPUT_FORMATS, type ReadRange } from './input-formats.js';
import { placeReadOptions, resolveReadSource, type ReadSourceOptions, type ResolvedReadOptions, type ResolvedReadSource } from './read-options.js';
import type { ItemBatch } from './reader-input.js';
import type { SourceItem } from './row.js';

export { DEFAULT_MAX_RECORD_BYTES, resolveReadOptions, resolveReadSource, type ReadOptions, type ReadSourceOptions, type ResolvedReadOptions, type ResolvedReadSource } from './read-options.js';

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
   */
  readonly totalBytes: number | undefined;
  /**
   * Bytes of the range the reader has consumed so far; it advances a chunk (128 KiB) at a
   * time. With `endOffset`, the last record may run past it, so this can exceed `totalBytes`.
   */
  bytesRead(): number;
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
 * Reads a CSV, TSV, JSONL or text input as a stream of rows and rejects, in bounded memory.
 * Option errors throw here; input errors at `open()` or the first item.
 *
 * @example
 * ```ts
 * const source = readSource({ input: 'docs.csv', textColumn: 'body' });
 * await source.open(); // optional: fail fast on a missing file or column
 * for await (const item of source) {
 *   if (isSourceReject(item)) console.warn(item.seq, item.code, item.excerpt);
 *   else handle(item); // { seq, id, text, offset }
 *   report(source.bytesRead() / (source.totalBytes ?? Infinity));
 * }
 * ```
 */
export function readSource(options: ReadSourceOptions): Source {
  return new InputSource(resolveReadSource(options));
}

/**
 * Opens `input` with record options resolved once (a job's, shared by all its shards),
 * on a range of it. Nothing is resolved again but the format, where the options leave it
 * to each input's extension.
 *
 * @example
 * ```ts
 * const source = openReadSource('docs.csv', resolveReadOptions({ idColumn: 'uid' }), { startOffset: 4096, firstSeq: 100 });
 * ```
 */
export function openReadSource(input: string | Readable, read: ResolvedReadOptions, range: Partial<ReadRange> = {}): Source {
  return new InputSource(placeReadOptions(input, read, range));
}

class InputSource implements Source {
  totalBytes: number | undefined;
  private bytes: InputBytes | undefined;
  private batchesOf: AsyncGenerator<ItemBatch> | undefined;
  private first: IteratorResult<ItemBatch> | undefined;
  private opening: Promise<void> | undefined;
  private position: number;
  private claimed = false;
  private closed = false;

  constructor(readonly options: ResolvedReadSource) {
    this.position = options.startOffset;
  }

  get items(): AsyncIterable<SourceItem> {
    return this;
  }

  bytesRead(): number {
    return this.position - this.options.startOffset;
  }

  open(): Promise<void> {
    this.opening ??= this.start();
    return this.opening;
  }

  private async start(): Promise<void> {
    const { input, startOffset, endOffset } = this.options;
    const bytes = typeof input !== 'string' ? streamInput(input) : input === '-' ? stdinInput() : await openFileInput(input);
    this.bytes = bytes;
    try {
      if (bytes.size !== undefined) {
        if (startOffset > bytes.size) throw optionError('--start-offset', startOffset, `an offset within ${bytes.name} (${bytes.size} bytes)`);
        this.totalBytes = Math.min(endOffset ?? bytes.size, bytes.size) - startOffset;
      }
      if ((startOffset > 0 || endOffset !== undefined) && !bytes.seekable) {
        throw optionError(startOffset > 0 ? '--start-offset' : '--end-offset', startOffset > 0 ? startOffset : endOffset, `no value: ${bytes.name} is not a regular file`);
      }
      this.batchesOf = await this.reader(bytes);
      this.first = await this.batchesOf.next();
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  private reader(bytes: InputBytes): Promise<AsyncGenerator<ItemBatch>> {
    return INPUT_FORMATS[this.options.format].read(bytes, this.options, this.options);
  }

  async *batches(): AsyncGenerator<readonly SourceItem[]> {
    if (this.claimed) throw new AlbertError('ALB_SOURCE_REUSED', 'a Source can be iterated once; call readSource() again');
    this.claimed = true;
    await this.open();
    const batches = this.batchesOf as AsyncGenerator<ItemBatch>;
    try {
      let next = this.first as IteratorResult<ItemBatch>;
      this.first = undefined;
      while (!next.done) {
        this.position = next.value.position;
        if (next.value.items.length > 0) yield next.value.items;
        next = await batches.next();
      }
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
    await this.batchesOf?.return(undefined);
    await this.bytes?.close();
  }
}
