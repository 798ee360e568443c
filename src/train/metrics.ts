/**
 * Classification metrics: accuracy, precision/recall/F1 per class and their macro mean,
 * the confusion matrix, and calibration (expected calibration error). Pure functions of
 * labels and probabilities, shared by cross-validation and `albert evaluate`.
 */

export interface ClassMetrics {
  label: string;
  /** Rows whose true label is this one. */
  support: number;
  /** Rows predicted as this one. */
  predicted: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface CalibrationBin {
  /** Confidence range [lo, hi). */
  lo: number;
  hi: number;
  count: number;
  /** Mean confidence of the rows in the bin. */
  confidence: number;
  /** Fraction of them that were right. */
  accuracy: number;
}

export interface Calibration {
  /** Σ (count/n) · |accuracy - confidence| over the bins. */
  ece: number;
  bins: CalibrationBin[];
}

export interface SingleLabelMetrics {
  rows: number;
  accuracy: number;
  macro: { precision: number; recall: number; f1: number };
  /** Per class; `truth` labels the model does not have come after the model's. */
  classes: ClassMetrics[];
  /** `confusion[t][p]`: rows of true class t (by `classes` order) predicted as model label p. */
  confusion: number[][];
  /** Mean -log p(true class) (rows whose label the model lacks are left out). */
  logLoss: number;
  calibration: Calibration;
}

const safeDiv = (a: number, b: number) => (b > 0 ? a / b : 0);
const f1Of = (p: number, r: number) => (p + r > 0 ? (2 * p * r) / (p + r) : 0);

/** The index of each row's largest probability. */
export function argmaxRows(probs: ArrayLike<number>, n: number, k: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (probs[i * k + c] > probs[i * k + best]) best = c;
    out[i] = best;
  }
  return out;
}

/**
 * Metrics of single-label predictions. `truth[i]` indexes `truthLabels`, whose first k
 * entries are the model's labels in its order; any after them are labels the model cannot
 * predict (always wrong). Macro means run over the classes that occur in the truth or the
 * predictions, as sklearn's do.
 *
 * @example
 * ```ts
 * const m = singleLabelMetrics(Int32Array.of(0, 1), Float32Array.of(0.9, 0.1, 0.4, 0.6), ['a', 'b'], 2);
 * m.accuracy; // 1
 * ```
 */
export function singleLabelMetrics(truth: Int32Array, probs: ArrayLike<number>, truthLabels: readonly string[], k: number, bins = 15): SingleLabelMetrics {
  const n = truth.length;
  const pred = argmaxRows(probs, n, k);
  const t = truthLabels.length;
  const confusion = Array.from({ length: t }, () => new Array<number>(k).fill(0));
  let right = 0;
  let logLoss = 0;
  let known = 0;
  const confidence = new Float64Array(n);
  const correct = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    confusion[truth[i]][pred[i]]++;
    confidence[i] = probs[i * k + pred[i]];
    if (truth[i] === pred[i]) { right++; correct[i] = 1; }
    if (truth[i] < k) {
      logLoss -= Math.log(Math.max(probs[i * k + truth[i]], 1e-15));
      known++;
    }
  }
  const classes: ClassMetrics[] = truthLabels.map((label, c) => {
    const support = confusion[c].reduce((a, b) => a + b, 0);
    const predicted = c < k ? confusion.reduce((a, row) => a + row[c], 0) : 0;
    const tp = c < k ? confusion[c][c] : 0;
    const precision = safeDiv(tp, predicted);
    const recall = safeDiv(tp, support);
    return { label, support, predicted, precision, recall, f1: f1Of(precision, recall) };
  });
  const seen = classes.filter((c) => c.support > 0 || c.predicted > 0);
  const mean = (f: (c: ClassMetrics) => number) => safeDiv(seen.reduce((a, c) => a + f(c), 0), seen.length);
  return {
    rows: n,
    accuracy: safeDiv(right, n),
    macro: { precision: mean((c) => c.precision), recall: mean((c) => c.recall), f1: mean((c) => c.f1) },
    classes,
    confusion,
    logLoss: safeDiv(logLoss, known),
    calibration: calibration(confidence, correct, bins),
  };
}

/**
 * Reliability in `bins` equal-width confidence bins: how often predictions made with
 * confidence p were right, against p. A calibrated model has accuracy ≈ confidence.
 */
