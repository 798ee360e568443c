import { parse, CsvError, type Options as CsvParseOptions } from 'csv-parse/sync';
import { InputError } from '../errors.js';
import { excerptOf } from './excerpt.js';
import { InputErrorCode, ReadRejectCode, readReject, type RejectSite } from './read-errors.js';
import { isBlank, spanBatches, type ItemBatch, type ReaderInput, type ReaderOptions } from './reader-input.js';
import { RecordSplitter, type RecordSpan } from './record-splitter.js';
import type { SourceItem } from './row.js';
import { decodeUtf8Strict, isWellFormedUtf8 } from './strict-utf8.js';

/**
 * CSV and TSV. The {@link RecordSplitter} finds record boundaries (and contains quote
 * damage); csv-parse turns records into fields. Why not csv-parse alone, streaming:
 *
 * - with `skip_records_with_error`, an oversized record (`max_record_size`) is reported
 *   again for every later chunk and the rest of the input is lost; an unclosed quote or a
 *   bad closing quote swallows every following record into one skipped "record";
 * - skipped records leave no trace in the output (only a `skip` event), so seq numbering
 *   and byte offsets of the records around them are lost;
 * - `encoding: 'utf8'` replaces invalid bytes with U+FFFD silently;
 * - record delimiter auto-discovery fixes on the first line ending it sees, so a file
 *   with mixed endings is split wrongly, also silently.
 *
 * So csv-parse (sync API) parses clean runs of records in one call per chunk, with an
 * explicit `['\r\n', '\n', '\r']` record delimiter and no BOM handling of its own; a run
 * that fails, or whose record count differs from the splitter's, is parsed again record by
 * record, and csv-parse's error on a single record becomes that record's reject.
 *
 * TSV has no quoting (IANA text/tab-separated-values; the GLUE/BERT readers use
 * `quotechar=None` too): a `"` in a TSV field is text.
 */

/** The CSV header: its column names and where the columns this job uses are. */
export interface CsvHeader {
  readonly columns: readonly string[];
  readonly textIndex: number;
  /** -1 without `textBColumn`. */
  readonly textBIndex: number;
  /** -1 when the header has no id column: ids are then row numbers. */
  readonly idIndex: number;
  /** Offset of the first byte after the header line. */
  readonly end: number;
}

export type CsvFormat = 'csv' | 'tsv';

const COMMA = 0x2c;
const TAB = 0x09;

function parseOptions(format: CsvFormat, encoding: 'utf8' | null): CsvParseOptions {
  return {
    delimiter: format === 'tsv' ? '\t' : ',',
    quote: format === 'tsv' ? null : '"',
    record_delimiter: ['\r\n', '\n', '\r'],
    skip_empty_lines: true,
    relax_column_count: true,
    bom: false,
    encoding,
  };
}

function newSplitter(format: CsvFormat, startOffset: number, options: ReaderOptions): RecordSplitter {
  return new RecordSplitter({
    startOffset,
    maxRecordBytes: options.maxRecordBytes,
    quote: format === 'csv',
    delimiter: format === 'tsv' ? TAB : COMMA,
    keepBlankLines: false,
  });
}

/**
 * Reads only the header of a CSV/TSV input whose `chunks` start at offset 0. Used when
 * records are read from `startOffset`, so the header comes from the file's first line.
 */
export async function readCsvHeader(chunks: AsyncIterable<Buffer>, format: CsvFormat, options: ReaderOptions): Promise<CsvHeader> {
  const splitter = newSplitter(format, 0, options);
  for await (const { spans } of spanBatches({ chunks, offset: 0, endOffset: undefined, firstSeq: 0 }, splitter)) {
    if (spans.length > 0) return parseHeader(spans[0], format, options);
  }
  return parseHeader(undefined, format, options);
}

/**
 * Reads records. Without `header`, the first line of `input` is the header (input from
 * offset 0, and no `endOffset`, which the header would count against); with it, `input`
 * starts at a record boundary after the header.
 *
 * @example
 * ```ts
 * for await (const { items } of readCsv(input, 'csv', options)) for (const item of items) console.log(item);
 * ```
 */
export async function* readCsv(
  input: ReaderInput,
  format: CsvFormat,
  options: ReaderOptions,
  header?: CsvHeader,
): AsyncGenerator<ItemBatch> {
  const records = new CsvRecords(format, options, input.firstSeq, header);
  for await (const { spans, position } of spanBatches(input, newSplitter(format, input.offset, options))) {
    yield { items: records.take(spans), position };
  }
  if (!records.hasHeader) parseHeader(undefined, format, options);
}

