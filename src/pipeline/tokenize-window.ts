import type { SourceRow } from '../io/row.js';
import type { AlbertTokenizer, EncodeOptions } from '../model/albert-tokenizer.js';
import type { EncodedRow } from '../model/padding.js';
import type { RowProblem } from '../tasks/task.js';

/**
 * Tokenizes a window's rows in one native call (HF tokenizers runs it on its own threads,
 * so the event loop keeps feeding the pool). Should the batch call fail, rows are retried
 * one by one so that only the row that cannot be tokenized is rejected.
 */
export async function tokenizeWindow(
  tokenizer: AlbertTokenizer,
  rows: readonly SourceRow[],
  pairs: boolean,
  onProblem: (row: SourceRow, problem: RowProblem) => void,
  opts: EncodeOptions = {},
): Promise<EncodedRow[]> {
  if (rows.length === 0) return [];
  const textsB = pairs ? rows.map((r) => r.textB ?? '') : undefined;
  try {
    const encoded = await tokenizer.encodeBatch(rows.map((r) => r.text), textsB, opts);
    return encoded.map((e, i) => ({ ...e, seq: rows[i].seq }));
  } catch {
    const out: EncodedRow[] = [];
    for (const row of rows) {
      try {
        out.push({ ...(await tokenizer.encodeOne(row.text, pairs ? (row.textB ?? '') : undefined, opts)), seq: row.seq });
      } catch (err) {
        onProblem(row, { code: 'ALB_ROW_TOKENIZE', message: `tokenizer failed: ${(err as Error).message}` });
      }
    }
    return out;
  }
}
