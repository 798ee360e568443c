import { optionError, OptionError } from '../errors.js';
import { choiceOption, intOption } from '../options.js';

/**
 * What happens to a row longer than the max length: `truncate` (cut, flagged), `reject`
 * (ALB_ROW_TOO_LONG), or `split` into overlapping windows whose results the task merges.
 */
export type LongMode = 'truncate' | 'split' | 'reject';

export const LONG_MODES: readonly LongMode[] = ['truncate', 'split', 'reject'];

export interface LongOptions {
  /** Rows longer than the max length (default `truncate`). */
  long?: LongMode;
  /** `split`: tokens per window, [CLS] and [SEP] included (default: the max length). */
  chunkTokens?: number;
  /** `split`: tokens each window repeats from the one before (default: 1/8 of --chunk-tokens). */
  chunkOverlap?: number;
}

export const LONG_OPTION_KEYS: readonly (keyof LongOptions)[] = ['long', 'chunkTokens', 'chunkOverlap'];

/** The long-document options before the model is known (the default window is its max length). */
export interface ResolvedLongOptions {
  readonly mode: LongMode;
  readonly chunkTokens: number | null;
  readonly chunkOverlap: number | null;
}

/** The long-document policy of a job, every number known. */
export interface LongPolicy {
  readonly mode: LongMode;
  /** Tokens per window with [CLS]/[SEP]; the max length when not splitting. */
  readonly chunkTokens: number;
  readonly chunkOverlap: number;
}

/** Counts the manifest keeps under `counts` (summed over parts, shards and resumes). */
export const LONG_COUNTS = {
  rowsSplit: 'long.rows_split',
  windows: 'long.windows',
  rowsTruncated: 'long.rows_truncated',
  rowsRejected: 'long.rows_rejected',
} as const;

/**
 * @example
 * ```ts
 * resolveLongOptions({ long: 'split', chunkTokens: 256 }); // { mode: 'split', chunkTokens: 256, chunkOverlap: null }
 * ```
 */
export function resolveLongOptions(o: LongOptions): ResolvedLongOptions {
  const mode = choiceOption('--long', o.long, LONG_MODES, 'truncate');
  const chunkTokens = o.chunkTokens === undefined ? null : intOption('--chunk-tokens', o.chunkTokens, 0, 3, 1 << 20);
  const chunkOverlap = o.chunkOverlap === undefined ? null : intOption('--chunk-overlap', o.chunkOverlap, 0, 0, 1 << 20);
  if (mode !== 'split' && (chunkTokens !== null || chunkOverlap !== null)) {
    const flag = chunkTokens !== null ? '--chunk-tokens' : '--chunk-overlap';
    throw new OptionError('ALB_OPTION_CONFLICT', `option ${flag} shapes the windows of --long split; this job has --long ${mode}`, { option: flag });
  }
  return Object.freeze({ mode, chunkTokens, chunkOverlap });
}

/**
 * The policy for a model's max length: windows of at most the max length, overlapping by
 * 1/8 of their size unless told.
 *
 * @example
 * ```ts
 * longPolicy({ mode: 'split', chunkTokens: null, chunkOverlap: null }, 512); // { mode: 'split', chunkTokens: 512, chunkOverlap: 64 }
 * ```
 */
export function longPolicy(o: ResolvedLongOptions, maxLength: number): LongPolicy {
  const chunkTokens = o.chunkTokens ?? maxLength;
  if (chunkTokens > maxLength) throw optionError('--chunk-tokens', chunkTokens, `at most the max length (${maxLength}; a window is one model input)`);
  const chunkOverlap = o.chunkOverlap ?? Math.floor(chunkTokens / 8);
  if (chunkOverlap > chunkTokens - 3) throw optionError('--chunk-overlap', chunkOverlap, `at most ${chunkTokens - 3} with --chunk-tokens ${chunkTokens} ([CLS] and [SEP] take 2, and each window must move on by a token)`);
  return Object.freeze({ mode: o.mode, chunkTokens, chunkOverlap });
}

/** What the fingerprint records: nothing for `truncate` (so jobs from before --long resume as they were). */
export function longFingerprint(p: LongPolicy): Record<string, unknown> {
  if (p.mode === 'truncate') return {};
  if (p.mode === 'reject') return { long: 'reject' };
  return { long: 'split', chunk_tokens: p.chunkTokens, chunk_overlap: p.chunkOverlap };
}
