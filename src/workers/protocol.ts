import type { OnnxIo } from '../model/model-spec.js';
import type { Batch } from '../model/padding.js';
import type { BatchResult, GraphLayer, GraphPooling, HeadRef } from '../tasks/task.js';
import type { DeviceSpec } from './execution-providers.js';
import type { Fault } from './fault.js';

export type { DeviceSpec } from './execution-providers.js';

/**
 * Messages between the main thread and inference workers. Plain data only: it crosses
 * `postMessage`, where classes and non-transferred buffers would be lost or copied.
 */
export interface WorkerSetup {
  modelPath: string;
  device: DeviceSpec;
  /** ONNX Runtime intra-op threads for this worker's session. */
  intraOpThreads: number;
  /** Append pooling to the graph (so only B x H leaves the session) instead of pooling in JS. */
  graphPooling: GraphPooling | null;
  /** The hidden states pooling (or a per-token head) reads: the encoder's last layer, or the embedding block's output (`--layer embeddings`). */
  layer: GraphLayer;
}

export interface DescribeRequest {
  type: 'describe';
}

export interface InferRequest {
  type: 'infer';
  batch: Batch;
  /** The task's post-processing of the session output; sent per batch, so one pool serves any task. */
  head: HeadRef;
  /** Test-only: what the batch's fault plan says this worker must do instead of running it. */
  fault: Fault | null;
  /** When the main thread queued the batch (ms since epoch), to measure queue wait. */
  queuedAt: number;
  /**
   * A Float64Array(1) on shared memory: the worker writes Date.now() into it when the batch
   * starts running on a ready session. --batch-timeout counts from there, not from the
   * queue, so neither waiting behind other batches nor a fresh worker loading its model
   * (after a restart, on a busy machine) can time out a healthy batch.
   */
  startedAt: Float64Array;
}

export type WorkerRequest = DescribeRequest | InferRequest;

export interface DescribeResponse {
  inputs: OnnxIo[];
  outputs: OnnxIo[];
  /** The execution provider the session really runs on. */
  ep: string;
  /** Why CUDA was not used, when `--device auto` fell back to the CPU. */
  fallbackReason: string | null;
}

/** Column arrays of a batch, one entry per row (`seqs[i]`) in batch order. */
export type InferResponse = BatchResult;