export function calibration(confidence: ArrayLike<number>, correct: ArrayLike<number>, bins = 15): Calibration {
  const count = new Float64Array(bins);
  const conf = new Float64Array(bins);
  const acc = new Float64Array(bins);
  const n = confidence.length;
  for (let i = 0; i < n; i++) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor(confidence[i] * bins)));
    count[b]++;
    conf[b] += confidence[i];
    acc[b] += correct[i];
  }
  let ece = 0;
  const out: CalibrationBin[] = [];
  for (let b = 0; b < bins; b++) {
    const c = count[b];
    const bin = { lo: b / bins, hi: (b + 1) / bins, count: c, confidence: safeDiv(conf[b], c), accuracy: safeDiv(acc[b], c) };
    ece += safeDiv(c, n) * Math.abs(bin.accuracy - bin.confidence);
    out.push(bin);
  }
  return { ece, bins: out };
}

/** Coverage and accuracy when rows below a score get no label (`albert label --min-score`). */
export interface ThresholdRow {
  minScore: number;
  /** Rows at or above the threshold, as a fraction. */
  coverage: number;
  /** Rows below it, which `--min-score` writes as null. */
  below: number;
  /** Accuracy on the rows that keep a label. */
  accuracy: number;
}

export function thresholdTable(truth: Int32Array, probs: ArrayLike<number>, k: number, thresholds: readonly number[]): ThresholdRow[] {
  const n = truth.length;
  const pred = argmaxRows(probs, n, k);
  return thresholds.map((s) => {
    let kept = 0;
    let right = 0;
    for (let i = 0; i < n; i++) {
      if (probs[i * k + pred[i]] < s) continue;
      kept++;
      if (pred[i] === truth[i]) right++;
    }
    return { minScore: s, coverage: safeDiv(kept, n), below: n - kept, accuracy: safeDiv(right, kept) };
  });
}

export interface MultiLabelMetrics {
  rows: number;
  /** Rows whose predicted label set is exactly the true one. */
  subsetAccuracy: number;
  /** Wrong (row, label) decisions, as a fraction of all. */
  hammingLoss: number;
  micro: { precision: number; recall: number; f1: number };
  macro: { precision: number; recall: number; f1: number };
  labels: ClassMetrics[];
  /** Of each sigmoid's probability, against how often the label was there. */
  calibration: Calibration;
  /** Mean binary cross-entropy per (row, label). */
  logLoss: number;
}

/** Metrics of multi-label predictions: label j is predicted when its probability > threshold. */
export function multiLabelMetrics(truth: Uint8Array, probs: ArrayLike<number>, labels: readonly string[], threshold = 0.5, bins = 15): MultiLabelMetrics {
  const k = labels.length;
  const n = truth.length / k;
  const tp = new Float64Array(k);
  const fp = new Float64Array(k);
  const fn = new Float64Array(k);
  let exact = 0;
  let wrong = 0;
  let logLoss = 0;
  const conf = new Float64Array(n * k);
  const hit = new Uint8Array(n * k);
  for (let i = 0; i < n; i++) {
    let same = true;
    for (let c = 0; c < k; c++) {
      const p = probs[i * k + c];
      const y = truth[i * k + c] === 1;
      const yes = p > threshold;
      if (yes && y) tp[c]++;
      else if (yes) fp[c]++;
      else if (y) fn[c]++;
      if (yes !== y) { same = false; wrong++; }
      logLoss -= Math.log(Math.max(y ? p : 1 - p, 1e-15));
      conf[i * k + c] = p;
      hit[i * k + c] = y ? 1 : 0;
    }
    if (same) exact++;
  }
  const per: ClassMetrics[] = labels.map((label, c) => {
    const precision = safeDiv(tp[c], tp[c] + fp[c]);
    const recall = safeDiv(tp[c], tp[c] + fn[c]);
    return { label, support: tp[c] + fn[c], predicted: tp[c] + fp[c], precision, recall, f1: f1Of(precision, recall) };
  });
  const sum = (a: Float64Array) => a.reduce((x, y) => x + y, 0);
  const microP = safeDiv(sum(tp), sum(tp) + sum(fp));
  const microR = safeDiv(sum(tp), sum(tp) + sum(fn));
  const mean = (f: (c: ClassMetrics) => number) => safeDiv(per.reduce((a, c) => a + f(c), 0), k);
  return {
    rows: n,
    subsetAccuracy: safeDiv(exact, n),
    hammingLoss: safeDiv(wrong, n * k),
    micro: { precision: microP, recall: microR, f1: f1Of(microP, microR) },
    macro: { precision: mean((c) => c.precision), recall: mean((c) => c.recall), f1: mean((c) => c.f1) },
    labels: per,
    calibration: calibration(conf, hit, bins),
    logLoss: safeDiv(logLoss, n * k),
  };
}

/** Mean and (population) standard deviation. */
export function meanStd(values: readonly number[]): { mean: number; std: number } {
  const mean = safeDiv(values.reduce((a, b) => a + b, 0), values.length);
  const std = Math.sqrt(safeDiv(values.reduce((a, b) => a + (b - mean) ** 2, 0), values.length));
  return { mean, std };
}
