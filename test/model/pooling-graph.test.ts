import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';
import { describe, expect, test } from 'vitest';
import { ModelError } from '../../src/errors.js';
import { fromFloat16Array, toFloat16Array } from '../../src/model/half-float.js';
import { OnnxGraphBuilder } from '../../src/model/onnx-graph-builder.js';
import { DataType, decodeOnnxModel, encodeOnnxModel } from '../../src/model/onnx-proto.js';
import { appendPooling, type PoolingMode } from '../../src/model/pooling-graph.js';
import { FIXTURE, feeds, floatArray, intArray, maxAbsDiff } from '../helpers/hf-albert-tiny.js';

/** float64 pooling from the HF math (sentence-transformers' mean/max, CLS token, F.normalize). */
function referencePool(h: ArrayLike<number>, mask: ArrayLike<bigint>, [B, S, H]: number[], mode: PoolingMode, normalize: boolean): Float64Array {
  const out = new Float64Array(B * H);
  for (let b = 0; b < B; b++) {
    const row = out.subarray(b * H, (b + 1) * H);
    const at = (s: number, k: number): number => h[(b * S + s) * H + k];
    if (mode === 'cls') {
      for (let k = 0; k < H; k++) row[k] = at(0, k);
    } else if (mode === 'mean') {
      let count = 0;
      for (let s = 0; s < S; s++) {
        const m = Number(mask[b * S + s]);
        count += m;
        for (let k = 0; k < H; k++) row[k] += at(s, k) * m;
      }
      for (let k = 0; k < H; k++) row[k] /= Math.max(count, 1e-9);
    } else {
      row.fill(-Infinity);
      for (let s = 0; s < S; s++) {
        for (let k = 0; k < H; k++) row[k] = Math.max(row[k], Number(mask[b * S + s]) ? at(s, k) : -1e9);
      }
    }
    if (normalize) {
      const norm = Math.sqrt(row.reduce((a, x) => a + x * x, 0));
      for (let k = 0; k < H; k++) row[k] /= Math.max(norm, 1e-12);
    }
  }
  return out;
}

const tinyOnnx = readFileSync(`${FIXTURE}albert-tiny/model.onnx`);

describe('appendPooling on the torch-exported albert-tiny model', () => {
  const mask = intArray('attention_mask');
  const hfHidden = floatArray('last_hidden_state');
  const cases: Array<[PoolingMode, boolean]> = [['mean', false], ['mean', true], ['max', false], ['max', true], ['cls', false], ['cls', true]];

  test.each(cases)('%s pooling (normalize %s) matches a float64 reference within 1e-5', async (mode, normalize) => {
    const session = await ort.InferenceSession.create(appendPooling(tinyOnnx, { pooling: mode, normalize }));
    expect(session.outputNames).toEqual(['last_hidden_state', 'pooler_output', 'sentence_embedding']);
    const out = await session.run(feeds(), ['sentence_embedding', 'last_hidden_state']);
    const emb = out.sentence_embedding;
    expect(emb.type).toBe('float32');
    expect(emb.dims).toEqual([24, 64]);
    // Against ORT's own hidden states (pooling arithmetic alone) and HF's (the whole path).
    const ortHidden = out.last_hidden_state.data as Float32Array;
    expect(maxAbsDiff(emb.data as Float32Array, referencePool(ortHidden, mask.data, hfHidden.shape, mode, normalize))).toBeLessThan(1e-5);
    expect(maxAbsDiff(emb.data as Float32Array, referencePool(hfHidden.data, mask.data, hfHidden.shape, mode, normalize))).toBeLessThan(1e-5);
  });

  test('keepOutputs: false leaves only the pooled output', async () => {
    const session = await ort.InferenceSession.create(appendPooling(tinyOnnx, { keepOutputs: false, outputName: 'pooled' }));
    expect(session.outputNames).toEqual(['pooled']);
  });

  test('keeps the rest of the model as it was', () => {
    const before = decodeOnnxModel(tinyOnnx);
    const after = decodeOnnxModel(appendPooling(tinyOnnx, { pooling: 'mean' }));
    expect(after.ir_version).toBe(before.ir_version);
    expect(after.opset_import).toEqual(before.opset_import);
    expect(after.graph.node.slice(0, before.graph.node.length)).toEqual(before.graph.node);
    expect(after.graph.initializer.length).toBeGreaterThan(before.graph.initializer.length);
  });

  test('refuses a model without the hidden output, naming what it has', () => {
    expect(() => appendPooling(tinyOnnx, { hiddenOutput: 'hidden' })).toThrow(ModelError);
    expect(() => appendPooling(tinyOnnx, { hiddenOutput: 'hidden' })).toThrow(/no output "hidden" \(outputs: last_hidden_state, pooler_output\)/);
    expect(() => appendPooling(tinyOnnx, { hiddenOutput: 'pooler_output' })).toThrow(/rank 2/);
  });
});

describe('appendPooling on a float16 hidden output', () => {
  // A stand-in for an fp16 encoder: the hidden states come in as a float16 input.
  function fp16Passthrough(opset: number): Uint8Array {
    const b = new OnnxGraphBuilder({ opset });
    b.input('hidden16', DataType.FLOAT16, ['batch', 'sequence', 4]);
    b.input('attention_mask', DataType.INT64, ['batch', 'sequence']);
    b.op('Identity', ['hidden16'], { outputs: ['last_hidden_state'] });
    b.output('last_hidden_state', DataType.FLOAT16, ['batch', 'sequence', 4]);
    return encodeOnnxModel(b.build());
  }

  test.each([17, 18])('pools in float32 and outputs float32 (opset %i)', async (opset) => {
    const values = new Float32Array(2 * 3 * 4).map((_, i) => Math.sin(i) * 3);
    const halves = toFloat16Array(values);
    // The reference pools the float16 values the model actually sees, widened exactly.
    const exact = fromFloat16Array(halves);
    const f16 = new ort.Tensor('float16', halves, [2, 3, 4]);
    const mask = new BigInt64Array([1n, 1n, 0n, 1n, 0n, 0n]);
    for (const mode of ['mean', 'max', 'cls'] as const) {
      const session = await ort.InferenceSession.create(appendPooling(fp16Passthrough(opset), { pooling: mode, normalize: true }));
      const out = await session.run({ hidden16: f16, attention_mask: new ort.Tensor('int64', mask, [2, 3]) }, ['sentence_embedding']);
      expect(out.sentence_embedding.type).toBe('float32');
      expect(maxAbsDiff(out.sentence_embedding.data as Float32Array, referencePool(exact, mask, [2, 3, 4], mode, true))).toBeLessThan(1e-6);
    }
  });
});
