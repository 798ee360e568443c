import { extname } from 'node:path';
import type { Readable } from 'node:stream';
import { AlbertError, InputError, optionError } from '../errors.js';
import { readCsv, readCsvHeader, type CsvHeader } from './csv-reader.js';
import { openFileInput, stdinInput, streamInput, type InputBytes } from './input-bytes.js';
import { readJsonl } from './jsonl-reader.js';
import { InputErrorCode } from './read-errors.js';
import type { ItemBatch, ReaderInput, ReaderOptions } from './reader-input.js';
import type { InputFormat, SourceItem } from './row.js';
import { readText } from './text-reader.js';

/** What to read and how. Only `input` is required. */
export interface ReadSourceOptions {
  /** A file path, `-` for stdin, or (API only) a readable byte stream. */
  input: string | Readable;
  /** Default: from the extension (`.csv`, `.tsv`, `.jsonl`/`.ndjson`, `.txt`); required for stdin and streams. */
  format?: InputFormat;
  /** CSV/TSV column or JSONL field holding the text. Default `text`. */
  textColumn?: string;
  /** Column or field holding the second segment of a pair; not for `text`. */
  textBColumn?: string;
  /**
   * Column or field holding the id. Default `id`; when the CSV header has no such column
   * (or a JSONL record no such field) the id is the row number, `String(seq)`. Named
   * explicitly, a CSV header must have it.
   */
  idColumn?: string;
  /** Yield rows whose text is empty or whitespace instead of rejecting them. Default false. */
  keepEmpty?: boolean;
  /** Longest record, in bytes without its line break; longer ones are rejected and skipped. Default 1 MiB. */
  maxRecordBytes?: number;
  /** Files only: read records from this offset, which must be a record boundary (a row's `offset`). */
  startOffset?: number;
  /** Files only: stop before any record that starts at or after this offset. */
  endOffset?: number;
  /** `seq` of the first record read. Default 0; with `startOffset`, the seq of the record there. */
  firstSeq?: number;
}

/** {@link ReadSourceOptions} with every default filled in and checked. */
export interface ResolvedReadSource extends ReaderOptions {
  readonly input: string | Readable;
  readonly format: InputFormat;
  readonly startOffset: number;
  readonly endOffset: number | undefined;
  readonly firstSeq: number;
}

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

export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;
const MAX_MAX_RECORD_BYTES = 1024 * 1024 * 1024;
const FORMATS: readonly InputFormat[] = ['csv', 'tsv', 'jsonl', 'text'];
const EXTENSIONS: Readonly<Record<string, InputFormat>> = { '.csv': 'csv', '.tsv': 'tsv', '.jsonl': 'jsonl', '.ndjson': 'jsonl', '.txt': 'text' };

/** Each option's CLI flag: option errors name the flag, the way users pass it. */
const FLAGS: Readonly<Record<keyof ReadSourceOptions, string>> = {
  input: 'input',
  format: '--format',
  textColumn: '--text-column',
  textBColumn: '--text-b-column',
  idColumn: '--id-column',
  keepEmpty: '--keep-empty',
  maxRecordBytes: '--max-record-bytes',
  startOffset: '--start-offset',
  endOffset: '--end-offset',
  firstSeq: '--first-seq',
};

/**
 * Checks options and fills in defaults. Throws `OptionError` (`ALB_OPTION_INVALID`,
 * naming the flag and the value) or, when no format can be inferred,
 * `InputError` (`ALB_INPUT_FORMAT_UNKNOWN`).
 *
 * @example
 * ```ts
 * resolveReadSource({ input: 'docs.csv' }).format; // 'csv'
 * resolveReadSource({ input: '-' });              // throws ALB_INPUT_FORMAT_UNKNOWN: pass --format
 * ```
 */
