import type { Readable } from 'node:stream';
import { InputError, optionError } from '../errors.js';
import { checkKnownKeys, intOption } from '../options.js';
import { formatOfName, INPUT_FORMAT_NAMES, INPUT_FORMATS, type InputFormat, type ReadRange } from './input-formats.js';
import { InputErrorCode } from './read-errors.js';
import type { ReaderOptions } from './reader-input.js';

/** How records are read, whatever the input: what a job (and each of its shards) shares. */
export interface ReadOptions {
  /**
   * Default: from each input's extension (`.csv`, `.tsv`, `.jsonl`/`.ndjson`, `.txt`, also
   * under a compression extension: `.csv.gz`); required for stdin and streams.
   */
  format?: InputFormat;
  /** CSV/TSV column or JSONL field holding the text. Default `text`. */
  textColumn?: string;
  /** Column or field holding the second segment of a pair; not for `text`. */
  textBColumn?: string;
  /**
   * Column or field holding the id. Default `id`, which may be absent: the id is then the
   * row number, `String(seq)`. Named explicitly, it must exist (in the CSV header, or in
   * every JSONL record).
   */
  idColumn?: string;
  /** Yield rows whose text is empty or whitespace instead of rejecting them. Default false. */
  keepEmpty?: boolean;
  /** Longest record, in bytes without its line break; longer ones are rejected and skipped. Default 1 MiB. */
  maxRecordBytes?: number;
}

/** What to read and how. Only `input` is required. */
export interface ReadSourceOptions extends ReadOptions {
  /**
   * A file path (plain, or gzip/zstd-compressed: told by its bytes), a folder or a glob
   * (`data/*.jsonl`: its files, read as one input), `-` for stdin, or (API only) a
   * readable byte stream.
   */
  input: string | Readable;
  /**
   * Files only: read records from this offset, which must be a record boundary (a row's
   * `offset`; of a folder or glob, in its files laid end to end). Not for a compressed
   * file, which is read whole.
   */
  startOffset?: number;
  /** Files only: stop before any record that starts at or after this offset. Not for a folder or glob, nor a compressed file (but its size). */
  endOffset?: number;
  /** `seq` of the first record read. Default 0; with `startOffset`, the seq of the record there. */
  firstSeq?: number;
}

/** {@link ReadOptions} checked, with defaults; `format: null` means "from each input's extension". */
export interface ResolvedReadOptions extends ReaderOptions {
  readonly format: InputFormat | null;
}

/** {@link ReadSourceOptions} with every default filled in and checked. */
export interface ResolvedReadSource extends ResolvedReadOptions, ReadRange {
  readonly input: string | Readable;
  readonly format: InputFormat;
}

export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;
const MAX_MAX_RECORD_BYTES = 1024 * 1024 * 1024;

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

export const READ_OPTION_KEYS: readonly (keyof ReadOptions)[] = ['format', 'textColumn', 'textBColumn', 'idColumn', 'keepEmpty', 'maxRecordBytes'];

/**
 * Checks the record options once. Throws `OptionError` (`ALB_OPTION_INVALID`, naming the
 * flag and the value; `ALB_OPTION_UNKNOWN` for a key it does not know).
 *
 * @example
 * ```ts
 * resolveReadOptions({ idColumn: 'uid' }); // { format: null, textColumn: 'text', idColumn: 'uid', idColumnRequired: true, ... }
 * ```
 */
export function resolveReadOptions(options: ReadOptions): ResolvedReadOptions {
  if (typeof options !== 'object' || options === null) throw optionError('read options', options, 'an object');
  checkKnownKeys(options as Record<string, unknown>, READ_OPTION_KEYS, 'read options');
  const format = options.format ?? null;
  if (format !== null && !INPUT_FORMAT_NAMES.includes(format)) throw optionError(FLAGS.format, format, INPUT_FORMAT_NAMES.join(' | '));
  const column = (key: 'textColumn' | 'idColumn' | 'textBColumn', fallback: string | undefined): string | undefined => {
    const value = options[key];
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || value.length === 0) throw optionError(FLAGS[key], value, 'a non-empty column name');
    return value;
  };
  const textColumn = column('textColumn', 'text') as string;
  const textBColumn = column('textBColumn', undefined);
  if (textBColumn !== undefined && textBColumn === textColumn) throw optionError(FLAGS.textBColumn, textBColumn, `a column other than ${FLAGS.textColumn}`);
  if (options.keepEmpty !== undefined && typeof options.keepEmpty !== 'boolean') throw optionError(FLAGS.keepEmpty, options.keepEmpty, 'true or false');
  const resolved: ResolvedReadOptions = {
    format,
    textColumn,
    textBColumn,
    idColumn: column('idColumn', 'id') as string,
    idColumnRequired: options.idColumn !== undefined,
    keepEmpty: options.keepEmpty ?? false,
    maxRecordBytes: int('maxRecordBytes', options.maxRecordBytes, 1, MAX_MAX_RECORD_BYTES) ?? DEFAULT_MAX_RECORD_BYTES,
  };
  if (format !== null) checkPairs(resolved, format);
  return Object.freeze(resolved);
}

