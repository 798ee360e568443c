/**
 * Writes safetensors files (the layout safetensors-reader.ts reads), e.g. for tests
 * that make random checkpoints, or to re-save converted weights.
 */
import { writeFileAtomic } from '../../src/io/durable-file.js';

export interface SafetensorsTensor {
  /** F32 takes a Float32Array; F16 and BF16 take their raw 16-bit patterns. */
  dtype: 'F32' | 'F16' | 'BF16';
  shape: readonly number[];
  data: Float32Array | Uint16Array;
}

/**
 * Encodes tensors into safetensors bytes. Tensors are laid out in name order, the
 * header padded with spaces to an 8-byte boundary, as the reference implementation does.
 *
 * @example
 * ```ts
 * const bytes = encodeSafetensors({ 'pooler.bias': { dtype: 'F32', shape: [4], data: new Float32Array(4) } });
 * ```
 */
export function encodeSafetensors(tensors: Record<string, SafetensorsTensor>, metadata: Record<string, string> = { format: 'pt' }): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    const count = t.shape.reduce((a, b) => a * b, 1);
    const width = t.dtype === 'F32' ? 4 : 2;
    if ((t.dtype === 'F32') !== (t.data instanceof Float32Array) || t.data.length !== count) {
      throw new Error(`tensor ${name}: ${t.data.constructor.name}(${t.data.length}) does not fit ${t.dtype}[${t.shape.join(', ')}]`);
    }
    header[name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + count * width] };
    offset += count * width;
  }
  let json = JSON.stringify(header);
  const jsonBytes = new TextEncoder().encode(json);
  const padded = Math.ceil(jsonBytes.length / 8) * 8;
  json += ' '.repeat(padded - jsonBytes.length);
  const out = new Uint8Array(8 + padded + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(new TextEncoder().encode(json), 8);
  let at = 8 + padded;
  for (const name of names) {
    const d = tensors[name].data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
    at += d.byteLength;
  }
  return out;
}

/**
 * Writes a safetensors file atomically.
 *
 * @example
 * ```ts
 * await writeSafetensorsFile('out/model.safetensors', { 'pooler.bias': { dtype: 'F32', shape: [4], data: new Float32Array(4) } });
 * ```
 */
export async function writeSafetensorsFile(path: string, tensors: Record<string, SafetensorsTensor>, metadata?: Record<string, string>): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}
