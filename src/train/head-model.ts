/**
 * The head a trained model folder ends in: a linear layer (multinomial or per-label
 * logistic regression) or one hidden ReLU layer and a linear layer (an MLP), on
 * standardized pooled embeddings. Parameters live in one flat Float64Array while training,
 * laid out as [W1 (d x h), b1 (h), W2 (h x k), b2 (k)] for an MLP and [W (d x k), b (k)]
 * for a linear head, row-major, so the optimizer sees one vector.
 */

export interface HeadShape {
  /** Input width: the pooled embedding's size. */
  readonly d: number;
  /** Hidden units; 0 for a linear head. */
  readonly hidden: number;
  /** Outputs: classes (softmax) or labels (sigmoid). */
  readonly k: number;
}

/** Where each block sits in the flat parameter vector. */
export interface HeadLayout {
  readonly size: number;
  /** [offset, length] of the weight matrices, the only parameters the L2 penalty reaches. */
  readonly weights: ReadonlyArray<readonly [number, number]>;
}

export function headLayout(s: HeadShape): HeadLayout {
  if (s.hidden === 0) return { size: s.d * s.k + s.k, weights: [[0, s.d * s.k]] };
  const w1 = s.d * s.hidden;
  const w2At = w1 + s.hidden;
  return { size: w2At + s.hidden * s.k + s.k, weights: [[0, w1], [w2At, s.hidden * s.k]] };
}

/**
 * Initial parameters: zeros for a linear head (its loss is convex, so the start does not
 * matter and zeros keep it reproducible), Glorot-uniform weights from `rand` for an MLP,
 * whose hidden units must start apart.
 */
export function initialParams(s: HeadShape, rand: () => number): Float64Array {
  const p = new Float64Array(headLayout(s).size);
  if (s.hidden === 0) return p;
  const fill = (at: number, fanIn: number, fanOut: number) => {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    for (let i = 0; i < fanIn * fanOut; i++) p[at + i] = (2 * rand() - 1) * limit;
  };
  fill(0, s.d, s.hidden);
  fill(s.d * s.hidden + s.hidden, s.hidden, s.k);
  return p;
}

/** `out[n x k] = x[n x d] · w[d x k] + b[k]`, for row-major arrays of any float type. */
export function affine(x: ArrayLike<number>, n: number, d: number, w: ArrayLike<number>, wAt: number, b: ArrayLike<number>, bAt: number, k: number, out: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const o = i * k;
    for (let c = 0; c < k; c++) out[o + c] = b[bAt + c];
    const xi = i * d;
    for (let j = 0; j < d; j++) {
      const v = x[xi + j];
      if (v === 0) continue;
      const wj = wAt + j * k;
      for (let c = 0; c < k; c++) out[o + c] += v * w[wj + c];
    }
  }
}

/** Buffers one forward/backward pass over `n` rows reuses. */
export interface HeadWork {
  readonly n: number;
  /** n x hidden activations after ReLU (MLP only). */
  readonly act: Float64Array;
  /** n x k logits. */
  readonly logits: Float64Array;
}

export function headWork(s: HeadShape, n: number): HeadWork {
  return { n, act: new Float64Array(s.hidden > 0 ? n * s.hidden : 0), logits: new Float64Array(n * s.k) };
}

/** Logits of `n` rows of `x` into `work.logits`. */
export function forward(s: HeadShape, p: ArrayLike<number>, x: ArrayLike<number>, work: HeadWork): Float64Array {
  const { n } = work;
  if (s.hidden === 0) {
    affine(x, n, s.d, p, 0, p, s.d * s.k, s.k, work.logits);
    return work.logits;
  }
  const h = s.hidden;
  const b1 = s.d * h;
  affine(x, n, s.d, p, 0, p, b1, h, work.act);
  for (let i = 0; i < work.act.length; i++) if (work.act[i] < 0) work.act[i] = 0;
  affine(work.act, n, h, p, b1 + h, p, b1 + h + h * s.k, s.k, work.logits);
  return work.logits;
}

/**
 * Adds d(loss)/d(params) to `grad`, given d(loss)/d(logits) for the rows of the last
 * {@link forward} with the same `work` (it overwrites `work.act` with the hidden gradient).
 */
export function backward(s: HeadShape, p: ArrayLike<number>, x: ArrayLike<number>, work: HeadWork, dLogits: Float64Array, grad: Float64Array): void {
  const { n } = work;
  const k = s.k;
  if (s.hidden === 0) {
    accumulateOuter(x, n, s.d, dLogits, k, grad, 0, s.d * k);
    return;
  }
  const h = s.hidden;
  const w2 = s.d * h + h;
  accumulateOuter(work.act, n, h, dLogits, k, grad, w2, w2 + h * k);
  // dHidden = dLogits · W2ᵀ, through the ReLU (act > 0), written over act.
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < h; j++) {
      const a = i * h + j;
      if (work.act[a] <= 0) { work.act[a] = 0; continue; }
      let sum = 0;
      for (let c = 0; c < k; c++) sum += dLogits[i * k + c] * p[w2 + j * k + c];
      work.act[a] = sum;
    }
  }
  accumulateOuter(x, n, s.d, work.act, h, grad, 0, s.d * h);
}

/** grad[wAt + j*k + c] += Σ_i x[i,j]·g[i,c]; grad[bAt + c] += Σ_i g[i,c]. */
function accumulateOuter(x: ArrayLike<number>, n: number, d: number, g: Float64Array, k: number, grad: Float64Array, wAt: number, bAt: number): void {
  for (let i = 0; i < n; i++) {
    const gi = i * k;
    for (let c = 0; c < k; c++) grad[bAt + c] += g[gi + c];
    const xi = i * d;
    for (let j = 0; j < d; j++) {
      const v = x[xi + j];
      if (v === 0) continue;
      const wj = wAt + j * k;
      for (let c = 0; c < k; c++) grad[wj + c] += v * g[gi + c];
    }
  }
}
