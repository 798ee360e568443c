/**
 * A fitted head as the model folder holds it: standardization, float32 parameters, and
 * the activation. {@link predictHead} is the TypeScript twin of the ONNX graph's head.
 */
import { softmaxInto } from '../model/activations.js';
import { forward, headWork, type HeadShape } from './head-model.js';
import { sigmoid } from './losses.js';
import type { Standardizer } from './standardize.js';

export type HeadActivation = 'softmax' | 'sigmoid';

export interface TrainedHead {
  readonly shape: HeadShape;
  readonly activation: HeadActivation;
  readonly standardizer: Standardizer;
  /** Flat parameters (see head-model.ts for the layout), float32 as the graph stores them. */
  readonly params: Float32Array;
  readonly labels: readonly string[];
}

/** Probabilities (n x k) of already standardized rows. */
export function probabilities(shape: HeadShape, activation: HeadActivation, params: ArrayLike<number>, x: ArrayLike<number>, n: number): Float64Array {
  const logits = forward(shape, params, x, headWork(shape, n));
  const k = shape.k;
  if (activation === 'sigmoid') return logits.map(sigmoid);
  // In place, row by row: softmaxInto reads each logit before it writes that same slot.
  for (let i = 0; i < n; i++) softmaxInto(logits, i * k, k, logits, i * k);
  return logits;
}

/**
 * The head applied to pooled embeddings (what `albert embed` writes with the base model
 * and the same pooling): standardized, then the layers, then softmax or sigmoid.
 *
 * @example
 * ```ts
 * const probs = predictHead(head, embeddings, rows); // rows x k
 * ```
 */
export function predictHead(head: TrainedHead, embeddings: ArrayLike<number>, n: number): Float64Array {
  const { d } = head.shape;
  const x = new Float64Array(n * d);
  const { mean, std } = head.standardizer;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x[i * d + j] = (embeddings[i * d + j] - mean[j]) / std[j];
  return probabilities(head.shape, head.activation, head.params, x, n);
}
