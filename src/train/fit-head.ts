/**
 * Fits a head on embeddings: L2 strength chosen by k-fold cross-validation (stratified,
 * seeded), early stopping on each fold's held-out rows, then one fit on all rows for the
 * iterations the folds needed. Pure: typed arrays in, parameters and figures out.
 */
import { backward, forward, headLayout, headWork, initialParams, type HeadShape } from './head-model.js';
import { lbfgs, type LbfgsResult } from './lbfgs.js';
import { balancedClassWeights, lossOnLogits, type LossWeights, type Targets } from './losses.js';
import { plainFolds, splitFold, stratifiedFolds } from './folds.js';
import { meanStd, multiLabelMetrics, singleLabelMetrics } from './metrics.js';
import { mulberry32 } from './random.js';
import { fitStandardizer, standardizeRows, type Standardizer } from './standardize.js';
import { probabilities, type TrainedHead } from './trained-head.js';

export interface HeadTrainingData {
  /** n x d pooled embeddings, row-major. */
  readonly x: Float32Array;
  readonly n: number;
  readonly d: number;
  readonly targets: Targets;
  /** Class (or label) names; targets index them. */
  readonly labels: readonly string[];
}

export interface FitSettings {
  /** Hidden ReLU units; 0 for logistic regression. */
  readonly hidden: number;
  readonly folds: number;
  /** L2 strengths to cross-validate (one: no choice, CV still reports its figures). */
  readonly l2: readonly number[];
  readonly balance: boolean;
  readonly seed: number;
  readonly maxIterations: number;
  /** Iterations without a better held-out loss before a fold's fit stops; 0: no early stopping, every fit runs to convergence. */
  readonly patience: number;
}

export interface CvFigures {
  l2: number;
  /** Mean held-out loss (the weighted training loss, without the penalty), what picks the L2. */
  logLoss: number;
  accuracy: { mean: number; std: number };
  macroF1: { mean: number; std: number };
  /** Per fold, the iteration with the lowest held-out loss. */
  bestIterations: number[];
}

export interface FitResult {
  head: TrainedHead;
  l2: number;
  iterations: number;
  cv: CvFigures[];
  chosen: CvFigures;
  /** Loss of the final fit on all rows (penalty included). */
  trainLoss: number;
  /**
   * Why L-BFGS stopped the final fit. `max-iterations` is the usual end with early
   * stopping (it runs the folds' median best iteration count); `line-search` means no step
   * lowered the loss, so the head may be far from fitted (at iteration 0: not fitted at all).
   */
  stopReason: LbfgsResult['reason'];
}

const penalty = (shape: HeadShape, l2: number) => {
  const blocks = headLayout(shape).weights;
  return (p: Float64Array, grad: Float64Array | null): number => {
    let s = 0;
    for (const [at, len] of blocks) {
      for (let i = at; i < at + len; i++) {
        s += p[i] * p[i];
        if (grad) grad[i] += l2 * p[i];
      }
    }
    return 0.5 * l2 * s;
  };
};

interface Split {
  readonly x: Float64Array;
  readonly n: number;
  readonly targets: Targets;
  readonly weights: LossWeights;
}

function subset(data: HeadTrainingData, rows: Int32Array, std: Standardizer, weightsFrom: Targets | null, balance: boolean): Split {
  const k = data.labels.length;
  const t = data.targets;
  const targets: Targets = t.kind === 'single'
    ? { kind: 'single', y: Int32Array.from(rows, (r) => t.y[r]) }
    : { kind: 'multi', y: (() => { const y = new Uint8Array(rows.length * k); rows.forEach((r, i) => y.set(t.y.subarray(r * k, r * k + k), i * k)); return y; })() };
  return { x: standardizeRows(data.x, data.d, rows, std), n: rows.length, targets, weights: lossWeights(weightsFrom ?? targets, targets, k, balance) };
}

/** Weights for `targets`; --balance computes class frequencies on `from` (the training rows). */
function lossWeights(from: Targets, targets: Targets, k: number, balance: boolean): LossWeights {
  const perClass = balance ? balancedClassWeights(from, k) : new Float64Array(k).fill(1);
  if (targets.kind === 'multi') return { kind: 'multi', positive: perClass };
  return { kind: 'single', row: Float64Array.from(targets.y, (c) => perClass[c]) };
}

/** Mean loss of `split` under `p` (no penalty). */
function heldOutLoss(shape: HeadShape, p: Float64Array, split: Split): number {
  const work = headWork(shape, split.n);
  return lossOnLogits(split.targets, split.weights, forward(shape, p, split.x, work), split.n, shape.k, null);
}

