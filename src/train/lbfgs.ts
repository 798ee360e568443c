/**
 * Limited-memory BFGS with a backtracking (Armijo) line search: a deterministic,
 * full-batch minimizer for the head's loss, the method sklearn also uses for small data.
 * Plain gradient descent needs thousands of steps on the same problem; this converges in
 * a few hundred at most.
 */

/** Loss at `x`, with its gradient written into `grad`. */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

export interface LbfgsOptions {
  /** Iterations (accepted steps) at most. */
  maxIter: number;
  /** Pairs of (step, gradient change) remembered. Default 10. */
  memory?: number;
  /** Stop when the largest gradient entry is below this. Default 1e-6. */
  gradTol?: number;
  /** Stop when the loss improves by less than this, relative, over one step. Default 1e-10. */
  lossTol?: number;
  /** Called after each accepted step; returning true stops the run (early stopping). */
  onIteration?: (iter: number, x: Float64Array, loss: number) => boolean | void;
}

export interface LbfgsResult {
  x: Float64Array;
  loss: number;
  iterations: number;
  /** Why it stopped. */
  reason: 'gradient' | 'loss' | 'max-iterations' | 'callback' | 'line-search';
}

const dot = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/**
 * Minimizes `f` from `x0` (not modified).
 *
 * @example
 * ```ts
 * const r = lbfgs((x, g) => { g[0] = 2 * (x[0] - 3); return (x[0] - 3) ** 2; }, new Float64Array(1), { maxIter: 50 });
 * r.x[0]; // 3
 * ```
 */
export function lbfgs(f: Objective, x0: Float64Array, o: LbfgsOptions): LbfgsResult {
  const m = o.memory ?? 10;
  const gradTol = o.gradTol ?? 1e-6;
  const lossTol = o.lossTol ?? 1e-10;
  const n = x0.length;
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let loss = f(x, g);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const dir = new Float64Array(n);
  const alpha = new Float64Array(m);
  let xNew = new Float64Array(n);
  let gNew = new Float64Array(n);
  const maxAbs = (v: Float64Array) => v.reduce((a, b) => Math.max(a, Math.abs(b)), 0);

  for (let iter = 1; iter <= o.maxIter; iter++) {
    if (maxAbs(g) < gradTol) return { x, loss, iterations: iter - 1, reason: 'gradient' };
    // Two-loop recursion: dir = -H·g.
    for (let i = 0; i < n; i++) dir[i] = -g[i];
    for (let j = S.length - 1; j >= 0; j--) {
      alpha[j] = rho[j] * dot(S[j], dir);
      for (let i = 0; i < n; i++) dir[i] -= alpha[j] * Y[j][i];
    }
    const gamma = S.length > 0 ? dot(S[S.length - 1], Y[Y.length - 1]) / dot(Y[Y.length - 1], Y[Y.length - 1]) : 1 / Math.max(Math.sqrt(dot(g, g)), 1e-12);
    for (let i = 0; i < n; i++) dir[i] *= gamma;
    for (let j = 0; j < S.length; j++) {
      const beta = rho[j] * dot(Y[j], dir);
      for (let i = 0; i < n; i++) dir[i] += S[j][i] * (alpha[j] - beta);
    }
    let slope = dot(g, dir);
    if (!(slope < 0)) {
      // Not a descent direction (curvature lost): restart from steepest descent.
      S.length = Y.length = rho.length = 0;
      for (let i = 0; i < n; i++) dir[i] = -g[i] / Math.max(Math.sqrt(dot(g, g)), 1e-12);
      slope = dot(g, dir);
    }
    let step = 1;
    let lossNew = Infinity;
    let accepted = false;
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i] + step * dir[i];
      gNew.fill(0);
      lossNew = f(xNew, gNew);
      if (Number.isFinite(lossNew) && lossNew <= loss + 1e-4 * step * slope) { accepted = true; break; }
      step *= 0.5;
    }
    if (!accepted) return { x, loss, iterations: iter - 1, reason: 'line-search' };
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) { s[i] = xNew[i] - x[i]; y[i] = gNew[i] - g[i]; }
    const sy = dot(s, y);
    if (sy > 1e-12) {
      if (S.length === m) { S.shift(); Y.shift(); rho.shift(); }
      S.push(s); Y.push(y); rho.push(1 / sy);
    }
    const improved = loss - lossNew;
    [x, xNew] = [xNew, x];
    [g, gNew] = [gNew, g];
    loss = lossNew;
    if (o.onIteration?.(iter, x, loss)) return { x, loss, iterations: iter, reason: 'callback' };
    if (improved <= lossTol * Math.max(Math.abs(loss), 1)) return { x, loss, iterations: iter, reason: 'loss' };
  }
  return { x, loss, iterations: o.maxIter, reason: 'max-iterations' };
}
