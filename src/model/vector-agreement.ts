/**
 * How alike two sets of row vectors are (the same rows from two models, or two systems):
 * per-row cosine, its min and mean, rows below a threshold, and the largest absolute
 * difference. Used by the variant accuracy check and the bench's agreement check.
 */
export interface VectorAgreement {
  rows: number;
  min_cosine: number;
  mean_cosine: number;
  /** Rows whose cosine is below `threshold`. */
  rows_below: number;
  threshold: number;
  max_abs_diff: number;
  /** The row with the lowest cosine (-1 with no rows). */
  worst_row: number;
}

/**
 * Compares row-major [rows, width] float vectors.
 *
 * @example
 * ```ts
 * vectorAgreement(a, b, 256, 0.99).min_cosine; // 0.9997
 * ```
 */
export function vectorAgreement(x: Float32Array, y: Float32Array, width: number, threshold: number): VectorAgreement {
  const rows = Math.floor(x.length / Math.max(1, width));
  let min = Infinity;
  let sum = 0;
  let below = 0;
  let maxAbs = 0;
  let worst = -1;
  for (let r = 0; r < rows; r++) {
    let dot = 0;
    let nx = 0;
    let ny = 0;
    for (let h = r * width; h < (r + 1) * width; h++) {
      dot += x[h] * y[h];
      nx += x[h] * x[h];
      ny += y[h] * y[h];
      maxAbs = Math.max(maxAbs, Math.abs(x[h] - y[h]));
    }
    const cos = dot / Math.max(Math.sqrt(nx * ny), 1e-30);
    sum += cos;
    if (cos < threshold) below++;
    if (cos < min) {
      min = cos;
      worst = r;
    }
  }
  return { rows, min_cosine: rows ? min : NaN, mean_cosine: rows ? sum / rows : NaN, rows_below: below, threshold, max_abs_diff: maxAbs, worst_row: worst };
}
