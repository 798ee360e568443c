/**
 * The training losses on logits: softmax cross-entropy for one label per row, and one
 * sigmoid binary cross-entropy per label for several (multi-label). Both are weighted
 * means, so the L2 strength means the same whatever the weights.
 */

/** What the rows should predict: a class per row, or an n x k 0/1 matrix of labels. */
export type Targets =
  | { readonly kind: 'single'; readonly y: Int32Array }
  | { readonly kind: 'multi'; readonly y: Uint8Array };

/**
 * How rows count: single-label, one weight per row (its class weight, `--balance`);
 * multi-label, one weight per label for its positive rows (n_negative / n_positive with
 * `--balance`, else 1).
 */
export type LossWeights =
  | { readonly kind: 'single'; readonly row: Float64Array }
  | { readonly kind: 'multi'; readonly positive: Float64Array };

/** log(1 + e^z) without overflow. */
export function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/**
 * The weighted mean loss of `n` rows of `logits` (n x k), and its gradient with respect to
 * the logits in `dLogits` when given.
 */
export function lossOnLogits(t: Targets, w: LossWeights, logits: Float64Array, n: number, k: number, dLogits: Float64Array | null): number {
  if (t.kind === 'single') {
    const row = (w as Extract<LossWeights, { kind: 'single' }>).row;
    let total = 0;
    let wSum = 0;
    for (let i = 0; i < n; i++) wSum += row[i];
    const norm = wSum > 0 ? 1 / wSum : 0;
    for (let i = 0; i < n; i++) {
      const o = i * k;
      let max = -Infinity;
      for (let c = 0; c < k; c++) if (logits[o + c] > max) max = logits[o + c];
      let sum = 0;
      for (let c = 0; c < k; c++) sum += Math.exp(logits[o + c] - max);
      const logZ = max + Math.log(sum);
      const yi = t.y[i];
      total += row[i] * (logZ - logits[o + yi]);
      if (dLogits) {
        const s = row[i] * norm;
        for (let c = 0; c < k; c++) dLogits[o + c] = s * (Math.exp(logits[o + c] - logZ) - (c === yi ? 1 : 0));
      }
    }
    return total * norm;
  }
  const pos = (w as Extract<LossWeights, { kind: 'multi' }>).positive;
  const norm = n > 0 ? 1 / n : 0;
  let total = 0;
  for (let i = 0; i < n * k; i++) {
    const z = logits[i];
    const c = i % k;
    if (t.y[i]) {
      total += pos[c] * softplus(-z);
      if (dLogits) dLogits[i] = norm * pos[c] * (sigmoid(z) - 1);
    } else {
      total += softplus(z);
      if (dLogits) dLogits[i] = norm * sigmoid(z);
    }
  }
  return total * norm;
}

/** Balanced class weights, n / (k · n_c) for the class of each row (sklearn's "balanced"). */
export function balancedRowWeights(y: Int32Array, k: number): Float64Array {
  const counts = new Float64Array(k);
  for (const c of y) counts[c]++;
  const present = counts.filter((c) => c > 0).length;
  const out = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) out[i] = y.length / (present * counts[y[i]]);
  return out;
}

/** Per-label positive weights n_negative / n_positive (1 for a label without positives). */
export function balancedPositiveWeights(y: Uint8Array, n: number, k: number): Float64Array {
  const pos = new Float64Array(k);
  for (let i = 0; i < n * k; i++) if (y[i]) pos[i % k]++;
  return pos.map((p) => (p > 0 ? (n - p) / p : 1));
}

/**
 * `--balance` weights per class (per label, multi-label): the weight a row of class c gets
 * from {@link balancedRowWeights}, or label c's positive weight from
 * {@link balancedPositiveWeights}. A class without rows gets 1: it weighs nothing in the
 * loss, and the report shows the weight the fit used rather than a made-up one.
 */
export function balancedClassWeights(t: Targets, k: number): Float64Array {
  if (t.kind === 'multi') return balancedPositiveWeights(t.y, t.y.length / k, k);
  const perClass = new Float64Array(k).fill(1);
  const w = balancedRowWeights(t.y, k);
  t.y.forEach((c, i) => (perClass[c] = w[i]));
  return perClass;
}
