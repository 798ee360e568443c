import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { erf } from '../../src/convert/fuse-gelu.js';
import { fuseTransformerOps } from '../../src/convert/fuse-ops.js';
import { quantizeColumns, quantizeInt8 } from '../../src/convert/quantize-int8.js';
import { toFloat16Graph } from '../../src/convert/float16-graph.js';
import { opHistogram } from '../../src/model/onnx-graph-view.js';
import { decodeOnnxModel, encodeOnnxModel } from '../../src/model/onnx-proto.js';
import { normalSampler } from '../helpers/random-albert.js';
import { FIXTURE, feeds } from '../helpers/hf-albert-tiny.js';

const tiny = (name = 'albert-tiny') => decodeOnnxModel(readFileSync(join(FIXTURE, name, 'model.onnx')));
const SHAPE = { numHeads: 4, hiddenSize: 64 };

async function run(model: ReturnType<typeof tiny>, output: string): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(encodeOnnxModel(model));
  const out = (await s.run(feeds(), [output]))[output];
  await s.release();
  return out.data as Float32Array;
}

describe('graph rewrites on the torch-exported fixture', () => {
  it('symmetric per-column quantization stays within half a step of every weight', () => {
    const seed = 7;
    const next = normalSampler(seed);
    const [K, N] = [37, 11];
    const w = Float32Array.from({ length: K * N }, () => next());
    for (const steps of [127, 63]) {
      const { q, scale } = quantizeColumns(w, K, N, steps);
      for (let i = 0; i < w.length; i++) {
        expect(Math.abs((q[i] - 128) * scale[i % N] - w[i]), `seed ${seed}`).toBeLessThanOrEqual(scale[i % N] / 2 + 1e-7);
        expect(Math.abs(q[i] - 128)).toBeLessThanOrEqual(steps);
      }
    }
  });

  it('erf is accurate to 1e-7 where GELU matching evaluates it', () => {
    // Reference values of erf (from tables).
    for (const [x, want] of [[0.1, 0.1124629160182849], [0.5, 0.5204998778130465], [1, 0.8427007929497149], [2, 0.9953222650189527], [3, 0.9999779095030014], [-1.5, -0.9661051464753108]]) {
      expect(Math.abs(erf(x) - want)).toBeLessThan(1e-7);
    }
  });

  it('torch Identity aliases of shared layer weights are quantized once; the pooler stays fp32', () => {
    const r = quantizeInt8(tiny());
    expect(r.nodes).toBe(19);
    expect(r.weights).toBe(7);
    expect(r.weightBytes.after).toBeLessThan(r.weightBytes.before / 3);
    const h = opHistogram(r.model);
    expect(h.Gemm).toBe(1);
    expect(h.MatMul).toBe(6); // attention's Q·Kᵀ and ·V, 3 layers
  });

  it('fusion keeps last_hidden_state within 1e-5; int8 of the fused graph quantizes packed QKV once per shared layer', async () => {
    const fused = fuseTransformerOps(tiny(), SHAPE);
    expect(fused.fused).toEqual({ Attention: 3, SkipLayerNormalization: 6, FastGelu: 3, Gelu: 0 });
    const a = await run(tiny(), 'last_hidden_state');
    const b = await run(fused.model, 'last_hidden_state');
    let worst = 0;
    a.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b[i]))));
    expect(worst).toBeLessThan(1e-5);
    const q = quantizeInt8(fused.model);
    expect(opHistogram(q.model)['com.microsoft:QAttention']).toBe(3);
    expect(q.weights).toBe(5); // the E→H projection, and the shared layer's packed QKV, dense, ffn, ffn_output
  });

  it('int8 leaves an Attention with attributes QAttention cannot carry (qkv_hidden_sizes) in fp32', () => {
    // It copied every non-int attribute as a float: the list of ints became NaN.
    const fused = fuseTransformerOps(tiny(), SHAPE).model;
    for (const n of fused.graph!.node!.filter((x) => x.op_type === 'Attention')) {
      n.attribute = [...(n.attribute ?? []), { name: 'qkv_hidden_sizes', type: 7, ints: [64, 64, 64] }];
    }
    const h = opHistogram(quantizeInt8(fused).model);
    expect(h['com.microsoft:QAttention']).toBeUndefined();
    expect(h['com.microsoft:Attention']).toBe(3);
  });

  it('fp16 keeps the graph outputs float32 and agrees with fp32', async () => {
    const half = toFloat16Graph(tiny()).model;
    expect(half.graph.output.map((o) => o.type?.tensor_type?.elem_type)).toEqual([1, 1]);
    const a = await run(tiny(), 'pooler_output');
    const b = await run(half, 'pooler_output');
    let worst = 0;
    a.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b[i]))));
    expect(worst).toBeLessThan(0.02);
    expect(() => toFloat16Graph(half)).toThrow(/float16 weights already/);
  });
});