/**
 * Resolves the record options and places them on one input and range. Throws as
 * {@link resolveReadOptions} does, and `InputError` (`ALB_INPUT_FORMAT_UNKNOWN`) when no
 * format is given or can be inferred.
 *
 * @example
 * ```ts
 * resolveReadSource({ input: 'docs.csv' }).format; // 'csv'
 * resolveReadSource({ input: '-' });              // throws ALB_INPUT_FORMAT_UNKNOWN: pass --format
 * ```
 */
export function resolveReadSource(options: ReadSourceOptions): ResolvedReadSource {
  if (typeof options !== 'object' || options === null) throw optionError('read options', options, 'an object');
  checkKnownKeys(options as unknown as Record<string, unknown>, Object.keys(FLAGS), 'read options');
  const { input, startOffset, endOffset, firstSeq, ...read } = options;
  return placeReadOptions(input, resolveReadOptions(read), { startOffset, endOffset, firstSeq });
}

/**
 * Resolved record options on one input: the format from its extension unless given, and
 * the range checked. What a job does for its input, and a sharded job for each shard's.
 */
export function placeReadOptions(input: string | Readable, read: ResolvedReadOptions, range: Partial<ReadRange> = {}): ResolvedReadSource {
  const isStream = typeof input === 'object' && input !== null && typeof (input as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function';
  if (!isStream && (typeof input !== 'string' || input.length === 0)) throw optionError(FLAGS.input, input, 'a file path, "-" for stdin, or a readable stream');
  const format = read.format ?? inferFormat(input, isStream);
  checkPairs(read, format);
  const startOffset = int('startOffset', range.startOffset, 0, Number.MAX_SAFE_INTEGER);
  const endOffset = int('endOffset', range.endOffset, 0, Number.MAX_SAFE_INTEGER);
  const firstSeq = int('firstSeq', range.firstSeq, 0, Number.MAX_SAFE_INTEGER) ?? 0;
  if (isStream || input === '-') {
    if (startOffset !== undefined) throw optionError(FLAGS.startOffset, startOffset, 'no value: offsets need a file, not stdin or a stream');
    if (endOffset !== undefined) throw optionError(FLAGS.endOffset, endOffset, 'no value: offsets need a file, not stdin or a stream');
  }
  if (endOffset !== undefined && endOffset < (startOffset ?? 0)) throw optionError(FLAGS.endOffset, endOffset, `an offset at or after ${FLAGS.startOffset} (${startOffset ?? 0})`);
  return Object.freeze({ ...read, input, format, startOffset: startOffset ?? 0, endOffset, firstSeq });
}

function checkPairs(read: ResolvedReadOptions, format: InputFormat): void {
  if (read.textBColumn !== undefined && !INPUT_FORMATS[format].pairs) throw optionError(FLAGS.textBColumn, read.textBColumn, `no value: ${format} input has one text per record`);
}

function inferFormat(input: string | Readable, isStream: boolean): InputFormat {
  const name = isStream ? 'a stream' : input === '-' ? 'stdin' : JSON.stringify(input);
  const inferred = isStream || input === '-' ? undefined : formatOfName(input as string);
  if (inferred !== undefined) return inferred;
  const why = isStream || input === '-' ? `the format of ${name} cannot be inferred` : `the format of ${name} cannot be inferred from its extension`;
  throw new InputError(InputErrorCode.FORMAT_UNKNOWN, `${why}; pass --format (${INPUT_FORMAT_NAMES.join(', ')})`, { input: name, option: FLAGS.format });
}

function int(key: 'maxRecordBytes' | 'startOffset' | 'endOffset' | 'firstSeq', value: unknown, min: number, max: number): number | undefined {
  return value === undefined ? undefined : intOption(FLAGS[key], value, 0, min, max);
}
