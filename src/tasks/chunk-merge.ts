import type { OutputRow } from './task.js';

/**
 * A row's values under `--long split`: its own (a document in one window), or the mean of
 * its windows' values weighted by their tokens ([CLS]/[SEP] included, as mean pooling
 * counts them), summed in float64. Written to `out` at `outOff`.
 *
 * For mean pooling this is the mean over every token the model saw (overlaps counted once
 * per window they are in); for probabilities, a long window outvotes a short tail.
 *
 * @example
 * ```ts
 * rowValues(row, 'embedding', H, emb, i * H);
 * ```
 */
export function rowValues(row: OutputRow, column: string, width: number, out: Float32Array, outOff: number): void {
  if (!row.chunks) {
    const col = row.response.columns[column] as Float32Array;
    out.set(col.subarray(row.index * width, (row.index + 1) * width), outOff);
    return;
  }
  const acc = new Float64Array(width);
  let total = 0;
  for (const c of row.chunks) {
    const w = c.encoded.ids.length;
    const col = c.response.columns[column] as Float32Array;
    const off = c.index * width;
    for (let h = 0; h < width; h++) acc[h] += w * col[off + h];
    total += w;
  }
  for (let h = 0; h < width; h++) out[outOff + h] = acc[h] / total;
}

/** Tokens of the row's document, [CLS]/[SEP] counted once: what `n_tokens` says. */
export function documentTokens(row: OutputRow): number {
  const chunk = row.encoded.chunk;
  return chunk ? chunk.docTokens + 2 : row.encoded.ids.length;
}
