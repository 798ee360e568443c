/** Row-wise softmax of a B x L matrix of logits (max-subtracted, float64 sums). */
export function softmaxRows(logits: Float32Array, width: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let off = 0; off < logits.length; off += width) softmaxInto(logits, off, width, out, off);
  return out;
}

export function softmaxInto(src: ArrayLike<number>, srcOff: number, width: number, dst: Float32Array | Float64Array, dstOff: number): void {
  let max = -Infinity;
  for (let i = 0; i < width; i++) if (src[srcOff + i] > max) max = src[srcOff + i];
  let sum = 0;
  for (let i = 0; i < width; i++) sum += Math.exp(src[srcOff + i] - max);
  for (let i = 0; i < width; i++) dst[dstOff + i] = Math.exp(src[srcOff + i] - max) / sum;
}

/** Element-wise logistic sigmoid, for multi-label classification. */
export function sigmoid(logits: Float32Array): Float32Array {
  const out = new Float32Array(logits.length);
  for (let i = 0; i < logits.length; i++) out[i] = 1 / (1 + Math.exp(-logits[i]));
  return out;
}

/**
 * Indices of the k largest values of `values[off .. off+width)`, largest first; ties go to
 * the lower index, as `torch.topk` on CPU does in practice for distinct scores.
 */
export function topK(values: ArrayLike<number>, off: number, width: number, k: number): number[] {
  const n = Math.min(k, width);
  const best: number[] = [];
  for (let i = 0; i < width; i++) {
    const v = values[off + i];
    if (best.length === n && v <= values[off + best[n - 1]]) continue;
    let j = best.length < n ? best.length : n - 1;
    if (best.length < n) best.push(i);
    while (j > 0 && values[off + best[j - 1]] < v) {
      best[j] = best[j - 1];
      j--;
    }
    best[j] = i;
  }
  return best;
}