function fit(shape: HeadShape, train: Split, l2: number, init: Float64Array, maxIter: number, val: Split | null, patience: number) {
  const work = headWork(shape, train.n);
  const dLogits = new Float64Array(train.n * shape.k);
  const pen = penalty(shape, l2);
  const objective = (p: Float64Array, grad: Float64Array): number => {
    const logits = forward(shape, p, train.x, work);
    const loss = lossOnLogits(train.targets, train.weights, logits, train.n, shape.k, dLogits);
    grad.fill(0);
    backward(shape, p, train.x, work, dLogits, grad);
    return loss + pen(p, grad);
  };
  let best = { loss: Infinity, iter: 0, p: init };
  if (val) best = { loss: heldOutLoss(shape, init, val), iter: 0, p: init };
  const r = lbfgs(objective, init, {
    maxIter,
    onIteration: val
      ? (iter, p) => {
        const loss = heldOutLoss(shape, p, val);
        if (loss < best.loss - 1e-7 * Math.abs(best.loss)) best = { loss, iter, p: Float64Array.from(p) };
        return iter - best.iter >= patience;
      }
      : undefined,
  });
  return val ? { p: best.p, iterations: best.iter, loss: best.loss, reason: r.reason } : { p: r.x, iterations: r.iterations, loss: r.loss, reason: r.reason };
}

/** Progress of a fit: fits done of all the cross-validation needs, plus the final one. */
export type FitProgress = (done: number, total: number) => void;

/**
 * Cross-validates every L2 strength, picks the one with the lowest mean held-out loss,
 * and fits the head on all rows with it.
 *
 * @example
 * ```ts
 * const r = fitHead({ x, n, d: 256, targets: { kind: 'single', y }, labels }, { hidden: 0, folds: 5, l2: [0.001, 0.01, 0.1], balance: false, seed: 1, maxIterations: 500, patience: 20 });
 * r.chosen.accuracy.mean; // cross-validated accuracy at the chosen L2
 * ```
 */
export function fitHead(data: HeadTrainingData, s: FitSettings, onProgress: FitProgress = () => undefined): FitResult {
  const k = data.labels.length;
  const shape: HeadShape = { d: data.d, hidden: s.hidden, k };
  const rand = mulberry32(s.seed);
  const fold = data.targets.kind === 'single' ? stratifiedFolds(data.targets.y, k, s.folds, rand) : plainFolds(data.n, s.folds, rand);
  const init = initialParams(shape, rand);
  const grid = [...s.l2].sort((a, b) => b - a);
  const total = grid.length * s.folds + 1;
  let done = 0;
  const splits = Array.from({ length: s.folds }, (_, f) => {
    const [trainRows, valRows] = splitFold(fold, f);
    const std = fitStandardizer(data.x, data.d, trainRows);
    const train = subset(data, trainRows, std, null, s.balance);
    return { train, val: subset(data, valRows, std, train.targets, s.balance) };
  });
  const cv: CvFigures[] = grid.map((l2) => {
    const acc: number[] = [];
    const f1: number[] = [];
    const losses: number[] = [];
    const bestIterations: number[] = [];
    for (const { train, val } of splits) {
      const r = s.patience > 0 ? fit(shape, train, l2, init, s.maxIterations, val, s.patience) : { ...fit(shape, train, l2, init, s.maxIterations, null, 0), loss: 0 };
      if (s.patience === 0) r.loss = heldOutLoss(shape, r.p, val);
      const probs = probabilities(shape, data.targets.kind === 'single' ? 'softmax' : 'sigmoid', r.p, val.x, val.n);
      if (val.targets.kind === 'single') {
        const m = singleLabelMetrics(val.targets.y, probs, data.labels, k);
        acc.push(m.accuracy);
        f1.push(m.macro.f1);
      } else {
        const m = multiLabelMetrics(val.targets.y, probs, data.labels);
        acc.push(m.subsetAccuracy);
        f1.push(m.macro.f1);
      }
      losses.push(r.loss);
      bestIterations.push(r.iterations);
      onProgress(++done, total);
    }
    return { l2, logLoss: meanStd(losses).mean, accuracy: meanStd(acc), macroF1: meanStd(f1), bestIterations };
  });
  const chosen = cv.reduce((a, b) => (b.logLoss < a.logLoss ? b : a));
  const sorted = [...chosen.bestIterations].sort((a, b) => a - b);
  const iterations = s.patience > 0 ? Math.max(1, sorted[Math.floor(sorted.length / 2)]) : s.maxIterations;
  const all = Int32Array.from({ length: data.n }, (_, i) => i);
  const std = fitStandardizer(data.x, data.d, all);
  const train = subset(data, all, std, null, s.balance);
  const final = fit(shape, train, chosen.l2, init, iterations, null, s.patience);
  onProgress(++done, total);
  return {
    head: { shape, activation: data.targets.kind === 'single' ? 'softmax' : 'sigmoid', standardizer: std, params: Float32Array.from(final.p), labels: [...data.labels] },
    l2: chosen.l2,
    iterations: final.iterations,
    cv,
    chosen,
    trainLoss: final.loss,
    stopReason: final.reason,
  };
}
