import type { Batch } from '../model/padding.js';
import type { HeadRef } from './task.js';

/**
 * Worker side of `embed --pooling none`: the [batch, sequence, hidden] states with the
 * padding dropped here, so only real tokens' floats are moved to the main thread.
 */
export interface TokenColumns {
  [column: string]: Float32Array | Int32Array;
  /** Σ lengths x H: each row's real tokens, rows one after another in batch order. */
  token_embeddings: Float32Array;
  /** Where each row's first token sits in `token_embeddings` (in tokens, not floats). */
  token_start: Int32Array;
}

export function tokenHead(output: string): HeadRef<null> {
  return { module: import.meta.url, output, params: null };
}

export function postprocess(_params: null, data: Float32Array, dims: readonly number[], batch: Batch): TokenColumns {
  const H = dims[dims.length - 1];
  const S = dims[1];
  let total = 0;
  const start = new Int32Array(batch.B);
  for (let b = 0; b < batch.B; b++) {
    start[b] = total;
    total += batch.lengths[b];
  }
  const out = new Float32Array(total * H);
  for (let b = 0; b < batch.B; b++) out.set(data.subarray(b * S * H, (b * S + batch.lengths[b]) * H), start[b] * H);
  return { token_embeddings: out, token_start: start };
}
