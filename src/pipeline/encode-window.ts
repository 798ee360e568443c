import type { SourceRow } from '../io/row.js';
import type { AlbertTokenizer, Encoded } from '../model/albert-tokenizer.js';
import type { EncodedRow } from '../model/padding.js';
import { charSpan, windowIds, windowSpans } from '../model/token-windows.js';
import type { RowProblem } from '../tasks/task.js';
import { LONG_COUNTS, type LongPolicy } from './long-options.js';
import { tokenizeWindow } from './tokenize-window.js';

/**
 * A text longer than this (UTF-16 units) skips the batch call and is tokenized in pieces
 * (encodeLong): a whole 10 MB text in one native call costs about 1 GB of alignments and
 * overflow encodings just to be truncated. To truncate, only its first pieces are read.
 */
const LONG_TEXT_UNITS = 1 << 16;

export interface EncodeWindowOptions {
  pairs: boolean;
  long: LongPolicy;
  /** Token offsets for each row (`--pooling none`), or char spans for each window (`--chunks`). */
  offsets: boolean;
}

export interface EncodedWindow {
  /** The rows to run, in input order; under `split`, a long document is several rows of one seq. */
  rows: EncodedRow[];
  /** The window's long-document counts (LONG_COUNTS keys). */
  counts: Record<string, number>;
}

/**
 * Tokenizes a window's rows and applies the long-document policy: `truncate` counts the
 * rows cut at the max length, `reject` turns them into ALB_ROW_TOO_LONG rejects, `split`
 * cuts each document longer than a window into overlapping windows of `[CLS] … [SEP]`,
 * all of them rows of the document's seq with a {@link ChunkSpan} saying where they sit.
 */
export async function encodeWindow(
  tokenizer: AlbertTokenizer,
  rows: readonly SourceRow[],
  o: EncodeWindowOptions,
  onProblem: (row: SourceRow, problem: RowProblem) => void,
): Promise<EncodedWindow> {
  const counts: Record<string, number> = { [LONG_COUNTS.rowsSplit]: 0, [LONG_COUNTS.windows]: 0, [LONG_COUNTS.rowsTruncated]: 0, [LONG_COUNTS.rowsRejected]: 0 };
  const { long } = o;
  if (long.mode !== 'split') {
    const huge = o.pairs ? [] : rows.filter((r) => r.text.length > LONG_TEXT_UNITS);
    const encoded = await tokenizeWindow(tokenizer, huge.length ? rows.filter((r) => r.text.length <= LONG_TEXT_UNITS) : rows, o.pairs, onProblem, { offsets: o.offsets });
    for (const row of huge) {
      try {
        encoded.push({ ...(await encodeTruncated(tokenizer, row.text, o.offsets)), seq: row.seq });
      } catch (err) {
        onProblem(row, { code: 'ALB_ROW_TOKENIZE', message: `tokenizer failed: ${(err as Error).message}` });
      }
    }
    if (huge.length) encoded.sort((a, b) => a.seq - b.seq);
    const kept = encoded.filter((e) => !(e.truncated && long.mode === 'reject'));
    const cut = encoded.length - kept.length;
    if (long.mode === 'reject' && cut > 0) {
      const bySeq = new Map(rows.map((r) => [r.seq, r]));
      for (const e of encoded) {
        if (e.truncated) onProblem(bySeq.get(e.seq)!, { code: 'ALB_ROW_TOO_LONG', message: `the row has more than --max-length ${tokenizer.maxLength} tokens and --long reject is set` });
      }
    }
    counts[LONG_COUNTS.rowsTruncated] = long.mode === 'truncate' ? encoded.filter((e) => e.truncated).length : 0;
    counts[LONG_COUNTS.rowsRejected] = cut;
    return { rows: kept, counts };
  }

  const short = rows.filter((r) => r.text.length <= LONG_TEXT_UNITS);
  const longRows: SourceRow[] = rows.filter((r) => r.text.length > LONG_TEXT_UNITS);
  const out: EncodedRow[] = [];
  const bySeq = new Map(rows.map((r) => [r.seq, r]));
  for (const e of await tokenizeWindow(tokenizer, short, false, onProblem, { offsets: o.offsets })) {
    const n = e.ids.length - 2;
    if (e.truncated || e.ids.length > long.chunkTokens) {
      longRows.push(bySeq.get(e.seq)!);
      continue;
    }
    const content = e.offsets ? e.offsets.subarray(2, 2 * (n + 1)) : null;
    const [charStart, charEnd] = charSpan(content, 0, n);
    out.push({ seq: e.seq, ids: e.ids, typeIds: null, truncated: false, chunk: { index: 0, count: 1, tokenStart: 0, tokenEnd: n, charStart, charEnd, docTokens: n } });
  }
  for (const row of longRows) {
    let doc;
    try {
      doc = await tokenizer.encodeLong(row.text, { offsets: o.offsets });
    } catch (err) {
      onProblem(row, { code: 'ALB_ROW_TOKENIZE', message: `tokenizer failed: ${(err as Error).message}` });
      continue;
    }
    const spans = windowSpans(doc.ids.length, long.chunkTokens, long.chunkOverlap);
    spans.forEach(([start, end], index) => {
      const [charStart, charEnd] = charSpan(doc.offsets, start, end);
      const ids = windowIds(doc.ids, start, end, tokenizer.special.cls, tokenizer.special.sep);
      out.push({ seq: row.seq, ids, typeIds: null, truncated: false, chunk: { index, count: spans.length, tokenStart: start, tokenEnd: end, charStart, charEnd, docTokens: doc.ids.length } });
    });
    if (spans.length > 1) {
      counts[LONG_COUNTS.rowsSplit]++;
      counts[LONG_COUNTS.windows] += spans.length;
    }
  }
  out.sort((a, b) => a.seq - b.seq || a.chunk!.index - b.chunk!.index);
  return { rows: out, counts };
}

/** What encodeBatch gives a text at the max length, from the text's first pieces only. */
async function encodeTruncated(tokenizer: AlbertTokenizer, text: string, offsets: boolean): Promise<Encoded> {
  const max = tokenizer.maxLength - 2;
  const doc = await tokenizer.encodeLong(text, { offsets, maxTokens: max + 1 });
  const n = Math.min(doc.ids.length, max);
  const encoded: Encoded = { ids: windowIds(doc.ids, 0, n, tokenizer.special.cls, tokenizer.special.sep), typeIds: null, truncated: doc.ids.length > max };
  if (doc.offsets) {
    encoded.offsets = new Int32Array(2 * (n + 2));
    encoded.offsets.set(doc.offsets.subarray(0, 2 * n), 2);
  }
  return encoded;
}
