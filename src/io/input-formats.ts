import { extname } from 'node:path';
import { optionError } from '../errors.js';
import { compressionOfName } from './compression.js';
import { readCsv, readCsvHeader } from './csv-reader.js';
import type { InputBytes } from './input-bytes.js';
import { readJsonl } from './jsonl-reader.js';
import type { ItemBatch, ReaderOptions } from './reader-input.js';
import { readText } from './text-reader.js';

/** The records of one input to read: a byte range, and the seq of its first record. */
export interface ReadRange {
  readonly startOffset: number;
  readonly endOffset: number | undefined;
  readonly firstSeq: number;
}

/**
 * One input format: how it is recognised and how its records are read. Every reader yields
 * {@link ItemBatch}es (rows and rejects in input order, with the offset consumed so far), so
 * the pipeline, resume and the shard planner never know which format they read.
 */
export interface InputFormatEntry {
  /** Extensions (lower case, with the dot) that select the format when `--format` is not given. */
  readonly extensions: readonly string[];
  /** Whether a record can carry a second segment (`--text-b-column`). */
  readonly pairs: boolean;
  read(bytes: InputBytes, range: ReadRange, options: ReaderOptions): Promise<AsyncGenerator<ItemBatch>>;
}

/**
 * The input formats, by `--format` name. Adding one is an entry here plus its reader.
 *
 * @example
 * ```ts
 * Object.keys(INPUT_FORMATS); // ['csv', 'tsv', 'jsonl', 'text']
 * ```
 */
export const INPUT_FORMATS = Object.freeze({
  csv: { extensions: ['.csv'], pairs: true, read: (bytes, range, options) => readDelimited(bytes, range, options, 'csv') },
  tsv: { extensions: ['.tsv'], pairs: true, read: (bytes, range, options) => readDelimited(bytes, range, options, 'tsv') },
  jsonl: { extensions: ['.jsonl', '.ndjson'], pairs: true, read: async (bytes, range, options) => readJsonl(from(bytes, range, range.startOffset), options) },
  text: { extensions: ['.txt'], pairs: false, read: async (bytes, range, options) => readText(from(bytes, range, range.startOffset), options) },
} satisfies Record<string, InputFormatEntry>);

export type InputFormat = keyof typeof INPUT_FORMATS;

export const INPUT_FORMAT_NAMES = Object.freeze(Object.keys(INPUT_FORMATS) as InputFormat[]);

/** The format an extension selects, if any (`.CSV` too). */
export function formatOfExtension(ext: string): InputFormat | undefined {
  const e = ext.toLowerCase();
  return INPUT_FORMAT_NAMES.find((f) => (INPUT_FORMATS[f].extensions as readonly string[]).includes(e));
}

/**
 * The format a file name selects, looking through a compression extension.
 *
 * @example
 * ```ts
 * formatOfName('docs.csv.gz'); // 'csv'
 * formatOfName('docs.gz');     // undefined: pass --format
 * ```
 */
export function formatOfName(name: string): InputFormat | undefined {
  return formatOfExtension(extname(compressionOfName(name).inner));
}

function from(bytes: InputBytes, range: ReadRange, offset: number) {
  return { chunks: bytes.chunks(offset), offset, endOffset: range.endOffset, firstSeq: range.firstSeq };
}

/**
 * CSV and TSV. With offsets, the header is read on its own from the file's start and
 * records begin after it; a range's end must not cut the header off.
 */
async function readDelimited(bytes: InputBytes, range: ReadRange, options: ReaderOptions, format: 'csv' | 'tsv'): Promise<AsyncGenerator<ItemBatch>> {
  if (range.startOffset === 0 && range.endOffset === undefined) return readCsv(from(bytes, range, 0), format, options);
  const header = await readCsvHeader(bytes.chunks(0), format, options);
  if (range.startOffset > 0 && range.startOffset < header.end) {
    throw optionError('--start-offset', range.startOffset, `an offset at or after the end of the header (byte ${header.end})`);
  }
  return readCsv(from(bytes, range, Math.max(range.startOffset, header.end)), format, options, header);
}