function parseHeader(span: RecordSpan | undefined, format: CsvFormat, options: ReaderOptions): CsvHeader {
  if (span === undefined) {
    throw new InputError(InputErrorCode.MISSING_COLUMN, `the ${format.toUpperCase()} input is empty: no header line, so no column ${JSON.stringify(options.textColumn)} (--text-column)`, {
      column: options.textColumn,
      option: '--text-column',
      columns: [],
    });
  }
  const bad = (why: string): InputError =>
    new InputError(InputErrorCode.BAD_HEADER, `the ${format.toUpperCase()} header cannot be read: ${why}; it starts: ${excerptOf(span.buf, span.start, span.end)}`, {
      offset: span.offset,
    });
  if (span.flaw === 'too-large') throw bad(`it is longer than --max-record-bytes (${options.maxRecordBytes})`);
  if (!isWellFormedUtf8(span.buf, span.start, span.end)) throw bad('it is not valid UTF-8');
  let rows: string[][];
  try {
    rows = parse(span.buf.subarray(span.start, span.end), parseOptions(format, 'utf8'));
  } catch (err) {
    throw bad(err instanceof Error ? err.message : String(err));
  }
  if (rows.length !== 1) throw bad('it is not a single record');
  const columns = rows[0];
  const find = (column: string, option: string, required: boolean): number => {
    const index = columns.indexOf(column);
    if (index >= 0 && columns.indexOf(column, index + 1) >= 0) {
      throw new InputError(InputErrorCode.DUPLICATE_COLUMN, `column ${JSON.stringify(column)} (${option}) appears more than once in the header ${JSON.stringify(columns)}`, {
        column,
        option,
        columns: [...columns],
      });
    }
    if (index < 0 && required) {
      throw new InputError(InputErrorCode.MISSING_COLUMN, `the header has no column ${JSON.stringify(column)} (${option}); columns found: ${JSON.stringify(columns)}${delimiterHint(columns, format)}`, {
        column,
        option,
        columns: [...columns],
      });
    }
    return index;
  };
  return {
    columns,
    textIndex: find(options.textColumn, '--text-column', true),
    textBIndex: options.textBColumn === undefined ? -1 : find(options.textBColumn, '--text-b-column', true),
    idIndex: find(options.idColumn, '--id-column', options.idColumnRequired),
    end: span.next,
  };
}

/**
 * A header read as one column that the other delimiter would split: a TSV named `.csv`
 * (or a CSV passed with `--format tsv`). Said, never acted on: guessing a format from one
 * line would read some files wrongly and silently.
 */
function delimiterHint(columns: readonly string[], format: CsvFormat): string {
  if (columns.length !== 1) return '';
  const [only] = columns;
  if (format === 'csv' && only.includes('\t') && !only.includes(',')) return '; the header looks tab-separated: pass --format tsv';
  if (format === 'tsv' && only.includes(',') && !only.includes('\t')) return '; the header looks comma-separated: pass --format csv';
  return '';
}

/** Turns spans into items, numbering them; holds the header and the seq counter. */
class CsvRecords {
  private seq: number;
  private readonly batchOptions: CsvParseOptions;
  private readonly bufferOptions: CsvParseOptions;

  constructor(
    private readonly format: CsvFormat,
    private readonly options: ReaderOptions,
    firstSeq: number,
    private header: CsvHeader | undefined,
  ) {
    this.seq = firstSeq;
    this.batchOptions = parseOptions(format, 'utf8');
    this.bufferOptions = parseOptions(format, null);
  }

  get hasHeader(): boolean {
    return this.header !== undefined;
  }

  take(spans: readonly RecordSpan[]): SourceItem[] {
    const items: SourceItem[] = [];
    let i = 0;
    if (this.header === undefined && spans.length > 0) {
      this.header = parseHeader(spans[0], this.format, this.options);
      i = 1;
    }
    while (i < spans.length) {
      if (spans[i].flaw !== undefined) {
        this.takeOne(spans[i++], items);
        continue;
      }
      // Unflawed spans that lie in one buffer: one validation and one parse call cover them.
      let j = i + 1;
      while (j < spans.length && spans[j].flaw === undefined && spans[j].buf === spans[i].buf) j++;
      this.takeUnflawed(spans, i, j, items);
      i = j;
    }
    return items;
  }

  /** Splits spans `[from, to)` around records with invalid UTF-8, so the rest still parse together. */
  private takeUnflawed(spans: readonly RecordSpan[], from: number, to: number, items: SourceItem[]): void {
    if (isWellFormedUtf8(spans[from].buf, spans[from].start, spans[to - 1].end)) {
      this.takeRun(spans, from, to, items);
      return;
    }
    let runStart = from;
    for (let k = from; k < to; k++) {
      if (isWellFormedUtf8(spans[k].buf, spans[k].start, spans[k].end)) continue;
      if (runStart < k) this.takeRun(spans, runStart, k, items);
      this.takeOne(spans[k], items);
      runStart = k + 1;
    }
    if (runStart < to) this.takeRun(spans, runStart, to, items);
  }

