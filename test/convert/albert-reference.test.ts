/**
 * Converted graphs against an independent float64 forward pass written here from HF's
 * modeling_albert math, on random checkpoints with several layer groups and inner layers.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { afterAll, describe, expect, test } from 'vitest';
import { convertModel } from '../../src/convert/convert-model.js';
import { decodeOnnxModel } from '../../src/model/onnx-proto.js';
import { countAlbertParameters } from '../../src/convert/param-count.js';
import { OFFICIAL_ALBERT_CONFIGS, parseAlbertConfig } from '../../src/model/albert-config.js';
import { maxAbsDiff } from '../helpers/hf-albert-tiny.js';
import { writeRandomAlbertFolder, type RandomAlbertSpec } from '../helpers/random-albert.js';

type W = Map<string, { shape: number[]; data: Float32Array }>;
type Mat = Float64Array[]; // rows

const FLOAT32_MIN = -3.4028234663852886e38;

function linear(x: Mat, w: W, name: string): Mat {
  const { shape: [o, i], data } = w.get(`${name}.weight`)!;
  const bias = w.get(`${name}.bias`)!.data;
  return x.map((row) => {
    const y = new Float64Array(o);
    for (let r = 0; r < o; r++) {
      let acc = bias[r];
      for (let c = 0; c < i; c++) acc += data[r * i + c] * row[c];
      y[r] = acc;
    }
    return y;
  });
}

function layerNorm(x: Mat, w: W, name: string, eps: number): Mat {
  const g = w.get(`${name}.weight`)!.data;
  const b = w.get(`${name}.bias`)!.data;
  return x.map((row) => {
    const mean = row.reduce((a, v) => a + v, 0) / row.length;
    const variance = row.reduce((a, v) => a + (v - mean) ** 2, 0) / row.length;
    return row.map((v, k) => ((v - mean) / Math.sqrt(variance + eps)) * g[k] + b[k]);
  });
}

function erf(x: number): number {
  // Abramowitz-Stegun 7.1.26 is too coarse for 1e-4; use the series / continued fraction pair.
  const t = Math.abs(x);
  if (t < 3) {
    let sum = t, term = t;
    for (let n = 1; n < 200; n++) { term *= -t * t / n; sum += term / (2 * n + 1); if (Math.abs(term) < 1e-17) break; }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  let f = 0;
  for (let n = 60; n >= 1; n--) f = (n / 2) / (t + f);
  return Math.sign(x) * (1 - Math.exp(-t * t) / Math.sqrt(Math.PI) / (t + f));
}

function act(name: string, x: number): number {
  switch (name) {
    case 'relu': return Math.max(0, x);
    case 'gelu': return 0.5 * x * (1 + erf(x / Math.SQRT2));
    default: return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
  }
}

interface Forward { lastHidden: Mat[]; pooled?: Mat; mlmLogits?: Mat[]; clsLogits?: Mat; sopLogits?: Mat }

/** HF AlbertModel + heads, float64, one sequence at a time. */
function forward(spec: RandomAlbertSpec, w: W, ids: number[][], mask: number[][], types: number[][]): Forward {
  const c = spec.config;
  const p = spec.prefix;
  const eps = 1e-12;
  const hiddenAct = (c.hidden_act as string | undefined) ?? 'gelu_new';
  const H = c.hidden_size, nh = c.num_attention_heads, d = H / nh;
  const out: Forward = { lastHidden: [] };
  const pooledRows: Float64Array[] = [];
  for (let b = 0; b < ids.length; b++) {
    const S = ids[b].length;
    const we = w.get(`${p}embeddings.word_embeddings.weight`)!, pe = w.get(`${p}embeddings.position_embeddings.weight`)!, te = w.get(`${p}embeddings.token_type_embeddings.weight`)!;
    const E = c.embedding_size;
    let x: Mat = ids[b].map((id, s) => Float64Array.from({ length: E }, (_, k) => we.data[id * E + k] + pe.data[s * E + k] + te.data[types[b][s] * E + k]));
    x = layerNorm(x, w, `${p}embeddings.LayerNorm`, eps);
    let h = linear(x, w, `${p}encoder.embedding_hidden_mapping_in`);
    for (let i = 0; i < c.num_hidden_layers; i++) {
      const g = Math.trunc(i / (c.num_hidden_layers / c.num_hidden_groups));
      for (let j = 0; j < c.inner_group_num; j++) {
        const l = `${p}encoder.albert_layer_groups.${g}.albert_layers.${j}`;
        const q = linear(h, w, `${l}.attention.query`), k = linear(h, w, `${l}.attention.key`), v = linear(h, w, `${l}.attention.value`);
        const ctx: Mat = Array.from({ length: S }, () => new Float64Array(H));
        for (let head = 0; head < nh; head++) {
          for (let s = 0; s < S; s++) {
            const scores = Array.from({ length: S }, (_, t) => {
              let dot = 0;
              for (let e = 0; e < d; e++) dot += q[s][head * d + e] * k[t][head * d + e];
              return dot / Math.sqrt(d) + (1 - mask[b][t]) * FLOAT32_MIN;
            });
            const m = Math.max(...scores);
            const ex = scores.map((z) => Math.exp(z - m));
            const sum = ex.reduce((a, z) => a + z, 0);
            for (let t = 0; t < S; t++) for (let e = 0; e < d; e++) ctx[s][head * d + e] += (ex[t] / sum) * v[t][head * d + e];
          }
        }
        const proj = linear(ctx, w, `${l}.attention.dense`);
        const attn = layerNorm(proj.map((r, s) => r.map((z, e) => z + h[s][e])), w, `${l}.attention.LayerNorm`, eps);
        const inner = linear(attn, w, `${l}.ffn`).map((r) => r.map((z) => act(hiddenAct, z)));
        const ffn = linear(inner, w, `${l}.ffn_output`);
        h = layerNorm(ffn.map((r, s) => r.map((z, e) => z + attn[s][e])), w, `${l}.full_layer_layer_norm`, eps);
      }
    }
    out.lastHidden.push(h);
    if (spec.pooler) pooledRows.push(linear([h[0]], w, `${p}pooler`)[0].map(Math.tanh));
    if (spec.mlm) {
      const t = layerNorm(linear(h, w, 'predictions.dense').map((r) => r.map((z) => act(hiddenAct, z))), w, 'predictions.LayerNorm', eps);
      const dec = spec.mlm === 'tied' ? w.get(`${p}embeddings.word_embeddings.weight`)! : w.get('predictions.decoder.weight')!;
      const bias = w.get('predictions.bias')!.data;
      (out.mlmLogits ??= []).push(t.map((row) => Float64Array.from({ length: c.vocab_size }, (_, vv) => {
        let acc = bias[vv];
        for (let e = 0; e < row.length; e++) acc += dec.data[vv * row.length + e] * row[e];
        return acc;
      })));
    }
  }
  if (spec.pooler) {
    out.pooled = pooledRows;
    if (spec.classifierLabels) out.clsLogits = linear(pooledRows, w, 'classifier');
    if (spec.sopLabels) out.sopLogits = linear(pooledRows, w, 'sop_classifier.classifier');
  }
  return out;
}

