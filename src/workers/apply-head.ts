import { softmaxInto, sigmoid, softmaxRows, topK } from '../model/activations.js';
import type { HeadSpec } from '../model/head-spec.js';
import type { Batch } from '../model/padding.js';
import { l2NormalizeRows } from '../model/pooling.js';

/**
 * Turns one session output into the columns a task writes, inside the worker, so that a
 * B x S x H hidden state or a B x S x V logits tensor never crosses to the main thread.
 */
export function applyHead(head: HeadSpec, data: Float32Array, dims: readonly number[], batch: Batch): Record<string, Float32Array | Int32Array> {
  const { B } = batch;
  switch (head.kind) {
    case 'pool': {
      // Pooled already: by the graph (mean/max/cls, appended at load) or by the model (pooler).
      const H = dims[dims.length - 1];
      // Own the buffer: ORT's output may be a view into a larger arena we must not transfer.
      const pooled = data.slice(0, B * H);
      if (head.normalize && !head.pooledInGraph) l2NormalizeRows(pooled, H);
      return { embedding: pooled };
    }
    case 'classify': {
      const L = dims[dims.length - 1];
      const logits = data.subarray(0, B * L);
      return { probs: head.activation === 'softmax' ? softmaxRows(logits, L) : sigmoid(logits) };
    }
    case 'mlm':
      return maskedLmTopK(head.maskId, head.topK, data, dims[dims.length - 1], batch);
  }
}

function maskedLmTopK(maskId: number, k: number, logits: Float32Array, V: number, batch: Batch): Record<string, Float32Array | Int32Array> {
  const { B, S, inputIds, lengths } = batch;
  const mask = BigInt(maskId);
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
  const kk = Math.min(k, V);
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
