import type { RecordBatch, Schema } from 'apache-arrow';
import type { AlbertTokenizer, Encoded } from '../model/albert-tokenizer.js';
import type { ModelSpec } from '../model/model-spec.js';
import type { Batch, EncodedRow } from '../model/padding.js';
import type { PoolingMode } from '../model/pooling-graph.js';
import type { LongPolicy } from '../pipeline/long-options.js';
import type { TaskJobDefaults } from '../pipeline/job-options.js';

/** What a head returns for one batch: typed arrays, moved (not copied) to the main thread. */
export type HeadColumns = Record<string, Float32Array | Int32Array>;

/**
 * A task's post-processing of one session output, as plain data a worker can receive: the
 * URL of the module whose `postprocess` export it runs, the output to fetch, and params.
 * The module is the task's own code, so B x S x V logits never leave the worker thread.
 */
export interface HeadRef<P = unknown> {
  readonly module: string;
  readonly output: string;
  readonly params: P;
}

/**
 * The `postprocess` export of a head module: rows of the batch in, the task's columns out.
 * Each column must own its buffer (not view the session's output): it is moved, not copied.
 */
export type PostProcess<P = unknown, C extends HeadColumns = HeadColumns> = (params: P, output: Float32Array, dims: readonly number[], batch: Batch) => C;

/** A batch's result as the worker returns it: one entry per row (`seqs[i]`) in batch order. */
export interface BatchResult<C extends HeadColumns = HeadColumns> {
  seqs: Float64Array;
  columns: C;
  timings: { queueMs: number; inferMs: number; postMs: number };
}

/** A row that made it through inference, with where its values sit in a batch result. */
export interface OutputRow<C extends HeadColumns = HeadColumns> {
  seq: number;
  id: string;
  /** Under `--long split`, `encoded.chunk` says which window of its document this is. */
  encoded: EncodedRow;
  response: BatchResult<C>;
  /** Row index inside `response`. */
  index: number;
  /**
   * `--long split`, a document cut into two or more windows: each window's row, in order
   * (the row itself is the first window's). Absent for a document processed whole.
   */
  chunks?: readonly OutputRow<C>[];
}

/** A per-row refusal a task may raise after tokenization (e.g. fill-mask without `[MASK]`). */
export interface RowProblem {
  code: string;
  message: string;
}

/** What a task decided for one model: the worker head, the Arrow schema and the row builder. */
export interface TaskPlan<C extends HeadColumns = HeadColumns> {
  head: HeadRef;
  schema: Schema;
  checkRow?(encoded: Encoded): RowProblem | null;
  /** Builds one record batch from rows in input order. */
  build(rows: readonly OutputRow<C>[]): RecordBatch;
  /**
   * Whether `build` and `tally` merge a split document's windows (see {@link OutputRow.chunks});
   * `--long split` is refused for a task whose plan does not.
   */
  mergesChunks?: boolean;
  /** Whether rows need token offsets (`Encoded.offsets`, or char spans of windows). */
  needsOffsets?: boolean;
  /** Adds this window's counts (e.g. rows per predicted label) to the manifest's. */
  tally?(rows: readonly OutputRow<C>[], counts: Record<string, number>): void;
}

export interface TaskContext {
  spec: ModelSpec;
  tokenizer: AlbertTokenizer;
  maxLength: number;
  toolVersion: string;
  /** Whether rows carry a second segment (`--text-b-column`). */
  pairs: boolean;
  /** What the job does with rows longer than the max length. */
  long: LongPolicy;
}

/** One option of a task: its CLI flag (the config-file and library key is the map's key). */
export interface TaskOptionSpec {
  /** As commander spells it, and its attribute name must be the key: `--top-k <k>`, `--multi-label`, `--no-normalize`. */
  readonly flag: string;
  readonly help: string;
  /** How the CLI reads the flag's value (default: as a string). */
  readonly parse?: 'int' | 'float';
  readonly choices?: readonly string[];
  /** The job option this one is another name for (sop's `--text-a-column` is `--text-column`). */
  readonly alias?: string;
}

/**
 * A task is data, not a fork of the pipeline: readers, batching, pool, progress, manifest,
 * resume and sharding are shared; a task says what to fetch, how to post-process it in the
 * worker, and how to write it. The CLI, `albert submit`, the queue worker and the package
 * exports all iterate the {@link TASKS} registry; a library user can run a task of their own
 * with `runJob` (and queue it, by giving it to the worker's `tasks` option).
 */
export interface TaskDefinition<O = any, C extends HeadColumns = any> {
  /** The CLI command and the name recorded in manifests and queued jobs. */
  name: string;
  /** One line for `albert --help`. */
  description: string;
  /** Example command lines for `albert <task> --help`. */
  example: string;
  /** Bundled model folder (under `models/`) used when no `--model` is given. */
  defaultModel: string;
  /** `sop` needs both segments; the others take an optional second one. */
  requiresPairs: boolean;
  /** The task's own options, by key. */
  options: Readonly<Record<string, TaskOptionSpec>>;
  /** Resolves the task's own options once (it gets only those keys); every error names the option and its value. */
  resolveOptions(options: Record<string, unknown>): O;
  /**
   * Whether the session should pool in the graph (embed), decided before the model loads.
   * `job.split`: documents are cut into windows (`--long split`) whose pooled vectors are
   * averaged before any normalization.
   */
  graphPooling?(options: O, job: { split: boolean }): GraphPooling | null;
  /** Job defaults the task's options change (e.g. fewer rows per window when each row's output is large). */
  jobDefaults?(options: O): TaskJobDefaults;
  /** Which hidden states the session exposes to pooling and heads (default `last`). */
  graphLayer?(options: O): GraphLayer;
  plan(ctx: TaskContext, options: O): TaskPlan<C>;
  /** Options that change output bytes, recorded in the manifest so --resume can refuse a mismatch. */
  fingerprint(options: O): Record<string, unknown>;
}

/** Pooling (and normalization) appended to the graph, so only B x H floats leave the session. */
export interface GraphPooling {
  pooling: PoolingMode;
  normalize: boolean;
}

/** `last`: the encoder's output (`last_hidden_state`); `embeddings`: the embedding block's, after its E→H projection. */
export type GraphLayer = 'last' | 'embeddings';

/** Schema metadata every task writes. */
export function commonMetadata(ctx: TaskContext, task: string, head: string): Record<string, string | number | boolean | object | null> {
  return {
    'albert.task': task,
    'albert.head': head,
    'albert.model': ctx.spec.name,
    'albert.model_sha256': ctx.spec.onnxSha256,
    // fp32/fp16/int8, fused or not, as the model folder records it (null: it records none).
    'albert.model_variant': ctx.spec.variant ? { name: ctx.spec.variant.name, precision: ctx.spec.variant.precision, fused: ctx.spec.variant.fused } : null,
    'albert.max_length': ctx.maxLength,
    'albert.tool_version': ctx.toolVersion,
    ...longMetadata(ctx.long),
  };
}

/** The long-document policy, when not the default `truncate` (whose parts stay as they were before it existed). */
function longMetadata(l: LongPolicy | undefined): Record<string, string | number> {
  if (!l || l.mode === 'truncate') return {};
  if (l.mode === 'reject') return { 'albert.long': 'reject' };
  return { 'albert.long': 'split', 'albert.chunk_tokens': l.chunkTokens, 'albert.chunk_overlap': l.chunkOverlap };
}
