import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ModelError } from '../../src/errors.js';
import { combineTensorSources, parseSafetensors, SafetensorsFile } from '../../src/convert/safetensors-reader.js';
import { encodeSafetensors } from '../helpers/safetensors-writer.js';
import { toFloat16Array } from '../../src/model/half-float.js';
import { FIXTURE } from '../helpers/hf-albert-tiny.js';

const tmp = mkdtempSync(join(tmpdir(), 'safetensors-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('safetensors reader', () => {
  const path = join(FIXTURE, 'albert-tiny-cls', 'model.safetensors');

  test('reads the HF fixture: names, shapes, dtypes, values', () => {
    const st = SafetensorsFile.open(path);
    try {
      expect(st.names()).toContain('albert.embeddings.word_embeddings.weight');
      expect(st.shape('classifier.weight')).toEqual([3, 64]);
      expect(st.dtype('classifier.weight')).toBe('F32');
      expect(st.metadata).toEqual({ format: 'pt' });
      const w = st.read('albert.embeddings.LayerNorm.weight');
      expect(w).toBeInstanceOf(Float32Array);
      expect(w).toHaveLength(32);
      // Positioned reads give what parsing the whole file in memory gives.
      const mem = parseSafetensors(readFileSync(path), path);
      for (const n of st.names()) expect(st.read(n)).toEqual(mem.read(n));
    } finally {
      st.close();
    }
  });

  test('widens F16 and BF16 to float32 exactly', () => {
    const values = new Float32Array([0, 1, -2.5, 65504, 1e-7, 3.140625]);
    const bf16 = new Uint16Array(new Uint32Array(values.buffer).map((x) => x >>> 16));
    const bytes = encodeSafetensors({
      h: { dtype: 'F16', shape: [2, 3], data: toFloat16Array(values) },
      b: { dtype: 'BF16', shape: [6], data: bf16 },
      f: { dtype: 'F32', shape: [6], data: values },
    });
    const st = parseSafetensors(bytes);
    expect(st.shape('h')).toEqual([2, 3]);
    const h = st.read('h');
    expect(Array.from(h.subarray(0, 4))).toEqual([0, 1, -2.5, 65504]);
    expect(h[4]).toBe(2 * 2 ** -24); // 1e-7 rounds to the float16 subnormal 2·2^-24
    // bfloat16 is the top half of a float32: truncation keeps 0, 1, -2.5 and 3.140625 exact.
    const widened = new Float32Array(Uint32Array.from(bf16, (x) => x << 16).buffer);
    expect(st.read('b')).toEqual(widened);
    expect([0, 1, 2, 5].map((i) => st.read('b')[i])).toEqual([0, 1, -2.5, 3.140625]);
    expect(st.read('f')).toEqual(values);
  });

  test('names the file and the problem for corrupt input', () => {
    const bad = join(tmp, 'bad.safetensors');
    writeFileSync(bad, Buffer.from([255, 255, 255, 255, 0, 0, 0, 0, 1]));
    expect(() => SafetensorsFile.open(bad)).toThrow(ModelError);
    expect(() => SafetensorsFile.open(bad)).toThrow(/bad\.safetensors: not a valid safetensors file \(header length \d+ is out of range\)/);
    const bytes = encodeSafetensors({ x: { dtype: 'F32', shape: [4], data: new Float32Array(4) } });
    expect(() => parseSafetensors(bytes.subarray(0, bytes.length - 4), 'cut.safetensors')).toThrow(/data_offsets \[0,16\] outside the 12 data bytes/);
    const st = parseSafetensors(bytes, 'x.safetensors');
    expect(() => st.read('y')).toThrow(/x\.safetensors: no tensor named "y"/);
  });

  test('refuses to read integer tensors as floats', () => {
    const header = JSON.stringify({ ids: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } });
    const buf = Buffer.alloc(8 + header.length + 16);
    buf.writeBigUInt64LE(BigInt(header.length));
    buf.write(header, 8);
    const st = parseSafetensors(buf, 'ids.safetensors');
    expect(st.dtype('ids')).toBe('I64');
    expect(() => st.read('ids')).toThrow(/dtype I64; expected a float dtype/);
  });

  test('shards combine into one source and clash on duplicate names', () => {
    const a = parseSafetensors(encodeSafetensors({ x: { dtype: 'F32', shape: [1], data: new Float32Array([1]) } }), 'a');
    const b = parseSafetensors(encodeSafetensors({ y: { dtype: 'F32', shape: [1], data: new Float32Array([2]) } }), 'b');
    const both = combineTensorSources([a, b], 'index.json');
    expect(both.names().sort()).toEqual(['x', 'y']);
    expect(Array.from(both.read('y'))).toEqual([2]);
    expect(() => combineTensorSources([a, a], 'index.json')).toThrow(/tensor x is in both a and a/);
  });
});