export function resolveReadSource(options: ReadSourceOptions): ResolvedReadSource {
  if (typeof options !== 'object' || options === null) throw optionError('read options', options, 'an object');
  for (const key of Object.keys(options)) {
    if (!Object.hasOwn(FLAGS, key)) throw optionError(key, (options as unknown as Record<string, unknown>)[key], `one of the read options ${Object.keys(FLAGS).join(', ')}`);
  }
  const { input } = options;
  const isStream = typeof input === 'object' && input !== null && typeof (input as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function';
  if (!isStream && (typeof input !== 'string' || input.length === 0)) throw optionError(FLAGS.input, input, 'a file path, "-" for stdin, or a readable stream');
  const format = resolveFormat(options.format, input, isStream);
  const text = (key: 'textColumn' | 'idColumn' | 'textBColumn', fallback: string | undefined): string | undefined => {
    const value = options[key];
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || value.length === 0) throw optionError(FLAGS[key], value, 'a non-empty column name');
    return value;
  };
  const textColumn = text('textColumn', 'text') as string;
  const textBColumn = text('textBColumn', undefined);
  const idColumn = text('idColumn', 'id') as string;
  if (textBColumn !== undefined && format === 'text') throw optionError(FLAGS.textBColumn, textBColumn, 'no value: plain text has one text per line');
  if (textBColumn !== undefined && textBColumn === textColumn) throw optionError(FLAGS.textBColumn, textBColumn, `a column other than ${FLAGS.textColumn}`);
  if (options.keepEmpty !== undefined && typeof options.keepEmpty !== 'boolean') throw optionError(FLAGS.keepEmpty, options.keepEmpty, 'true or false');
  const int = (key: 'maxRecordBytes' | 'startOffset' | 'endOffset' | 'firstSeq', min: number, max: number): number | undefined => {
    const value = options[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
      throw optionError(FLAGS[key], value, `an integer from ${min} to ${max}`);
    }
    return value;
  };
  const maxRecordBytes = int('maxRecordBytes', 1, MAX_MAX_RECORD_BYTES) ?? DEFAULT_MAX_RECORD_BYTES;
  const startOffset = int('startOffset', 0, Number.MAX_SAFE_INTEGER);
  const endOffset = int('endOffset', 0, Number.MAX_SAFE_INTEGER);
  const firstSeq = int('firstSeq', 0, Number.MAX_SAFE_INTEGER) ?? 0;
  if (isStream || input === '-') {
    if (startOffset !== undefined) throw optionError(FLAGS.startOffset, startOffset, 'no value: offsets need a file, not stdin or a stream');
    if (endOffset !== undefined) throw optionError(FLAGS.endOffset, endOffset, 'no value: offsets need a file, not stdin or a stream');
  }
  if (endOffset !== undefined && endOffset < (startOffset ?? 0)) throw optionError(FLAGS.endOffset, endOffset, `an offset at or after ${FLAGS.startOffset} (${startOffset ?? 0})`);
  return Object.freeze({
    input,
    format,
    textColumn,
    textBColumn,
    idColumn,
    idColumnRequired: options.idColumn !== undefined,
    keepEmpty: options.keepEmpty ?? false,
    maxRecordBytes,
    startOffset: startOffset ?? 0,
    endOffset,
    firstSeq,
  });
}

function resolveFormat(format: unknown, input: string | Readable, isStream: boolean): InputFormat {
  if (format !== undefined) {
    if (!FORMATS.includes(format as InputFormat)) throw optionError(FLAGS.format, format, FORMATS.join(' | '));
    return format as InputFormat;
  }
  const name = isStream ? 'a stream' : input === '-' ? 'stdin' : JSON.stringify(input);
  const inferred = isStream || input === '-' ? undefined : EXTENSIONS[extname(input as string).toLowerCase()];
  if (inferred !== undefined) return inferred;
  const why = isStream || input === '-' ? `the format of ${name} cannot be inferred` : `the format of ${name} cannot be inferred from its extension`;
  throw new InputError(InputErrorCode.FORMAT_UNKNOWN, `${why}; pass --format (${FORMATS.join(', ')})`, { input: name, option: FLAGS.format });
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
        if (startOffset > bytes.size) throw optionError(FLAGS.startOffset, startOffset, `an offset within ${bytes.name} (${bytes.size} bytes)`);
        this.totalBytes = Math.min(endOffset ?? bytes.size, bytes.size) - startOffset;
      }
      if ((startOffset > 0 || endOffset !== undefined) && !bytes.seekable) {
        throw optionError(startOffset > 0 ? FLAGS.startOffset : FLAGS.endOffset, startOffset > 0 ? startOffset : endOffset, `no value: ${bytes.name} is not a regular file`);
      }
      this.batchesOf = await this.reader(bytes);
      this.first = await this.batchesOf.next();
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  private async reader(bytes: InputBytes): Promise<AsyncGenerator<ItemBatch>> {
    const { format, startOffset, endOffset, firstSeq } = this.options;
    let header: CsvHeader | undefined;
    let from = startOffset;
    // With offsets, the header is read on its own from the file's start and records begin
    // after it; a range's end must not cut the header off.
    if ((format === 'csv' || format === 'tsv') && (startOffset > 0 || endOffset !== undefined)) {
      header = await readCsvHeader(bytes.chunks(0), format, this.options);
      if (startOffset > 0 && startOffset < header.end) throw optionError(FLAGS.startOffset, startOffset, `an offset at or after the end of the header (byte ${header.end})`);
      from = Math.max(startOffset, header.end);
    }
    const input: ReaderInput = { chunks: bytes.chunks(from), offset: from, endOffset, firstSeq };
    switch (format) {
      case 'csv':
      case 'tsv':
        return readCsv(input, format, this.options, header);
      case 'jsonl':
        return readJsonl(input, this.options);
      case 'text':
        return readText(input, this.options);
    }
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
