/**
 * Feature standardization: each embedding dimension to mean 0 and standard deviation 1
 * over the training rows, so one L2 strength suits every dimension. The model graph
 * applies the same (x - mean) / std before the head.
 */

export interface Standardizer {
  readonly mean: Float32Array;
  /** Population standard deviation; 1 where a dimension is (nearly) constant. */
  readonly std: Float32Array;
}

/** Smaller spreads than this are a constant feature: dividing by them would only blow up noise. */
const MIN_STD = 1e-6;

/**
 * Mean and std of the rows `rows` of `x` (n x d), stored as float32: exactly the values
 * the ONNX graph holds, so TypeScript and the graph standardize alike.
 */
export function fitStandardizer(x: ArrayLike<number>, d: number, rows: ArrayLike<number>): Standardizer {
  const mean = new Float64Array(d);
  const sq = new Float64Array(d);
  const n = rows.length;
  for (let r = 0; r < n; r++) {
    const at = rows[r] * d;
    for (let j = 0; j < d; j++) mean[j] += x[at + j];
  }
  for (let j = 0; j < d; j++) mean[j] /= Math.max(n, 1);
  for (let r = 0; r < n; r++) {
    const at = rows[r] * d;
    for (let j = 0; j < d; j++) { const v = x[at + j] - mean[j]; sq[j] += v * v; }
  }
  const std = new Float32Array(d);
  for (let j = 0; j < d; j++) {
    const s = Math.sqrt(sq[j] / Math.max(n, 1));
    std[j] = s > MIN_STD ? s : 1;
  }
  return { mean: Float32Array.from(mean), std };
}

/** The rows `rows` of `x`, standardized, as a new n x d Float64Array. */
export function standardizeRows(x: ArrayLike<number>, d: number, rows: ArrayLike<number>, s: Standardizer): Float64Array {
  const out = new Float64Array(rows.length * d);
  for (let r = 0; r < rows.length; r++) {
    const at = rows[r] * d;
    for (let j = 0; j < d; j++) out[r * d + j] = (x[at + j] - s.mean[j]) / s.std[j];
  }
  return out;
}
