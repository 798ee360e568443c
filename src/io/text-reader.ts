import { ReadRejectCode, readReject, type RejectSite } from './read-errors.js';
import { isBlank, spanBatches, type ItemBatch, type ReaderInput, type ReaderOptions } from './reader-input.js';
import { RecordSplitter } from './record-splitter.js';
import type { SourceItem } from './row.js';
import { isWellFormedUtf8 } from './strict-utf8.js';

/**
 * Plain text, one document per line. Every line is a record, empty ones included, so a
 * document's seq is its 0-based line number (and its id, as text has no id column); an
 * empty or whitespace line is `ALB_ROW_EMPTY_TEXT` unless `keepEmpty`. A final line break
 * does not start another line.
 *
 * @example
 * ```ts
 * for await (const { items } of readText(input, options)) for (const item of items) console.log(item);
 * ```
 */
export async function* readText(input: ReaderInput, options: ReaderOptions): AsyncGenerator<ItemBatch> {
  const splitter = new RecordSplitter({
    startOffset: input.offset,
    maxRecordBytes: options.maxRecordBytes,
    quote: false,
    delimiter: -1,
    keepBlankLines: true,
  });
  let seq = input.firstSeq;
  for await (const { spans, position } of spanBatches(input, splitter)) {
    const items: SourceItem[] = [];
    const first = spans[0];
    const last = spans[spans.length - 1];
    const chunkValid = first !== undefined && spans.every((s) => s.buf === first.buf) && isWellFormedUtf8(first.buf, first.start, last.end);
    for (const span of spans) {
      const site: RejectSite = { seq, offset: span.offset, buf: span.buf, start: span.start, end: span.end, id: String(seq) };
      seq++;
      if (span.flaw === 'too-large') {
        items.push(readReject(site, ReadRejectCode.TOO_LARGE, `line is longer than --max-record-bytes (${options.maxRecordBytes}); skipped to the next line`));
      } else if (!chunkValid && !isWellFormedUtf8(span.buf, span.start, span.end)) {
        items.push(readReject(site, ReadRejectCode.INVALID_UTF8, 'line is not valid UTF-8'));
      } else {
        const text = span.buf.toString('utf8', span.start, span.end);
        if (!options.keepEmpty && isBlank(text)) items.push(readReject(site, ReadRejectCode.EMPTY_TEXT, 'line is empty or whitespace'));
        else items.push({ seq: site.seq, id: site.id as string, text, offset: site.offset });
      }
    }
    yield { items, position };
  }
}
