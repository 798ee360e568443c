import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertModel } from '../../src/convert/convert-model.js';
import { parseSafetensors } from '../../src/convert/safetensors-reader.js';
import { EMBEDDING_OUTPUT, exposeEmbeddingOutput, findEmbeddingTensor } from '../../src/model/embedding-output.js';
import { decodeOnnxModel, encodeOnnxModel } from '../../src/model/onnx-proto.js';
import { cleanup, ROOT, tempDir } from '../helpers/cli.js';
import { feeds, intArray } from '../helpers/hf-albert-tiny.js';
import { TINY } from '../helpers/reference.js';

/**
 * `--layer embeddings` reads the embedding block's output, which no graph names as an
 * output: found by the E→H projection's node names in torch exports and in our converter's
 * graph, and checked here against the block's math on the fixture's own weights.
 */
let dir: string;
let converted: string;
beforeAll(async () => {
  dir = tempDir();
  converted = join(dir, 'converted');
  await convertModel(join(TINY, 'albert-tiny'), converted, { tokenizerDir: join(TINY, 'tokenizer') });
});
afterAll(() => cleanup(dir));

const load = (file: string) => decodeOnnxModel(new Uint8Array(readFileSync(file)), file);

/** word + position + token type → LayerNorm → E→H linear, float64, from model.safetensors. */
function embeddingBlock(ids: BigInt64Array, S: number, B: number): Float64Array {
  const w = parseSafetensors(new Uint8Array(readFileSync(join(TINY, 'albert-tiny', 'model.safetensors'))));
  const word = w.read('embeddings.word_embeddings.weight');
  const pos = w.read('embeddings.position_embeddings.weight');
  const type = w.read('embeddings.token_type_embeddings.weight');
  const g = w.read('embeddings.LayerNorm.weight');
  const beta = w.read('embeddings.LayerNorm.bias');
  const proj = w.read('encoder.embedding_hidden_mapping_in.weight');
  const bias = w.read('encoder.embedding_hidden_mapping_in.bias');
  const E = g.length;
  const H = bias.length;
  const out = new Float64Array(B * S * H);
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < S; s++) {
      const id = Number(ids[b * S + s]);
      const x = Float64Array.from({ length: E }, (_, k) => word[id * E + k] + pos[s * E + k] + type[k]);
      const mean = x.reduce((a, v) => a + v, 0) / E;
      const variance = x.reduce((a, v) => a + (v - mean) ** 2, 0) / E;
      const n = x.map((v, k) => ((v - mean) / Math.sqrt(variance + 1e-12)) * g[k] + beta[k]);
      for (let h = 0; h < H; h++) {
        let acc = bias[h];
        for (let k = 0; k < E; k++) acc += proj[h * E + k] * n[k];
        out[(b * S + s) * H + h] = acc;
      }
    }
  }
  return out;
}

describe('findEmbeddingTensor', () => {
  it('finds the projection output in torch exports (bundled albert-mini, the HF fixture) and in converted graphs', () => {
    expect(findEmbeddingTensor(load(join(ROOT, 'models', 'albert-mini', 'model.onnx')))).toBe('/m/encoder/embedding_hidden_mapping_in/Add_output_0');
    expect(findEmbeddingTensor(load(join(TINY, 'albert-tiny', 'model.onnx')))).toBe('/m/encoder/embedding_hidden_mapping_in/Add_output_0');
    expect(findEmbeddingTensor(load(join(converted, 'model.onnx')))).toBe('embeddings/mapping_in/Add');
  });

  it('says what it looked for when a graph has no such node', () => {
    const m = load(join(TINY, 'albert-tiny', 'model.onnx'));
    const renamed = { ...m, graph: { ...m.graph, node: m.graph.node.map((n, i) => ({ ...n, name: `n${i}`, output: n.output.map((o) => o.replace(/embedding_hidden_mapping_in/g, 'proj')) })) } };
    // Rewire the consumers too, so the graph stays whole.
    renamed.graph.node = renamed.graph.node.map((n) => ({ ...n, input: n.input.map((x) => x.replace(/\/m\/encoder\/embedding_hidden_mapping_in\//g, '/m/encoder/proj/')) }));
    let err: any;
    try {
      findEmbeddingTensor(renamed, 'renamed.onnx');
    } catch (e) {
      err = e;
    }
    expect(err?.code).toBe('ALB_MODEL_TASK_UNSUPPORTED');
    expect(err.message).toMatch(/renamed\.onnx: cannot find the output of the embedding block.*embedding_output.*--layer last/);
  });
});

describe('exposeEmbeddingOutput', () => {
  it.each([['the torch export', () => join(TINY, 'albert-tiny', 'model.onnx')], ['our converted graph', () => join(converted, 'model.onnx')]])(
    'gives the embedding block of %s within 1e-5 of its math on the safetensors weights',
    async (_name, file) => {
      const session = await ort.InferenceSession.create(encodeOnnxModel(exposeEmbeddingOutput(load(file()))));
      try {
        expect(session.outputNames).toContain(EMBEDDING_OUTPUT);
        const f = feeds();
        const out = await session.run(f, [EMBEDDING_OUTPUT]);
        const t = out[EMBEDDING_OUTPUT];
        const [B, S] = intArray('input_ids').shape;
        expect(t.dims).toEqual([B, S, 64]);
        const want = embeddingBlock(intArray('input_ids').data, S, B);
        const got = t.data as Float32Array;
        let worst = 0;
        for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
        expect(worst).toBeLessThan(1e-5);
      } finally {
        await session.release();
      }
    },
  );

  it('drops the encoder after the embedding block (ONNX Runtime would run it for nothing), unless told to keep the outputs', () => {
    const m = load(join(ROOT, 'models', 'albert-mini', 'model.onnx'));
    const only = exposeEmbeddingOutput(m);
    expect(only.graph.output.map((o) => o.name)).toEqual([EMBEDDING_OUTPUT]);
    expect(only.graph.node.some((n) => /albert_layer_groups|pooler/.test(n.name ?? ''))).toBe(false);
    expect(only.graph.node.length).toBeLessThan(m.graph.node.length / 10);
    expect(only.graph.input.map((i) => i.name)).toEqual(m.graph.input.map((i) => i.name));
    const kept = exposeEmbeddingOutput(m, 'model.onnx', { keepOutputs: true });
    expect(kept.graph.output.map((o) => o.name)).toEqual(['last_hidden_state', 'pooler_output', EMBEDDING_OUTPUT]);
    expect(kept.graph.node.length).toBe(m.graph.node.length + 2);
  });

  it('leaves a model that already has the output as it is', () => {
    const m = exposeEmbeddingOutput(load(join(TINY, 'albert-tiny', 'model.onnx')));
    expect(exposeEmbeddingOutput(m)).toBe(m);
  });
});
