import type { Data } from 'apache-arrow';
import type { LeafValues } from './parquet-schema.js';
import type { Shredded } from './parquet-shred.js';
import { ThriftWriter } from './thrift-compact.js';

/**
 * Parquet data pages (format v1, uncompressed): PLAIN values, levels in the RLE /
 * bit-packed hybrid. Values are little-endian, as the typed arrays of every platform Node
 * runs on are, so a run of floats is written as the bytes Arrow already holds.
 */

const Encoding = { PLAIN: 0, RLE: 3 } as const;
const DATA_PAGE = 0;

/** The encodings a column chunk of ours uses, as its metadata lists them. */
export const CHUNK_ENCODINGS: readonly number[] = [Encoding.PLAIN, Encoding.RLE];

/**
 * One data page of a shredded run of rows: its header and body, ready to write, and its
 * size (header included; uncompressed and compressed are the same).
 *
 * @example
 * ```ts
 * const page = dataPage(shred(column, leaf, 0, rows), leaf.values, leaf.maxRep, leaf.maxDef);
 * await fh.writev(page.chunks);
 * ```
 */
export function dataPage(s: Shredded, values: LeafValues, maxRep: number, maxDef: number): { chunks: Uint8Array[]; bytes: number } {
  const body: Uint8Array[] = [];
  if (maxRep > 0) body.push(...levelsBlock(s.rep as Uint8Array, s.count, maxRep));
  if (maxDef > 0) body.push(...levelsBlock(s.def as Uint8Array, s.count, maxDef));
  body.push(plainValues(values, s.leaf, s.index));
  const size = body.reduce((a, b) => a + b.byteLength, 0);
  const t = new ThriftWriter();
  t.beginStruct();
  t.fieldI32(1, DATA_PAGE);
  t.fieldI32(2, size);
  t.fieldI32(3, size);
  t.fieldStruct(5, () => {
    t.fieldI32(1, s.count);
    t.fieldI32(2, Encoding.PLAIN);
    t.fieldI32(3, Encoding.RLE);
    t.fieldI32(4, Encoding.RLE);
  });
  t.endStruct();
  const header = t.bytes();
  return { chunks: [header, ...body], bytes: header.byteLength + size };
}

/** A v1 page's levels: their byte length (4 bytes, little-endian), then the hybrid runs. */
function levelsBlock(levels: Uint8Array, count: number, max: number): Uint8Array[] {
  const runs = rleHybrid(levels, count, 32 - Math.clz32(max));
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, runs.byteLength, true);
  return [len, runs];
}

/** Below this many equal levels in a row, they go into a bit-packed run instead. */
const MIN_RLE_RUN = 8;
/** Groups of 8 per bit-packed run header, as parquet-mr writes them (one header byte). */
const MAX_PACKED_GROUPS = 63;

/**
 * The RLE / bit-packed hybrid of `values[0..count)` at `bitWidth` bits: runs of at least
 * 8 equal values as RLE runs, the rest bit-packed in groups of 8. A bit-packed run inside
 * the stream holds whole groups (it borrows values from the RLE run after it); only the
 * last one is padded, which readers bound by the page's value count.
 *
 * @example
 * ```ts
 * rleHybrid(Uint8Array.of(0, 1, 1, 1, 1, 1, 1, 1, 1, 1), 10, 1);
 * ```
 */
export function rleHybrid(values: Uint8Array, count: number, bitWidth: number): Uint8Array {
  const out = new Bytes(Math.max(16, count >> 2));
  let literalStart = 0;
  let i = 0;
  while (i < count) {
    const v = values[i];
    let j = i + 1;
    while (j < count && values[j] === v) j++;
    if (j - i >= MIN_RLE_RUN) {
      // Round the pending literals up to whole groups with values of this run.
      const borrow = (8 - ((i - literalStart) % 8)) % 8;
      const runStart = i + borrow;
      if (runStart > literalStart) packed(out, values, literalStart, runStart, bitWidth);
      if (j > runStart) {
        out.varint((j - runStart) * 2);
        for (let b = 0; b < bitWidth; b += 8) out.byte((v >> b) & 0xff);
      }
      literalStart = j;
    }
    i = j;
  }
  if (literalStart < count) packed(out, values, literalStart, count, bitWidth);
  return out.bytes();
}

