import { ReadRejectCode, readReject, type RejectSite } from './read-errors.js';
import { isBlank, spanBatches, type ItemBatch, type ReaderInput, type ReaderOptions } from './reader-input.js';
import { RecordSplitter, type RecordSpan } from './record-splitter.js';
import type { SourceItem } from './row.js';
import { isWellFormedUtf8 } from './strict-utf8.js';

/**
 * JSON Lines: one JSON object per line. Lines that are empty or only spaces/tabs are not
 * records (ndjson allows them, and trailing blank lines are common); every other line is
 * one item. Fields are read as own properties only, so `__proto__`, `constructor` and the
 * like are ordinary keys and never reach a prototype.
 *
 * `id`: a string is used as is, a finite number (integers up to 2^53) as its decimal string; an absent or null
 * id falls back to the row number (`String(seq)`); anything else is `ALB_ROW_INVALID_ID`.
 *
 * Bytes are checked as UTF-8, but a JSON escape such as `"\ud800"` still parses to a lone
 * surrogate, which UTF-8 output turns into U+FFFD: two such ids would silently become one.
 * A lone surrogate in the id, text or text B field is therefore `ALB_ROW_INVALID_UTF16`.
 */

declare global {
  // ES2024 (Node 20); the project's lib is ES2023.
  interface String {
    isWellFormed(): boolean;
  }
}

/**
 * @example
 * ```ts
 * for await (const { items } of readJsonl(input, options)) for (const item of items) console.log(item);
 * ```
 */
export async function* readJsonl(input: ReaderInput, options: ReaderOptions): AsyncGenerator<ItemBatch> {
  const splitter = new RecordSplitter({
    startOffset: input.offset,
    maxRecordBytes: options.maxRecordBytes,
    quote: false,
    delimiter: -1,
    keepBlankLines: false,
  });
  let seq = input.firstSeq;
  for await (const { spans, position } of spanBatches(input, splitter)) {
    const items: SourceItem[] = [];
    // One validation for the whole chunk; per line only when it fails.
    const chunkValid = spans.length > 0 && sameBuffer(spans) && isWellFormedUtf8(spans[0].buf, spans[0].start, spans[spans.length - 1].end);
    for (const span of spans) {
      if (span.flaw === undefined && isSpaceOnly(span)) continue;
      const site: RejectSite = { seq: seq++, offset: span.offset, buf: span.buf, start: span.start, end: span.end };
      items.push(jsonlItem(span, site, chunkValid, options));
    }
    yield { items, position };
  }
}

function jsonlItem(span: RecordSpan, site: RejectSite, valid: boolean, options: ReaderOptions): SourceItem {
  if (span.flaw === 'too-large') {
    return readReject(site, ReadRejectCode.TOO_LARGE, `line is longer than --max-record-bytes (${options.maxRecordBytes}); skipped to the next line`);
  }
  if (!valid && !isWellFormedUtf8(span.buf, span.start, span.end)) {
    return readReject(site, ReadRejectCode.INVALID_UTF8, 'line is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(span.buf.toString('utf8', span.start, span.end));
  } catch (err) {
    return readReject(site, ReadRejectCode.INVALID_JSON, `line is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return readReject(site, ReadRejectCode.NOT_OBJECT, `line is JSON ${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value}, not an object`);
  }
  const record = value as Record<string, unknown>;
  const rawId = own(record, options.idColumn);
  let id: string;
  if (typeof rawId === 'string') id = rawId;
  // JSON.parse has already rounded an integer id beyond 2^53; its digits are lost.
  else if (typeof rawId === 'number' && Number.isFinite(rawId) && (!Number.isInteger(rawId) || Number.isSafeInteger(rawId))) id = String(rawId);
  else if ((rawId === undefined || rawId === null) && options.idColumnRequired) {
    return readReject(site, ReadRejectCode.MISSING_ID, `field ${JSON.stringify(options.idColumn)} (--id-column) is ${rawId === null ? 'null' : 'missing'}`);
  } else if (rawId === undefined || rawId === null) id = String(site.seq);
  else {
    const why = typeof rawId === 'number' ? 'a number beyond 2^53 (write it as a string)' : `${describeType(rawId)}, not a string or number`;
    return readReject(site, ReadRejectCode.INVALID_ID, `field ${JSON.stringify(options.idColumn)} is ${why}`);
  }
  // The id is left out of this reject: it is the value that cannot be written faithfully.
  if (!id.isWellFormed()) return loneSurrogateReject(site, options.idColumn, id);
  site.id = id;
  const text = own(record, options.textColumn);
  if (typeof text !== 'string') {
    return readReject(site, ReadRejectCode.MISSING_TEXT, `field ${JSON.stringify(options.textColumn)} is ${text === undefined ? 'missing' : `${describeType(text)}, not a string`}`);
  }
  if (!text.isWellFormed()) return loneSurrogateReject(site, options.textColumn, text);
  if (!options.keepEmpty && isBlank(text)) {
    return readReject(site, ReadRejectCode.EMPTY_TEXT, `field ${JSON.stringify(options.textColumn)} is empty or whitespace`);
  }
  if (options.textBColumn === undefined) return { seq: site.seq, id, text, offset: site.offset };
  const textB = own(record, options.textBColumn);
  if (typeof textB !== 'string') {
    return readReject(site, ReadRejectCode.MISSING_TEXT_B, `field ${JSON.stringify(options.textBColumn)} is ${textB === undefined ? 'missing' : `${describeType(textB)}, not a string`}`);
  }
  if (!textB.isWellFormed()) return loneSurrogateReject(site, options.textBColumn, textB);
  if (!options.keepEmpty && isBlank(textB)) {
    return readReject(site, ReadRejectCode.EMPTY_TEXT_B, `field ${JSON.stringify(options.textBColumn)} is empty or whitespace`);
  }
  return { seq: site.seq, id, text, textB, offset: site.offset };
}

function loneSurrogateReject(site: RejectSite, field: string, value: string): SourceItem {
  const index = loneSurrogateIndex(value);
  const unit = `\\u${value.charCodeAt(index).toString(16).padStart(4, '0')}`;
  return readReject(site, ReadRejectCode.INVALID_UTF16, `field ${JSON.stringify(field)} holds a lone surrogate (${unit} at index ${index}), which UTF-8 output cannot keep`);
}

/** Index of the first UTF-16 unit of `value` that is a surrogate without its pair (-1 if none). */
function loneSurrogateIndex(value: string): number {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff && i + 1 < value.length) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
    }
    return i;
  }
  return -1;
}

/** `record[key]` only when it is the record's own: `record.__proto__` is otherwise Object.prototype. */
function own(record: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function describeType(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

function isSpaceOnly(span: RecordSpan): boolean {
  for (let i = span.start; i < span.end; i++) {
    const b = span.buf[i];
    if (b !== 0x20 && b !== 0x09) return false;
  }
  return true;
}

function sameBuffer(spans: readonly RecordSpan[]): boolean {
  const buf = spans[0].buf;
  return spans.every((s) => s.buf === buf);
}
