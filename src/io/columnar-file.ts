import { InputError } from '../errors.js';
import type { InputBytes } from './input-bytes.js';
import { InputErrorCode, ReadRejectCode, readReject, type RejectSite } from './read-errors.js';
import { isBlank, type ItemBatch, type ReaderOptions } from './reader-input.js';
import type { SourceItem } from './row.js';

/**
 * A file read from its footer, unit by unit (Parquet row groups, Arrow record batches):
 * what a row-positioned input format opens. Its positions (an item's `offset`, a read
 * range's `startOffset`/`endOffset`) are row numbers in the file, so a resume or a shard
 * starts at any row by reading the unit that holds it; its bytes (`byteStart`/`byteEnd`)
 * are what progress counts and what resume re-hashes.
 */
export interface ColumnarFile {
  /** In file order; `firstRow` is the sum of the rows before. */
  readonly units: readonly ColumnarUnit[];
  readonly rows: number;
  /** The top-level columns, in schema order. */
  readonly columns: readonly ColumnInfo[];
  /**
   * The values of `columns` for rows `[from, to)` of unit `index` (rows of the file, within
   * the unit): one array per column, strings, numbers, bigints or null.
   */
  read(index: number, from: number, to: number, columns: readonly string[]): Promise<unknown[][]>;
}

export interface ColumnarUnit {
  readonly firstRow: number;
  readonly rows: number;
  /** The unit's bytes in the file: where its data starts and ends. */
  readonly byteStart: number;
  readonly byteEnd: number;
}

export interface ColumnInfo {
  readonly name: string;
  /** What a text or id column can be: strings, integers, or something else. */
  readonly kind: 'string' | 'integer' | 'other';
  /** The type as the format names it, for messages: `BYTE_ARRAY (UTF8)`, `Dictionary<Int32, Utf8>`. */
  readonly type: string;
}

/** Rows handed out per item batch: a window's worth, so a large unit does not arrive as one await. */
const ROWS_PER_BATCH = 1024;

/**
 * The open file of a row-positioned input, or why it cannot be one: the format reads a
 * regular file by position, so stdin, pipes and compressed files are refused.
 */
export function fileOf(bytes: InputBytes, format: string): NonNullable<InputBytes['file']> {
  if (bytes.compression !== null) {
    throw new InputError(InputErrorCode.UNREADABLE, `cannot read input ${bytes.name}: it is ${bytes.compression}-compressed, and ${format} input is read by position from its footer; decompress it first (${format} compresses inside the file)`, { input: bytes.name, option: '--format' });
  }
  if (!bytes.file) {
    throw new InputError(InputErrorCode.UNREADABLE, `cannot read input ${bytes.name}: ${format} input is read by position from its footer, so it must be a regular file (not stdin or a pipe)`, { input: bytes.name, option: '--format' });
  }
  return bytes.file;
}

/**
 * The rows `[range.startOffset, range.endOffset)` of a columnar file as items, unit by unit:
 * text, id and text B from the columns the options name, the same rejects as the text
 * formats (empty text, null text, too large). A missing column is `ALB_INPUT_MISSING_COLUMN`
 * naming the columns found; a column of a type that cannot hold text (or ids) is
 * `ALB_INPUT_COLUMN_TYPE`. Each batch's `bytePosition` is where the unit read ends in the file.
 *
 * @example
 * ```ts
 * for await (const { items } of readColumnar(file, 'in.parquet', { startOffset: 0, endOffset: undefined, firstSeq: 0 }, options)) console.log(items.length);
 * ```
 */
export async function* readColumnar(file: ColumnarFile, name: string, range: { startOffset: number; endOffset: number | undefined; firstSeq: number }, options: ReaderOptions): AsyncGenerator<ItemBatch> {
  const cols = pickColumns(file, name, options);
  const start = range.startOffset;
  const end = Math.min(range.endOffset ?? file.rows, file.rows);
  const names = [cols.text, ...(cols.id ? [cols.id] : []), ...(cols.textB ? [cols.textB] : [])];
  let bytePosition = 0;
  for (let u = 0; u < file.units.length; u++) {
    const unit = file.units[u];
    const from = Math.max(start, unit.firstRow);
    const to = Math.min(end, unit.firstRow + unit.rows);
    if (from >= to) continue;
    let values: unknown[][];
    try {
      values = await file.read(u, from, to, names);
    } catch (err) {
      throw err instanceof InputError ? err : new InputError(InputErrorCode.UNREADABLE, `cannot read input ${name}: rows ${from}-${to - 1}: ${(err as Error).message}`, { input: name }, { cause: err });
    }
    bytePosition = Math.max(bytePosition, unit.byteEnd);
    const [texts, ...rest] = values;
    const ids = cols.id ? rest.shift() : undefined;
    const textsB = cols.textB ? rest.shift() : undefined;
    for (let at = from; at < to; at += ROWS_PER_BATCH) {
      const items: SourceItem[] = [];
      for (let row = at; row < Math.min(to, at + ROWS_PER_BATCH); row++) {
        const k = row - from;
        items.push(itemOf(range.firstSeq + row - start, row, texts[k], ids?.[k], textsB?.[k], cols, options));
      }
      yield { items, position: Math.min(to, at + ROWS_PER_BATCH), bytePosition };
    }
  }
}

