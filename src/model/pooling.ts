import type { PoolingMode } from './pooling-graph.js';

/**
 * Pools a B x S x H hidden state into B x H, using each row's real length (padding sits at
 * the end of every row, so the attention mask of row b is exactly its first `lengths[b]`
 * positions). Accumulates in float64: the mean of up to 512 vectors must match HF's
 * float32 torch result within 1e-4, and float64 keeps our own error out of that budget.
 *
 * @example
 * ```ts
 * const pooled = poolHidden(hidden, lengths, { B, S, H }, 'mean');
 * l2NormalizeRows(pooled, H);
 * ```
 */
export function poolHidden(
  hidden: Float32Array,
  lengths: Int32Array,
  dims: { B: number; S: number; H: number },
  pooling: PoolingMode,
): Float32Array {
  const { B, S, H } = dims;
  const out = new Float32Array(B * H);
  const acc = new Float64Array(H);
  for (let b = 0; b < B; b++) {
    const n = lengths[b];
    const rowBase = b * S * H;
    if (pooling === 'cls') {
      out.set(hidden.subarray(rowBase, rowBase + H), b * H);
      continue;
    }
    if (pooling === 'mean') {
      acc.fill(0);
      for (let t = 0; t < n; t++) {
        const off = rowBase + t * H;
        for (let h = 0; h < H; h++) acc[h] += hidden[off + h];
      }
      const inv = 1 / Math.max(n, 1);
      for (let h = 0; h < H; h++) out[b * H + h] = acc[h] * inv;
    } else {
      acc.fill(-Infinity);
      for (let t = 0; t < n; t++) {
        const off = rowBase + t * H;
        for (let h = 0; h < H; h++) if (hidden[off + h] > acc[h]) acc[h] = hidden[off + h];
      }
      for (let h = 0; h < H; h++) out[b * H + h] = n > 0 ? acc[h] : 0;
    }
  }
  return out;
}

/** L2-normalizes each row in place; a zero row stays zero (eps as sentence-transformers: 1e-12). */
export function l2NormalizeRows(data: Float32Array, width: number): Float32Array {
  for (let off = 0; off < data.length; off += width) {
    let ss = 0;
    for (let h = 0; h < width; h++) ss += data[off + h] * data[off + h];
    const inv = 1 / Math.max(Math.sqrt(ss), 1e-12);
    for (let h = 0; h < width; h++) data[off + h] *= inv;
  }
  return data;
}
