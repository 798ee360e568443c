import { extname } from 'node:path';
import { optionError } from '../errors.js';
import { compressionOfName } from './compression.js';
import { openArrowFile } from './arrow-reader.js';
import type { ColumnarFile } from './columnar-file.js';
import { readCsv, readCsvHeader } from './csv-reader.js';
import type { InputBytes } from './input-bytes.js';
import { readJsonl } from './jsonl-reader.js';
import { openParquetFile } from './parquet-reader.js';
import type { ItemBatch, ReaderOptions } from './reader-input.js';
import { readText } from './text-reader.js';

/**
 * The records of one input to read: from `startOffset` to before `endOffset`, in the
 * format's positions (byte offsets; row numbers of the file for a row-positioned format),
 * and the seq of the first record.
 */
export interface ReadRange {
  readonly startOffset: number;
  readonly endOffset: number | undefined;
  readonly firstSeq: number;
}

/**
 * One input format: how it is recognised and how its records are read. Every reader yields
 * {@link ItemBatch}es (rows and rejects in input order, with the position reached), so
 * the pipeline, resume and the shard planner never know which format they read.
 *
 * A text format (`positions: 'bytes'`) reads a byte range of the input's bytes. A
 * row-positioned format (`positions: 'rows'`: Parquet, Arrow) is opened by its footer as a
 * {@link ColumnarFile} of units (row groups, record batches); its positions are row
 * numbers, a shard plan cuts it by rows without reading a value, and its rows are read
 * unit by unit (see columnar-file.ts).
 */
export type InputFormatEntry = ByteFormatEntry | RowFormatEntry;

interface FormatBase {
  /** Extensions (lower case, with the dot) that select the format when `--format` is not given. */
  readonly extensions: readonly string[];
  /** Whether a record can carry a second segment (`--text-b-column`). */
  readonly pairs: boolean;
}

export interface ByteFormatEntry extends FormatBase {
  readonly positions: 'bytes';
  read(bytes: InputBytes, range: ReadRange, options: ReaderOptions): Promise<AsyncGenerator<ItemBatch>>;
}

export interface RowFormatEntry extends FormatBase {
  readonly positions: 'rows';
  /** Opens a regular, uncompressed file by its footer. */
  open(bytes: InputBytes): Promise<ColumnarFile>;
}

/**
 * The input formats, by `--format` name. Adding one is an entry here plus its reader.
 *
 * @example
 * ```ts
 * Object.keys(INPUT_FORMATS); // ['csv', 'tsv', 'jsonl', 'text', 'parquet', 'arrow']
 * ```
 */
export const INPUT_FORMATS = Object.freeze({
  csv: { extensions: ['.csv'], pairs: true, positions: 'bytes', read: (bytes, range, options) => readDelimited(bytes, range, options, 'csv') },
  tsv: { extensions: ['.tsv'], pairs: true, positions: 'bytes', read: (bytes, range, options) => readDelimited(bytes, range, options, 'tsv') },
  jsonl: { extensions: ['.jsonl', '.ndjson'], pairs: true, positions: 'bytes', read: async (bytes, range, options) => readJsonl(from(bytes, range, range.startOffset), options) },
  text: { extensions: ['.txt'], pairs: false, positions: 'bytes', read: async (bytes, range, options) => readText(from(bytes, range, range.startOffset), options) },
  parquet: { extensions: ['.parquet'], pairs: true, positions: 'rows', open: openParquetFile },
  arrow: { extensions: ['.arrow', '.feather'], pairs: true, positions: 'rows', open: openArrowFile },
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