  /** Spans of well-formed UTF-8 from one buffer; any surprise and they are parsed one by one. */
  private takeRun(spans: readonly RecordSpan[], from: number, to: number, items: SourceItem[]): void {
    const first = spans[from];
    const last = spans[to - 1];
    if (to - from > 1) {
      let rows: string[][] | undefined;
      try {
        rows = parse(first.buf.subarray(first.start, last.end), this.batchOptions);
      } catch {
        rows = undefined;
      }
      if (rows !== undefined && rows.length === to - from) {
        for (let k = 0; k < rows.length; k++) items.push(this.toItem(spans[from + k], rows[k]));
        return;
      }
    }
    for (let k = from; k < to; k++) this.takeOne(spans[k], items);
  }

  private takeOne(span: RecordSpan, items: SourceItem[]): void {
    const site = this.site(span);
    if (span.flaw === 'too-large') {
      items.push(readReject(site, ReadRejectCode.TOO_LARGE, `record is longer than --max-record-bytes (${this.options.maxRecordBytes}); skipped to the next line`));
      return;
    }
    const bytes = span.buf.subarray(span.start, span.end);
    if (!isWellFormedUtf8(bytes)) {
      site.id = this.idOfInvalidUtf8(bytes);
      items.push(readReject(site, ReadRejectCode.INVALID_UTF8, 'record is not valid UTF-8'));
      return;
    }
    let rows: string[][];
    try {
      rows = parse(bytes, this.batchOptions);
    } catch (err) {
      items.push(readReject(site, ReadRejectCode.CSV_PARSE, csvParseMessage(err, span)));
      return;
    }
    if (rows.length !== 1) {
      items.push(readReject(site, ReadRejectCode.CSV_PARSE, `record parsed as ${rows.length} records`));
      return;
    }
    items.push(this.toItem(span, rows[0], site));
  }

  private toItem(span: RecordSpan, fields: string[], known?: RejectSite): SourceItem {
    const header = this.header as CsvHeader;
    const site = known ?? this.site(span);
    const { idIndex, textIndex, textBIndex } = header;
    if (idIndex >= 0 && idIndex < fields.length) site.id = fields[idIndex];
    if (fields.length !== header.columns.length) {
      return readReject(site, ReadRejectCode.COLUMN_COUNT, `record has ${fields.length} fields, the header has ${header.columns.length}`);
    }
    const text = fields[textIndex];
    const { keepEmpty, textColumn, textBColumn } = this.options;
    if (!keepEmpty && isBlank(text)) {
      return readReject(site, ReadRejectCode.EMPTY_TEXT, `column ${JSON.stringify(textColumn)} is empty or whitespace`);
    }
    const id = idIndex >= 0 ? fields[idIndex] : String(site.seq);
    if (textBIndex < 0) return { seq: site.seq, id, text, offset: site.offset };
    const textB = fields[textBIndex];
    if (!keepEmpty && isBlank(textB)) {
      return readReject(site, ReadRejectCode.EMPTY_TEXT_B, `column ${JSON.stringify(textBColumn)} is empty or whitespace`);
    }
    return { seq: site.seq, id, text, textB, offset: site.offset };
  }

  /** Allocates the span's seq: every span is exactly one item. */
  private site(span: RecordSpan): RejectSite {
    const seq = this.seq++;
    const site: RejectSite = { seq, offset: span.offset, buf: span.buf, start: span.start, end: span.end };
    // Without an id column the row number is the id, known even for a bad record.
    if ((this.header as CsvHeader).idIndex < 0) site.id = String(seq);
    return site;
  }

  /** The id of a record with bad bytes elsewhere, when its id field itself is valid. */
  private idOfInvalidUtf8(bytes: Buffer): string | undefined {
    const idIndex = (this.header as CsvHeader).idIndex;
    if (idIndex < 0) return undefined;
    try {
      const rows = parse(bytes, this.bufferOptions) as unknown as Buffer[][];
      const field = rows.length === 1 ? rows[0][idIndex] : undefined;
      return field === undefined ? undefined : decodeUtf8Strict(field);
    } catch {
      return undefined;
    }
  }
}

function csvParseMessage(err: unknown, span: RecordSpan): string {
  const code = err instanceof CsvError ? err.code : undefined;
  const what =
    code === 'INVALID_OPENING_QUOTE'
      ? 'a quote appears inside an unquoted field'
      : code === 'CSV_INVALID_CLOSING_QUOTE'
        ? 'a closing quote is followed by a character other than a delimiter or line end'
        : code === 'CSV_QUOTE_NOT_CLOSED'
          ? 'a quoted field is not closed'
          : err instanceof Error
            ? err.message
            : String(err);
  const cut = span.flaw === 'stray-quote' ? '; taken for a stray quote, the record was cut at the end of its first line' : '';
  return `${what}${cut}${code === undefined ? '' : ` (csv-parse ${code})`}`;
}
