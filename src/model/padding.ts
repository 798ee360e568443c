import type { Encoded } from './albert-tokenizer.js';
import type { ChunkSpan } from './token-windows.js';

/**
 * A padded batch, laid out as ONNX Runtime wants it (int64, row-major B x S). Its buffers
 * are moved to a worker thread, never copied, so each typed array owns its whole buffer.
 */
export interface Batch {
  /** Input positions (`seq`) of the rows, in batch order. */
  seqs: Float64Array;
  B: number;
  S: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  tokenTypeIds: BigInt64Array;
  /** Real (unpadded) length of each row. */
  lengths: Int32Array;
}

export interface EncodedRow extends Encoded {
  seq: number;
  /** `--long split`: the window of the document `seq` this row is. */
  chunk?: ChunkSpan;
}

/**
 * Pads rows to the batch's own longest row (never to the global max length).
 *
 * @example
 * ```ts
 * const b = padBatch([{ seq: 0, ids: Int32Array.of(2, 9, 3), typeIds: null, truncated: false }], 0);
 * b.S; // 3
 * ```
 */
export function padBatch(rows: readonly EncodedRow[], padId: number): Batch {
  const B = rows.length;
  let S = 0;
  for (const r of rows) if (r.ids.length > S) S = r.ids.length;
  const inputIds = new BigInt64Array(B * S);
  const attentionMask = new BigInt64Array(B * S);
  const tokenTypeIds = new BigInt64Array(B * S);
  const seqs = new Float64Array(B);
  const lengths = new Int32Array(B);
  const pad = BigInt(padId);
  for (let b = 0; b < B; b++) {
    const { ids, typeIds, seq } = rows[b];
    const base = b * S;
    seqs[b] = seq;
    lengths[b] = ids.length;
    for (let t = 0; t < ids.length; t++) {
      inputIds[base + t] = BigInt(ids[t]);
      attentionMask[base + t] = 1n;
    }
    if (pad !== 0n) inputIds.fill(pad, base + ids.length, base + S);
    if (typeIds) for (let t = 0; t < typeIds.length; t++) tokenTypeIds[base + t] = BigInt(typeIds[t]);
  }
  return { seqs, B, S, inputIds, attentionMask, tokenTypeIds, lengths };
}

/** The transferable buffers of a batch, for `postMessage` transfer lists. */
export function batchBuffers(batch: Batch): ArrayBuffer[] {
  return [batch.seqs, batch.inputIds, batch.attentionMask, batch.tokenTypeIds, batch.lengths].map((a) => a.buffer as ArrayBuffer);
}
