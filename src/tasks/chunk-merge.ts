import type { OutputRow } from './task.js';

/**
 * How a split document's windows merge: `mean`, weighted by tokens, or `max`, element-wise.
 */
export type ChunkMerge = 'mean' | 'max';

/**
 * A row's values under `--long split`: its own (a document in one window), or its windows'
 * merged. `mean`: the mean of the windows' values weighted by their tokens ([CLS]/[SEP]
 * included, as mean pooling counts them), summed in float64. `max`: the element-wise
 * maximum of the windows' values. Written to `out` at `outOff`.
 *
 * For mean pooling, `mean` is the mean over every token the model saw (overlaps counted
 * once per window they are in); for max pooling, `max` is the maximum over every token the
 * model saw, exactly (a mean of the windows' maxima would depend on where windows fall);
 * for probabilities, a long window outvotes a short tail.
 *
 * @example
 * ```ts
 * rowValues(row, 'embedding', H, emb, i * H, pooling === 'max' ? 'max' : 'mean');
 * ```
 */
export function rowValues(row: OutputRow, column: string, width: number, out: Float32Array, outOff: number, merge: ChunkMerge = 'mean'): void {
  if (!row.chunks) {
    const col = row.response.columns[column] as Float32Array;
    out.set(col.subarray(row.index * width, (row.index + 1) * width), outOff);
    return;
  }
  if (merge === 'max') {
    out.fill(-Infinity, outOff, outOff + width);
    for (const c of row.chunks) {
      const col = c.response.columns[column] as Float32Array;
      const off = c.index * width;
      for (let h = 0; h < width; h++) if (col[off + h] > out[outOff + h]) out[outOff + h] = col[off + h];
    }
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