interface Picked {
  text: string;
  id: string | null;
  textB: string | null;
}

function pickColumns(file: ColumnarFile, name: string, options: ReaderOptions): Picked {
  const found = file.columns.map((c) => c.name);
  const pick = (column: string, option: string, required: boolean, kinds: readonly ColumnInfo['kind'][]): string | null => {
    const info = file.columns.find((c) => c.name === column);
    if (!info) {
      if (!required) return null;
      throw new InputError(InputErrorCode.MISSING_COLUMN, `input ${name} has no column ${JSON.stringify(column)} (${option}); columns found: ${JSON.stringify(found)}`, { column, option, columns: found });
    }
    if (!kinds.includes(info.kind)) {
      const want = kinds.length === 1 ? 'strings' : 'strings or integers';
      throw new InputError(InputErrorCode.COLUMN_TYPE, `input ${name}: column ${JSON.stringify(column)} (${option}) is ${info.type}, not ${want}`, { column, option, type: info.type });
    }
    return column;
  };
  return {
    text: pick(options.textColumn, '--text-column', true, ['string']) as string,
    id: pick(options.idColumn, '--id-column', options.idColumnRequired, ['string', 'integer']),
    textB: options.textBColumn === undefined ? null : pick(options.textBColumn, '--text-b-column', true, ['string']),
  };
}

const utf8 = new TextEncoder();

function itemOf(seq: number, row: number, text: unknown, rawId: unknown, textB: unknown, cols: Picked, options: ReaderOptions): SourceItem {
  const site = (value: unknown): RejectSite => {
    const buf = utf8.encode(typeof value === 'string' ? value.slice(0, 256) : String(value));
    return { seq, offset: row, buf, start: 0, end: buf.length, id: rawId === null || rawId === undefined ? undefined : String(rawId) };
  };
  let id: string;
  if (rawId === null || rawId === undefined) {
    if (cols.id && options.idColumnRequired) return readReject(site(text), ReadRejectCode.MISSING_ID, `column ${JSON.stringify(cols.id)} (--id-column) is null`);
    id = String(seq);
  } else {
    id = String(rawId);
  }
  const checked = (value: unknown, column: string, missing: ReadRejectCode, empty: ReadRejectCode): string | SourceItem => {
    if (typeof value !== 'string') return readReject({ ...site(''), id }, missing, `column ${JSON.stringify(column)} is null`);
    if (!options.keepEmpty && isBlank(value)) return readReject({ ...site(value), id }, empty, `column ${JSON.stringify(column)} is empty or whitespace`);
    return value;
  };
  const a = checked(text, cols.text, ReadRejectCode.MISSING_TEXT, ReadRejectCode.EMPTY_TEXT);
  if (typeof a !== 'string') return a;
  let b: string | undefined;
  if (cols.textB) {
    const got = checked(textB, cols.textB, ReadRejectCode.MISSING_TEXT_B, ReadRejectCode.EMPTY_TEXT_B);
    if (typeof got !== 'string') return got;
    b = got;
  }
  // UTF-8 bytes are at most 3 per UTF-16 unit: count them only for texts that may be too long.
  if ((a.length + (b?.length ?? 0)) * 3 > options.maxRecordBytes) {
    const bytes = Buffer.byteLength(a) + (b === undefined ? 0 : Buffer.byteLength(b));
    if (bytes > options.maxRecordBytes) return readReject({ ...site(a), id }, ReadRejectCode.TOO_LARGE, `row is ${bytes} bytes of text, more than --max-record-bytes (${options.maxRecordBytes})`);
  }
  return b === undefined ? { seq, id, text: a, offset: row } : { seq, id, text: a, textB: b, offset: row };
}
