import { createHash } from 'node:crypto';
import type { ModelFiles } from '../io/model-files.js';
import { packageInfo } from '../io/package-root.js';
import { ModelError } from '../errors.js';
import type { CvFigures, FitResult } from '../train/fit-head.js';
import { balancedClassWeights, type Targets } from '../train/losses.js';
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
  /** `max_length`: the tokens per row the embeddings were made with; a job on the folder defaults to it. */
  head: { type: 'logistic-regression' | 'mlp'; hidden: number; activation: 'softmax' | 'sigmoid'; pooling: string; normalize: boolean; max_length: number; standardized: true; parameters: number };
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
  /** Why the optimizer stopped the final fit on all rows (see FitResult.stopReason). */
  final_stop_reason: FitResult['stopReason'];
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
  /** Max length (tokens) of the embedding job, as its manifest records it. */
  maxLength: number;
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
  // The weights the final fit used, from the same function, so the report cannot disagree with the loss.
  const weights = o.fit.balance ? balancedClassWeights(r.targets, k) : null;
  return {
    format: TRAINING_REPORT_FORMAT,
    tool: { name: 'albert-pipeline', version: packageInfo().version },
    trained_at: new Date().toISOString(),
    base_model: { name: r.base.name, path: r.base.dir, sha256: r.base.onnxSha256 },
    model_sha256: createHash('sha256').update(r.modelBytes).digest('hex'),
    input: { path: o.input, label_column: o.labelColumn, multi_label: o.multiLabel, label_separator: o.separator },
    rows: { read: r.rowsRead, used: r.used, not_used: r.rejects.length, not_used_by_code: byCode },
    classes: names.map((label, c) => ({ label, rows: counts[c], ...(weights ? { weight: round(weights[c]) } : {}) })),
    head: { ...headDescription(o, fit, r.maxLength), parameters: fit.head.params.length },
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
    final_stop_reason: fit.stopReason,
    timings_s: Object.fromEntries(Object.entries(r.timings).map(([key, v]) => [key, round(v, 3)])) as TrainingReport['timings_s'],
  };
}

function headDescription(o: ResolvedTrainHeadOptions, fit: FitResult, maxLength: number) {
  return {
    type: fit.head.shape.hidden > 0 ? 'mlp' as const : 'logistic-regression' as const,
    hidden: fit.head.shape.hidden,
    activation: fit.head.activation,
    pooling: o.pooling,
    normalize: o.normalize,
    max_length: maxLength,
    standardized: true as const,
  };
}

/**
 * The classifier's config.json: the base model's, as a sequence classifier with the
 * trained labels, and what the head is (so `albert inspect` and a reader can tell).
 */
export function headConfig(base: ModelFiles, names: readonly string[], o: ResolvedTrainHeadOptions, fit: FitResult, maxLength: number): Record<string, unknown> {
  return {
    ...(base.config as Record<string, unknown>),
    architectures: ['AlbertForSequenceClassification'],
    id2label: Object.fromEntries(names.map((n, i) => [String(i), n])),
    label2id: Object.fromEntries(names.map((n, i) => [n, i])),
    problem_type: o.multiLabel ? 'multi_label_classification' : 'single_label_classification',
    albert_pipeline_head: {
      trained_by: 'albert train-head',
      ...headDescription(o, fit, maxLength),
      base_model: base.name,
      base_model_sha256: base.onnxSha256,
      ...(o.multiLabel ? { label_separator: o.separator } : {}),
    },
  };
}

/**
 * The max length a trained head's config.json records (`albert_pipeline_head.max_length`),
 * or null for a folder without one (not a trained head, or one trained before it was
 * recorded). A job on the folder defaults to it: the head was fitted on embeddings of rows
 * cut there, and rows cut elsewhere give it features it never saw.
 */
export function headMaxLength(config: unknown, path: string, maxPositions: number): number | null {
  const head = (config as { albert_pipeline_head?: unknown } | null)?.albert_pipeline_head;
  if (typeof head !== 'object' || head === null || !('max_length' in head)) return null;
  const v = (head as { max_length: unknown }).max_length;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 2 || v > maxPositions) {
    throw new ModelError('ALB_MODEL_CONFIG_INVALID', `${path}: albert_pipeline_head.max_length must be an integer from 2 to max_position_embeddings (${maxPositions}), got ${JSON.stringify(v)}; fix it, or pass --max-length`, { path, key: 'albert_pipeline_head.max_length', got: v });
  }
  return v;
}
