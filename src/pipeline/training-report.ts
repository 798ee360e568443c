import { createHash } from 'node:crypto';
import type { ModelFiles } from '../io/model-files.js';
import { packageInfo } from '../io/package-root.js';
import type { CvFigures, FitResult } from '../train/fit-head.js';
import type { Targets } from '../train/losses.js';
import type { RejectRecord } from './reject.js';
import type { ResolvedTrainHeadOptions } from './train-head-options.js';

export const TRAINING_REPORT_FORMAT = 'albert-pipeline/training-report@1';

interface CvRow {
  l2: number;
  log_loss: number;
  accuracy: { mean: number; std: number };
  macro_f1: { mean: number; std: number };
  best_iterations: number[];
}

/** training-report.json: what was trained on, how, and how well it cross-validated. */
export interface TrainingReport {
  format: typeof TRAINING_REPORT_FORMAT;
  tool: { name: 'albert-pipeline'; version: string };
  trained_at: string;
  base_model: { name: string; path: string; sha256: string };
  model_sha256: string;
  input: { path: string; label_column: string; multi_label: boolean; label_separator: string | null };
  rows: { read: number; used: number; not_used: number; not_used_by_code: Record<string, number> };
  /** Training rows per class (per label, multi-label: rows carrying it). */
  classes: Array<{ label: string; rows: number; weight?: number }>;
  head: { type: 'logistic-regression' | 'mlp'; hidden: number; activation: 'softmax' | 'sigmoid'; pooling: string; normalize: boolean; standardized: true; parameters: number };
  hyper_parameters: { l2: number; l2_grid: number[]; folds: number; balance: boolean; seed: number; max_iterations: number; patience: number; final_iterations: number };
  cross_validation: {
    /** What picks the L2: the lowest mean held-out loss. */
    selected_by: 'log_loss';
    /** `accuracy` is subset accuracy (all labels right) for a multi-label head. */
    accuracy_is: 'accuracy' | 'subset_accuracy';
    chosen: CvRow;
    by_l2: CvRow[];
  };
  train_loss: number;
  timings_s: { labels: number; embedding: number; fit: number; total: number };
}

const round = (v: number, digits = 6) => Number(v.toFixed(digits));
const cvRow = (c: CvFigures): CvRow => ({
  l2: c.l2,
  log_loss: round(c.logLoss),
  accuracy: { mean: round(c.accuracy.mean), std: round(c.accuracy.std) },
  macro_f1: { mean: round(c.macroF1.mean), std: round(c.macroF1.std) },
  best_iterations: c.bestIterations,
});

export interface ReportInput {
  o: ResolvedTrainHeadOptions;
  base: ModelFiles;
  names: readonly string[];
  fit: FitResult;
  targets: Targets;
  rowsRead: number;
  used: number;
  rejects: readonly RejectRecord[];
  modelBytes: Uint8Array;
  timings: TrainingReport['timings_s'];
}

export function trainingReport(r: ReportInput): TrainingReport {
  const { o, fit, names } = r;
  const k = names.length;
  const counts = new Array<number>(k).fill(0);
  if (r.targets.kind === 'single') for (const c of r.targets.y) counts[c]++;
  else r.targets.y.forEach((v, i) => { if (v) counts[i % k]++; });
  const byCode: Record<string, number> = {};
  for (const rej of r.rejects) byCode[rej.code] = (byCode[rej.code] ?? 0) + 1;
  const balancedWeight = (c: number) => (r.targets.kind === 'single' ? r.used / (k * counts[c]) : (r.used - counts[c]) / Math.max(counts[c], 1));
  return {
    format: TRAINING_REPORT_FORMAT,
    tool: { name: 'albert-pipeline', version: packageInfo().version },
    trained_at: new Date().toISOString(),
    base_model: { name: r.base.name, path: r.base.dir, sha256: r.base.onnxSha256 },
    model_sha256: createHash('sha256').update(r.modelBytes).digest('hex'),
    input: { path: o.input, label_column: o.labelColumn, multi_label: o.multiLabel, label_separator: o.separator },
    rows: { read: r.rowsRead, used: r.used, not_used: r.rejects.length, not_used_by_code: byCode },
    classes: names.map((label, c) => ({ label, rows: counts[c], ...(o.fit.balance ? { weight: round(balancedWeight(c)) } : {}) })),
    head: { ...headDescription(o, fit), parameters: fit.head.params.length },
    hyper_parameters: {
      l2: fit.l2, l2_grid: [...o.fit.l2], folds: o.fit.folds, balance: o.fit.balance, seed: o.fit.seed,
      max_iterations: o.fit.maxIterations, patience: o.fit.patience, final_iterations: fit.iterations,
    },
    cross_validation: {
      selected_by: 'log_loss',
      accuracy_is: o.multiLabel ? 'subset_accuracy' : 'accuracy',
      chosen: cvRow(fit.chosen),
      by_l2: fit.cv.map(cvRow),
    },
    train_loss: round(fit.trainLoss),
    timings_s: Object.fromEntries(Object.entries(r.timings).map(([key, v]) => [key, round(v, 3)])) as TrainingReport['timings_s'],
  };
}

function headDescription(o: ResolvedTrainHeadOptions, fit: FitResult) {
  return {
    type: fit.head.shape.hidden > 0 ? 'mlp' as const : 'logistic-regression' as const,
    hidden: fit.head.shape.hidden,
    activation: fit.head.activation,
    pooling: o.pooling,
    normalize: o.normalize,
    standardized: true as const,
  };
}

/**
 * The classifier's config.json: the base model's, as a sequence classifier with the
 * trained labels, and what the head is (so `albert inspect` and a reader can tell).
 */
export function headConfig(base: ModelFiles, names: readonly string[], o: ResolvedTrainHeadOptions, fit: FitResult): Record<string, unknown> {
  return {
    ...(base.config as Record<string, unknown>),
    architectures: ['AlbertForSequenceClassification'],
    id2label: Object.fromEntries(names.map((n, i) => [String(i), n])),
    label2id: Object.fromEntries(names.map((n, i) => [n, i])),
    problem_type: o.multiLabel ? 'multi_label_classification' : 'single_label_classification',
    albert_pipeline_head: {
      trained_by: 'albert train-head',
      ...headDescription(o, fit),
      base_model: base.name,
      base_model_sha256: base.onnxSha256,
      ...(o.multiLabel ? { label_separator: o.separator } : {}),
    },
  };
}
