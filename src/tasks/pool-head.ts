import type { Batch } from '../model/padding.js';
import { l2NormalizeRows } from '../model/pooling.js';
import type { HeadRef } from './task.js';

/**
 * Worker side of `embed`: the output is pooled already, by the graph (mean/max/cls appended
 * at load) or by the model (`pooler_output`), so only normalization may be left to do.
 */
export interface PoolParams {
  /** L2-normalize here: the graph did not (pooler_output). */
  normalize: boolean;
}

export interface PoolColumns {
  [column: string]: Float32Array;
  embedding: Float32Array;
}

export function poolHead(output: string, params: PoolParams): HeadRef<PoolParams> {
  return { module: import.meta.url, output, params };
}

export function postprocess(params: PoolParams, data: Float32Array, dims: readonly number[], batch: Batch): PoolColumns {
  const H = dims[dims.length - 1];
  // Own the buffer: ORT's output may be a view into a larger arena we must not transfer.
  const embedding = data.slice(0, batch.B * H);
  if (params.normalize) l2NormalizeRows(embedding, H);
  return { embedding };
}
