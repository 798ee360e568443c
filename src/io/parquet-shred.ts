import type { Data } from 'apache-arrow';
import type { LeafColumn } from './parquet-schema.js';

/** One leaf column of a run of rows, as Parquet stores it: levels, and the values present. */
export interface Shredded {
  /** Level slots: the page's `num_values` (values, nulls and empty lists). */
  count: number;
  /** Repetition levels, or null when the leaf is not inside a list. */
  rep: Uint8Array | null;
  /** Definition levels, or null when nothing on the path is optional or repeated. */
  def: Uint8Array | null;
  /** The leaf's Arrow data, and the indices in it of the values present, in order. */
  leaf: Data;
  index: Int32Array;
}

/**
 * Dremel's shredding of rows `[start, end)` of one top-level Arrow column down to one leaf:
 * repetition and definition levels per slot, and which leaf values are present. Works on
 * Arrow's buffers a level at a time (typed arrays, no per-value objects), so a window of
 * embeddings costs a few passes over memory, not a call per float.
 *
 * @example
 * ```ts
 * const { count, rep, def, index } = shred(batch.data.children[1], layout.leaves[1], 0, batch.numRows);
 * ```
 */
export function shred(column: Data, leaf: LeafColumn, start: number, end: number): Shredded {
  let n = end - start;
  let idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = start + i;
  let rep = leaf.maxRep > 0 ? new Uint8Array(n) : null;
  let def = new Uint8Array(n);
  let data = column;
  for (const step of leaf.steps) {
    if (step.nullable) {
      const checks = data.nullCount > 0;
      for (let i = 0; i < n; i++) {
        const x = idx[i];
        if (x < 0) continue;
        if (!checks || data.getValid(x)) def[i]++;
        else idx[i] = -1;
      }
    }
    if (step.kind === 'leaf') break;
    if (step.kind === 'struct') {
      data = data.children[step.child];
      continue;
    }
    // A list: each present, non-empty list becomes its items' slots, the first keeping the
    // row's repetition level; an absent or empty one keeps a single slot with no value.
    const offsets = step.size === null ? (data.valueOffsets as Int32Array) : null;
    const size = step.size ?? 0;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const x = idx[i];
      const len = x < 0 ? 0 : offsets ? offsets[x + 1] - offsets[x] : size;
      total += len > 0 ? len : 1;
    }
    const nIdx = new Int32Array(total);
    const nRep = new Uint8Array(total);
    const nDef = new Uint8Array(total);
    let j = 0;
    for (let i = 0; i < n; i++) {
      const x = idx[i];
      const r = rep ? rep[i] : 0;
      const s = x < 0 ? 0 : offsets ? offsets[x] : x * size;
      const len = x < 0 ? 0 : offsets ? offsets[x + 1] - s : size;
      if (len <= 0) {
        nIdx[j] = -1;
        nRep[j] = r;
        nDef[j] = def[i];
        j++;
        continue;
      }
      nRep[j] = r;
      nRep.fill(step.repLevel, j + 1, j + len);
      nDef.fill(def[i] + 1, j, j + len);
      for (let k = 0; k < len; k++) nIdx[j + k] = s + k;
      j += len;
    }
    idx = nIdx;
    rep = nRep;
    def = nDef;
    n = total;
    data = data.children[0];
  }
  let present = 0;
  for (let i = 0; i < n; i++) if (idx[i] >= 0) present++;
  let index = idx;
  if (present < n) {
    index = new Int32Array(present);
    for (let i = 0, k = 0; i < n; i++) if (idx[i] >= 0) index[k++] = idx[i];
  }
  return { count: n, rep, def: leaf.maxDef > 0 ? def : null, leaf: data, index };
}
