import { softmaxInto, topK } from '../model/activations.js';
import type { Batch } from '../model/padding.js';
import type { HeadRef } from './task.js';

/**
 * Worker side of `fill-mask`: the top-k tokens at every `[MASK]`, so a B x S x V logits
 * tensor never crosses to the main thread.
 */
export interface MaskedLmParams {
  topK: number;
  maskId: number;
}

export interface MaskedLmColumns {
  [column: string]: Float32Array | Int32Array;
  /** Masks per row (B). */
  maskCounts: Int32Array;
  /** Position of each mask in its row, masks of all rows in order. */
  maskPositions: Int32Array;
  /** k ids per mask, best first. */
  tokenIds: Int32Array;
  /** Their probabilities. */
  scores: Float32Array;
}

export function maskedLmHead(output: string, params: MaskedLmParams): HeadRef<MaskedLmParams> {
  return { module: import.meta.url, output, params };
}

export function postprocess(params: MaskedLmParams, logits: Float32Array, dims: readonly number[], batch: Batch): MaskedLmColumns {
  const V = dims[dims.length - 1];
  const { B, S, inputIds, lengths } = batch;
  const mask = BigInt(params.maskId);
  const maskCounts = new Int32Array(B);
  const positions: number[] = [];
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < lengths[b]; t++) {
      if (inputIds[b * S + t] === mask) {
        maskCounts[b]++;
        positions.push(b * S + t);
      }
    }
  }
  const kk = Math.min(params.topK, V);
  const tokenIds = new Int32Array(positions.length * kk);
  const scores = new Float32Array(positions.length * kk);
  const probs = new Float64Array(V);
  positions.forEach((flat, m) => {
    softmaxInto(logits, flat * V, V, probs, 0);
    topK(probs, 0, V, kk).forEach((id, j) => {
      tokenIds[m * kk + j] = id;
      scores[m * kk + j] = probs[id];
    });
  });
  return { maskCounts, maskPositions: Int32Array.from(positions, (flat) => flat % S), tokenIds, scores };
}