const flat = (m: Mat[] | Mat): number[] => (m as Array<Mat | Float64Array>).flatMap((r) => (r instanceof Float64Array ? Array.from(r) : (r as Mat).flatMap((x) => Array.from(x))));

const base = { vocab_size: 40, embedding_size: 8, hidden_size: 16, num_attention_heads: 4, intermediate_size: 24, max_position_embeddings: 16, type_vocab_size: 2 };
const CASES: Array<{ title: string; task: 'base' | 'mlm' | 'cls' | 'pretraining'; spec: RandomAlbertSpec }> = [
  {
    title: '4 layers, 2 groups × 2 inner, gelu_new, pretraining (tied decoder, 2 SOP labels)', task: 'pretraining',
    spec: { config: { ...base, num_hidden_layers: 4, num_hidden_groups: 2, inner_group_num: 2, hidden_act: 'gelu_new', architectures: ['AlbertForPreTraining'] }, prefix: 'albert.', pooler: true, mlm: 'tied', sopLabels: 2, seed: 1 },
  },
  {
    title: '3 layers, 2 groups (uneven split) × 2 inner, gelu, classifier with 3 labels', task: 'cls',
    spec: { config: { ...base, num_hidden_layers: 3, num_hidden_groups: 2, inner_group_num: 2, hidden_act: 'gelu', architectures: ['AlbertForSequenceClassification'] }, prefix: 'albert.', pooler: true, classifierLabels: 3, seed: 2 },
  },
  {
    title: '5 layers, 3 groups × 1 inner, relu, AlbertModel keys without prefix', task: 'base',
    spec: { config: { ...base, num_hidden_layers: 5, num_hidden_groups: 3, inner_group_num: 1, hidden_act: 'relu', architectures: ['AlbertModel'] }, prefix: '', pooler: true, seed: 3 },
  },
  {
    title: '2 layers, 1 group × 3 inner, gelu_new, masked LM with an untied decoder', task: 'mlm',
    spec: { config: { ...base, num_hidden_layers: 2, num_hidden_groups: 1, inner_group_num: 3, hidden_act: 'gelu_new', architectures: ['AlbertForMaskedLM'] }, prefix: 'albert.', mlm: 'untied', seed: 4 },
  },
];

