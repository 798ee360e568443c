import { optionError, OptionError } from '../errors.js';
import { READ_OPTION_KEYS } from '../io/read-options.js';
import { boolOption, checkKnownKeys, choiceOption, intOption, splitKeys, stringOption } from '../options.js';
import type { PoolingMode } from '../model/pooling-graph.js';
import type { FitSettings } from '../train/fit-head.js';
import type { JobOptions } from './job-options.js';

/** The job options train-head and evaluate pass on to the job that embeds or labels the rows. */
export const PASSED_JOB_KEYS = [
  'model', ...READ_OPTION_KEYS, 'maxLength', 'batchTokens', 'device', 'workers', 'threads', 'windowRows',
  'onError', 'maxRejects', 'batchTimeoutMs', 'quiet', 'signal', 'onProgress', 'log',
] as const satisfies readonly (keyof JobOptions)[];

/** L2 strengths cross-validated by default: half decades from 1e-4 to 1. */
export const DEFAULT_L2_GRID: readonly number[] = Object.freeze([1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1]);

/** Options of {@link trainHead}: a labelled input in, a classifier model folder out. */
export interface TrainHeadOptions extends Pick<JobOptions, (typeof PASSED_JOB_KEYS)[number]> {
  /** A labelled file, folder or glob (any input format; not stdin: it is read twice). */
  input: string;
  /** The model folder to write. */
  out: string;
  /** Column (JSONL field) holding the label. Default `label`. */
  labelColumn?: string;
  /** Several labels per row, split on `labelSeparator`; sigmoid outputs. */
  multiLabel?: boolean;
  /** Separator of a multi-label cell. Default `|`. */
  labelSeparator?: string;
  /** Hidden ReLU units of a one-hidden-layer MLP head; 0 (default): logistic regression. */
  hidden?: number;
  /** Cross-validation folds. Default 5. */
  folds?: number;
  /** L2 strength, or the strengths to choose from by cross-validation. Default {@link DEFAULT_L2_GRID}. */
  l2?: number | readonly number[];
  /** Weight classes (labels) inversely to their frequency. */
  balance?: boolean;
  /** Seed of the fold shuffle and the MLP's initial weights. Default 1. */
  seed?: number;
  /** Optimizer iterations at most per fit. Default 500. */
  maxIterations?: number;
  /** Early stopping: iterations without a better held-out loss. Default 20; 0 turns it off. */
  patience?: number;
  /** Pooling of the base model's hidden states (as `albert embed --pooling`). Default mean. */
  pooling?: PoolingMode;
  /** L2-normalize the pooled vector before standardization. Default true. */
  normalize?: boolean;
  /** Keep the embedding job in this folder, and reuse it when it is complete for the same input and options. */
  embeddings?: string;
  /** Replace the files of a model folder already at `out`. */
  overwrite?: boolean;
}

export interface ResolvedTrainHeadOptions {
  readonly input: string;
  readonly out: string;
  readonly labelColumn: string;
  readonly multiLabel: boolean;
  readonly separator: string | null;
  readonly fit: FitSettings;
  readonly pooling: PoolingMode;
  readonly normalize: boolean;
  readonly embeddings: string | null;
  readonly overwrite: boolean;
  /** What the embedding job gets as is. */
  readonly job: Readonly<Record<string, unknown>>;
}

const OWN_KEYS = ['input', 'out', 'labelColumn', 'multiLabel', 'labelSeparator', 'hidden', 'folds', 'l2', 'balance', 'seed', 'maxIterations', 'patience', 'pooling', 'normalize', 'embeddings', 'overwrite'];

export function resolveTrainHeadOptions(o: TrainHeadOptions): ResolvedTrainHeadOptions {
  checkKnownKeys(o as unknown as Record<string, unknown>, [...OWN_KEYS, ...PASSED_JOB_KEYS], 'train-head options');
  const [, job] = splitKeys(o as unknown as Record<string, unknown>, OWN_KEYS);
  if (typeof o.input !== 'string' || o.input === '') throw optionError('input', o.input, 'a labelled file, folder or glob');
  const out = stringOption('--out', o.out, null);
  if (out === null) throw new OptionError('ALB_OPTION_MISSING', 'option --out: the model folder to write is required', { option: '--out' });
  const multiLabel = boolOption('--multi-label', o.multiLabel, false);
  const separator = stringOption('--label-separator', o.labelSeparator, '|');
  if (o.labelSeparator !== undefined && !multiLabel) throw new OptionError('ALB_OPTION_CONFLICT', 'option --label-separator splits multi-label cells; pass --multi-label with it', { option: '--label-separator' });
  const l2Raw = o.l2 ?? DEFAULT_L2_GRID;
  const l2 = typeof l2Raw === 'number' ? [l2Raw] : [...l2Raw];
  if (l2.length === 0 || !l2.every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw optionError('--l2', o.l2, 'a non-negative number or a list of them');
  const fit: FitSettings = Object.freeze({
    hidden: intOption('--hidden', o.hidden, 0, 0, 4096),
    folds: intOption('--folds', o.folds, 5, 2, 100),
    l2: Object.freeze([...new Set(l2)]),
    balance: boolOption('--balance', o.balance, false),
    seed: intOption('--seed', o.seed, 1, 0, 2 ** 32 - 1),
    maxIterations: intOption('--max-iterations', o.maxIterations, 500, 1, 100_000),
    patience: intOption('--patience', o.patience, 20, 0, 100_000),
  });
  return Object.freeze({
    input: o.input,
    out,
    labelColumn: stringOption('--label-column', o.labelColumn, 'label'),
    multiLabel,
    separator: multiLabel ? separator : null,
    fit,
    pooling: choiceOption('--pooling', o.pooling, ['mean', 'cls', 'max'] as const, 'mean'),
    normalize: boolOption('--normalize', o.normalize, true),
    embeddings: stringOption('--embeddings', o.embeddings, null),
    overwrite: boolOption('--overwrite', o.overwrite, false),
    job: Object.freeze(job),
  });
}
