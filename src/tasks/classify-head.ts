import { sigmoid, softmaxRows } from '../model/activations.js';
import type { Batch } from '../model/padding.js';
import type { HeadRef } from './task.js';

/** Worker side of `label` and `sop`: class probabilities from [batch, classes] logits. */
export interface ClassifyParams {
  activation: 'softmax' | 'sigmoid';
}

export interface ClassifyColumns {
  [column: string]: Float32Array;
  /** B x classes. */
  probs: Float32Array;
}

export function classifyHead(output: string, params: ClassifyParams): HeadRef<ClassifyParams> {
  return { module: import.meta.url, output, params };
}

export function postprocess(params: ClassifyParams, data: Float32Array, dims: readonly number[], batch: Batch): ClassifyColumns {
  const L = dims[dims.length - 1];
  const logits = data.subarray(0, batch.B * L);
  return { probs: params.activation === 'softmax' ? softmaxRows(logits, L) : sigmoid(logits) };
}
