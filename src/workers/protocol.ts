import type { HeadSpec } from '../model/head-spec.js';
import type { OnnxIo } from '../model/model-spec.js';
import type { Batch } from '../model/padding.js';
import type { PlainError } from '../errors.js';

/**
 * Messages between the main thread and inference workers. Plain data only: it crosses
 * `postMessage`, where classes and non-transferred buffers would be lost or copied.
 */
export type DeviceSpec =
  | { kind: 'cpu' }
  /** `fallbackToCpu` is `--device auto`: try CUDA, else say why and run on the CPU. */
  | { kind: 'cuda'; deviceId: number; fallbackToCpu: boolean };

export interface WorkerSetup {
  modelPath: string;
  device: DeviceSpec;
  /** ONNX Runtime intra-op threads for this worker's session. */
  intraOpThreads: number;
  /** Append pooling to the graph (so only B x H leaves the session) instead of pooling in JS. */
  graphPooling: { pooling: 'mean' | 'max' | 'cls'; normalize: boolean } | null;
}

export interface DescribeRequest {
  type: 'describe';
}

export interface InferRequest {
  type: 'infer';
  batch: Batch;
  /** What to compute from the session's output; sent per batch, so one pool serves any task. */
  head: HeadSpec;
  /**
   * Test-only fault hook (`ALBERT_FAULT_*_ID`): the batch holds a row named there, so the
   * worker throws, kills its thread, or hangs, every time it sees the batch.
   */
  fault: 'throw' | 'exit' | 'hang' | null;
  /** When the main thread queued the batch (ms since epoch), to measure queue wait. */
  queuedAt: number;
}

export type WorkerRequest = DescribeRequest | InferRequest;

export interface DescribeResponse {
  inputs: OnnxIo[];
  outputs: OnnxIo[];
  /** The execution provider the session really runs on. */
  ep: 'cpu' | 'cuda';
  /** Why CUDA was not used, when `--device auto` fell back to the CPU. */
  fallbackReason: string | null;
}

/** Column arrays of a batch, one entry per row (`seqs[i]`) in batch order. */
export interface InferResponse {
  seqs: Float64Array;
  columns: Record<string, Float32Array | Int32Array>;
  timings: { queueMs: number; inferMs: number; postMs: number };
}

export type WorkerFailure = PlainError;