function packed(out: Bytes, values: Uint8Array, start: number, end: number, bitWidth: number): void {
  for (let s = start; s < end; s += MAX_PACKED_GROUPS * 8) {
    const e = Math.min(end, s + MAX_PACKED_GROUPS * 8);
    const groups = Math.ceil((e - s) / 8);
    out.varint(groups * 2 + 1);
    const bytes = out.reserve(groups * bitWidth);
    for (let k = s, bit = 0; k < e; k++, bit += bitWidth) {
      const v = values[k];
      for (let b = 0; b < bitWidth; b++) if ((v >> b) & 1) bytes[(bit + b) >> 3] |= 1 << ((bit + b) & 7);
    }
  }
}

/** The PLAIN encoding of the leaf values at `index` (ascending) of `data`. */
export function plainValues(kind: LeafValues, data: Data, index: Int32Array): Uint8Array {
  const m = index.length;
  if (m === 0) return new Uint8Array(0);
  const contiguous = index[m - 1] - index[0] === m - 1;
  switch (kind) {
    case 'float':
      return fixed(data.values as Float32Array, Float32Array, index, contiguous);
    case 'double':
      return fixed(data.values as Float64Array, Float64Array, index, contiguous);
    case 'int64':
      return fixed(data.values as BigInt64Array, BigInt64Array, index, contiguous);
    case 'int32': {
      const v = data.values as Int32Array | Int16Array | Int8Array | Uint32Array | Uint16Array | Uint8Array;
      // Narrower and unsigned widths widen (or keep their bits) into INT32, as the spec stores them.
      if (v instanceof Int32Array) return fixed(v, Int32Array, index, contiguous);
      const out = new Int32Array(m);
      for (let k = 0; k < m; k++) out[k] = v[index[k]];
      return bytesOf(out);
    }
    case 'bool': {
      const bits = data.values as Uint8Array;
      const out = new Uint8Array((m + 7) >> 3);
      for (let k = 0; k < m; k++) {
        const at = data.offset + index[k];
        if ((bits[at >> 3] >> (at & 7)) & 1) out[k >> 3] |= 1 << (k & 7);
      }
      return out;
    }
    case 'bytes': {
      const offsets = data.valueOffsets as Int32Array;
      const src = data.values as Uint8Array;
      let total = 0;
      for (let k = 0; k < m; k++) total += offsets[index[k] + 1] - offsets[index[k]];
      const out = new Uint8Array(4 * m + total);
      const view = new DataView(out.buffer);
      let pos = 0;
      for (let k = 0; k < m; k++) {
        const a = offsets[index[k]];
        const b = offsets[index[k] + 1];
        view.setUint32(pos, b - a, true);
        out.set(src.subarray(a, b), pos + 4);
        pos += 4 + b - a;
      }
      return out;
    }
  }
}

type Fixed = Float32Array | Float64Array | BigInt64Array | Int32Array;

function fixed<T extends Fixed>(values: T, Ctor: { new (n: number): T }, index: Int32Array, contiguous: boolean): Uint8Array {
  if (contiguous) return bytesOf(values.subarray(index[0], index[0] + index.length));
  const out = new Ctor(index.length);
  for (let k = 0; k < index.length; k++) out[k] = values[index[k]];
  return bytesOf(out);
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** A growable byte buffer. */
class Bytes {
  private buf: Uint8Array;
  private len = 0;

  constructor(size: number) {
    this.buf = new Uint8Array(size);
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  varint(n: number): void {
    this.ensure(5);
    while (n >= 0x80) {
      this.buf[this.len++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.buf[this.len++] = n;
  }

  /** `n` zeroed bytes to fill in place. */
  reserve(n: number): Uint8Array {
    this.ensure(n);
    const at = this.len;
    this.len += n;
    return this.buf.subarray(at, this.len);
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
}