const tmp = mkdtempSync(join(tmpdir(), 'albert-reference-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('converted random ALBERTs match a float64 forward pass', () => {
  // Three sequences of 7, the last two padded, with both token types.
  const ids = [[2, 5, 9, 13, 17, 21, 3], [2, 30, 11, 3, 0, 0, 0], [2, 7, 3, 8, 12, 3, 0]];
  const mask = ids.map((r) => r.map((id, s) => (s > 0 && id === 0 ? 0 : 1)));
  const types = [[0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 1, 1, 1, 0]];
  const tensor = (m: number[][]): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(m.flat().map(BigInt)), [3, 7]);

  test.each(CASES)('$title', async ({ task, spec }) => {
    const inDir = join(tmp, `in-${task}`);
    const outDir = join(tmp, `out-${task}`);
    const weights = writeRandomAlbertFolder(inDir, spec);
    const result = await convertModel(inDir, outDir);
    expect(result.task).toBe(task);
    expect(result.tokenizer).toBe('built from spiece.model');

    const session = await ort.InferenceSession.create(join(outDir, 'model.onnx'));
    const got = await session.run({ input_ids: tensor(ids), attention_mask: tensor(mask), token_type_ids: tensor(types) });
    const want = forward(spec, weights, ids, mask, types);
    const tol = 1e-4;
    if (task === 'base') {
      expect(maxAbsDiff(got.last_hidden_state.data as Float32Array, flat(want.lastHidden))).toBeLessThan(tol);
      expect(maxAbsDiff(got.pooler_output.data as Float32Array, flat(want.pooled!))).toBeLessThan(tol);
    } else if (task === 'cls') {
      expect(got.logits.dims).toEqual([3, 3]);
      expect(maxAbsDiff(got.logits.data as Float32Array, flat(want.clsLogits!))).toBeLessThan(tol);
    } else if (task === 'mlm') {
      expect(got.logits.dims).toEqual([3, 7, 40]);
      expect(maxAbsDiff(got.logits.data as Float32Array, flat(want.mlmLogits!))).toBeLessThan(tol);
    } else {
      expect(maxAbsDiff(got.prediction_logits.data as Float32Array, flat(want.mlmLogits!))).toBeLessThan(tol);
      expect(maxAbsDiff(got.sop_logits.data as Float32Array, flat(want.sopLogits!))).toBeLessThan(tol);
    }

    // Shared layers are stored once: the ONNX holds exactly the checkpoint's parameters.
    const model = decodeOnnxModel(readFileSync(join(outDir, 'model.onnx')));
    const config = parseAlbertConfig(spec.config);
    const expected = countAlbertParameters(config, {
      pooler: spec.pooler, mlm: !!spec.mlm, untiedDecoder: spec.mlm === 'untied', classifierLabels: spec.classifierLabels, sopLabels: spec.sopLabels,
    }).total;
    expect(result.parameters).toBe(expected);
    const stored = [...weights.keys()].filter((k) => k !== 'predictions.decoder.bias');
    expect(stored.reduce((a, k) => a + weights.get(k)!.data.length, 0)).toBe(expected);
    const queryWeights = model.graph.initializer.filter((t) => t.name?.endsWith('attention.query.weight_T'));
    expect(queryWeights).toHaveLength(spec.config.num_hidden_groups * spec.config.inner_group_num);
  });
});

describe('the albert-base-v2 shape with random weights', () => {
  test('converts, runs, and matches the float64 forward pass', async () => {
    const spec: RandomAlbertSpec = {
      config: { ...(OFFICIAL_ALBERT_CONFIGS['albert-base-v2'] as RandomAlbertSpec['config']), architectures: ['AlbertModel'] },
      prefix: '', pooler: true, seed: 7, std: 0.05,
    };
    const inDir = join(tmp, 'in-base-v2');
    const outDir = join(tmp, 'out-base-v2');
    const weights = writeRandomAlbertFolder(inDir, spec);
    const result = await convertModel(inDir, outDir);
    expect(result.parameters).toBe(11_683_584);
    const ids = [[2, 100, 2000, 29_999, 3], [2, 7, 3, 0, 0]];
    const mask = [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]];
    const types = [[0, 0, 0, 0, 0], [0, 0, 0, 0, 0]];
    const tensor = (m: number[][]): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(m.flat().map(BigInt)), [2, 5]);
    const session = await ort.InferenceSession.create(join(outDir, 'model.onnx'));
    const got = await session.run({ input_ids: tensor(ids), attention_mask: tensor(mask), token_type_ids: tensor(types) });
    expect(got.last_hidden_state.dims).toEqual([2, 5, 768]);
    const want = forward(spec, weights, ids, mask, types);
    expect(maxAbsDiff(got.last_hidden_state.data as Float32Array, flat(want.lastHidden))).toBeLessThan(1e-4);
    expect(maxAbsDiff(got.pooler_output.data as Float32Array, flat(want.pooled!))).toBeLessThan(1e-4);
  });
});
