import type { RecordBatch, Schema } from 'apache-arrow';
import type { AlbertTokenizer, Encoded } from '../model/albert-tokenizer.js';
import type { HeadSpec } from '../model/head-spec.js';
import type { ModelSpec } from '../model/model-spec.js';
import type { InferResponse } from '../workers/protocol.js';

/** A row that made it through inference, with where its values sit in a batch response. */
export interface OutputRow {
  seq: number;
  id: string;
  encoded: Encoded;
  response: InferResponse;
  /** Row index inside `response`. */
  index: number;
}

/** A per-row refusal a task may raise after tokenization (e.g. fill-mask without `[MASK]`). */
export interface RowProblem {
  code: string;
  message: string;
}

/** What a task decided for one model: the worker head, the Arrow schema and the row builder. */
export interface TaskPlan {
  head: HeadSpec;
  schema: Schema;
  checkRow?(encoded: Encoded): RowProblem | null;
  /** Builds one record batch from rows in input order. */
  build(rows: readonly OutputRow[]): RecordBatch;
  /** Adds this window's counts (e.g. rows per predicted label) to the manifest's. */
  tally?(rows: readonly OutputRow[], counts: Record<string, number>): void;
}

export interface TaskContext {
  spec: ModelSpec;
  tokenizer: AlbertTokenizer;
  maxLength: number;
  toolVersion: string;
  /** Whether rows carry a second segment (`--text-b-column`). */
  pairs: boolean;
}

/**
 * A task is data, not a fork of the pipeline: readers, batching, pool, progress, manifest
 * and resume are shared; a task only says what to fetch and how to write it.
 */
export interface TaskDefinition<O> {
  name: 'embed' | 'label' | 'fill-mask' | 'sop';
  /** Bundled model folder (under `models/`) used when no `--model` is given. */
  defaultModel: string;
  /** `sop` needs both segments; the others take an optional second one. */
  requiresPairs: boolean;
  /** Resolves the task's own options once; every error names the option and its value. */
  resolveOptions(options: Record<string, unknown>): O;
  /** Whether the session should pool in the graph (embed) — decided before the model loads. */
  graphPooling?(options: O): { pooling: 'mean' | 'max' | 'cls'; normalize: boolean } | null;
  plan(ctx: TaskContext, options: O): TaskPlan;
  /** Options that change output bytes, recorded in the manifest so --resume can refuse a mismatch. */
  fingerprint(options: O): Record<string, unknown>;
}

/** Schema metadata every task writes. */
export function commonMetadata(ctx: TaskContext, task: string, head: string): Record<string, string | number | boolean | object | null> {
  return {
    'albert.task': task,
    'albert.head': head,
    'albert.model': ctx.spec.name,
    'albert.model_sha256': ctx.spec.onnxSha256,
    'albert.max_length': ctx.maxLength,
    'albert.tool_version': ctx.toolVersion,
  };
}
