import type { SourceItem } from './row.js';
import type { RecordSpan, RecordSplitter } from './record-splitter.js';

/** What every format reader is given: bytes from some offset, and where to stop. */
export interface ReaderInput {
  /** The input's bytes from `offset` on. */
  readonly chunks: AsyncIterable<Buffer>;
  /** Offset in the input of the first byte of `chunks`. */
  readonly offset: number;
  /** Stop before any record that starts at or after this offset. */
  readonly endOffset: number | undefined;
  /** `seq` of the first record read. */
  readonly firstSeq: number;
}

/** The record-level options the format readers share. */
export interface ReaderOptions {
  readonly textColumn: string;
  readonly textBColumn: string | undefined;
  readonly idColumn: string;
  /** The id column was named explicitly, so a CSV header must have it. */
  readonly idColumnRequired: boolean;
  readonly keepEmpty: boolean;
  readonly maxRecordBytes: number;
}

/** Items in input order, and the input offset up to which the reader has consumed bytes. */
export interface ItemBatch {
  readonly items: SourceItem[];
  /** Where the next record starts, in the format's positions (bytes; rows for Parquet and Arrow). */
  readonly position: number;
  /** Row-positioned formats: how far into the file's bytes the reader has read (the end of the unit read). */
  readonly bytePosition?: number;
}

/** Splits `input` into record spans, a chunk at a time, honouring `endOffset`. */
export async function* spanBatches(
  input: ReaderInput,
  splitter: RecordSplitter,
): AsyncGenerator<{ spans: RecordSpan[]; position: number }> {
  const end = input.endOffset ?? Number.POSITIVE_INFINITY;
  for await (const chunk of input.chunks) {
    const spans = splitter.push(chunk);
    const cut = spans.findIndex((s) => s.offset >= end);
    if (cut >= 0) {
      yield { spans: spans.slice(0, cut), position: spans[cut].offset };
      return;
    }
    yield { spans, position: splitter.consumed };
    // The pending record starts at or after `end`: nothing more belongs to this range.
    if (splitter.consumed >= end) return;
  }
  const spans = splitter.end();
  const cut = spans.findIndex((s) => s.offset >= end);
  yield cut >= 0 ? { spans: spans.slice(0, cut), position: spans[cut].offset } : { spans, position: splitter.consumed };
}

/** Whether `text` is empty or only whitespace (as `String.prototype.trim` sees it). */
export function isBlank(text: string): boolean {
  return text.length === 0 || text.trim().length === 0;
}
