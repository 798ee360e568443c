/**
 * `albert convert` on the HF fixtures: each tiny model folder converted from its
 * model.safetensors reproduces HF's reference outputs within 1e-4.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { Tokenizer } from 'tokenizers';
import { afterAll, describe, expect, test } from 'vitest';
import { AlbertError, ModelError, OptionError, OutputError } from '../../src/errors.js';
import { convertModel } from '../../src/convert/convert-model.js';
import { decodeOnnxModel, DataType, valueInfoShape } from '../../src/model/onnx-proto.js';
import { FIXTURE, feeds, floatArray, logitSummaries, maxAbsDiff, reference, type LogitSummary } from '../helpers/hf-albert-tiny.js';

const tmp = mkdtempSync(join(tmpdir(), 'albert-convert-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const TOK = join(FIXTURE, 'tokenizer');
const SHARED = join(FIXTURE, '../../../../shared/fixtures/hf-albert-tiny');

async function convertFixture(name: string, fp16 = false, task?: 'base' | 'mlm' | 'cls' | 'pretraining'): Promise<{ dir: string; session: ort.InferenceSession }> {
  const dir = join(tmp, `${name}${fp16 ? '-fp16' : ''}${task ? `-${task}` : ''}`);
  await convertModel(join(FIXTURE, name), dir, { tokenizerDir: TOK, fp16, task, overwrite: true });
  return { dir, session: await ort.InferenceSession.create(join(dir, 'model.onnx')) };
}

/** Our logits at HF's top-5 ids, and our logsumexp, against the stored summaries (positions of [B, S] within ours of [B, S']). */
function checkSummary(logits: Float32Array, ourSeq: number, summary: LogitSummary, tol: number): number {
  const [B, S] = summary.shape;
  const V = summary.vocab;
  let worst = 0;
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < S; s++) {
      const row = logits.subarray((b * ourSeq + s) * V, (b * ourSeq + s + 1) * V);
      const k = b * S + s;
      summary.top5Ids[k].forEach((id, r) => { worst = Math.max(worst, Math.abs(row[id] - summary.top5Values[k][r])); });
      let m = -Infinity;
      for (const x of row) m = Math.max(m, x);
      let acc = 0;
      for (const x of row) acc += Math.exp(x - m);
      worst = Math.max(worst, Math.abs(m + Math.log(acc) - summary.logsumexp[k]));
    }
  }
  expect(worst).toBeLessThan(tol);
  return worst;
}

function sharedLogits(file: string): Float32Array | undefined {
  const path = join(SHARED, 'reference', file);
  if (!existsSync(path)) return undefined;
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

describe('converted fixtures match the HF reference within 1e-4', () => {
  test('albert-tiny (AlbertModel): last_hidden_state and pooler_output', async () => {
    const { dir, session } = await convertFixture('albert-tiny');
    expect(session.inputNames).toEqual(['input_ids', 'attention_mask', 'token_type_ids']);
    expect(session.outputNames).toEqual(['last_hidden_state', 'pooler_output']);
    const out = await session.run(feeds());
    expect(maxAbsDiff(out.last_hidden_state.data as Float32Array, floatArray('last_hidden_state').data)).toBeLessThan(1e-4);
    expect(maxAbsDiff(out.pooler_output.data as Float32Array, floatArray('pooler_output').data)).toBeLessThan(1e-4);
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'model.onnx', 'spiece.model', 'tokenizer.json', 'tokenizer_config.json', 'variant.json']);
  });

  test('albert-tiny-cls (AlbertForSequenceClassification): logits', async () => {
    const { session } = await convertFixture('albert-tiny-cls');
    expect(session.outputNames).toEqual(['logits']);
    const out = await session.run(feeds());
    expect(out.logits.dims).toEqual([24, 3]);
    expect(maxAbsDiff(out.logits.data as Float32Array, floatArray('cls_logits').data)).toBeLessThan(1e-4);
  });

  test('albert-tiny-mlm (AlbertForMaskedLM, tied decoder): logits', async () => {
    const { session } = await convertFixture('albert-tiny-mlm');
    const out = await session.run(feeds('mlm_'));
    const logits = out.logits.data as Float32Array;
    expect(out.logits.dims).toEqual([4, 14, 8000]);
    checkSummary(logits, 14, logitSummaries.arrays.mlm_logits, 1e-4);
    const full = sharedLogits('mlm_logits.bin');
    if (full) expect(maxAbsDiff(logits, full)).toBeLessThan(1e-4);
  });

  test('albert-tiny-pretraining (AlbertForPreTraining): sop_logits (3 labels) and prediction_logits', async () => {
    const { session } = await convertFixture('albert-tiny-pretraining');
    expect(session.outputNames).toEqual(['prediction_logits', 'sop_logits']);
    const out = await session.run(feeds('sop_'));
    expect(out.sop_logits.dims).toEqual([3, 3]);
    expect(maxAbsDiff(out.sop_logits.data as Float32Array, floatArray('sop_logits').data)).toBeLessThan(1e-4);
    const seq = reference.arrays.sop_input_ids.shape[1];
    checkSummary(out.prediction_logits.data as Float32Array, seq, logitSummaries.arrays.pretraining_prediction_logits_first, 1e-4);
  });

  test('the out folder is a model folder: its tokenizer.json encodes the reference texts', async () => {
    const { dir } = await convertFixture('albert-tiny');
    const tok = Tokenizer.fromFile(join(dir, 'tokenizer.json'));
    expect((await tok.encode(reference.texts[0])).getIds()).toEqual(reference.ids_unpadded[0]);
  });
});

describe('--task', () => {
  test('base on a pretraining checkpoint keeps the encoder and the pooler, and rewrites architectures', async () => {
    const { dir, session } = await convertFixture('albert-tiny-pretraining', false, 'base');
    expect(session.outputNames).toEqual(['last_hidden_state', 'pooler_output']);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).architectures).toEqual(['AlbertModel']);
  });

  test('base on an MLM checkpoint (no pooler) has last_hidden_state only, with a warning', async () => {
    const r = await convertModel(join(FIXTURE, 'albert-tiny-mlm'), join(tmp, 'mlm-as-base'), { tokenizerDir: TOK, task: 'base' });
    expect(r.outputs).toEqual(['last_hidden_state']);
    expect(r.warnings.join('\n')).toMatch(/no pooler/);
  });

  test('a task whose weights are absent is refused, naming the missing key', async () => {
    const err = await convertModel(join(FIXTURE, 'albert-tiny'), join(tmp, 'refused'), { tokenizerDir: TOK, task: 'cls' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect((err as AlbertError).code).toBe('ALB_CONVERT_MISSING_WEIGHT');
    expect((err as AlbertError).message).toMatch(/"classifier\.weight"/);
    const sop = await convertModel(join(FIXTURE, 'albert-tiny-mlm'), join(tmp, 'refused2'), { tokenizerDir: TOK, task: 'pretraining' }).catch((e: unknown) => e);
    expect((sop as AlbertError).message).toMatch(/"albert\.pooler\.weight"/);
  });

  test('an unknown task is an option error', async () => {
    await expect(convertModel(join(FIXTURE, 'albert-tiny'), join(tmp, 'x'), { task: 'ner' as 'base' })).rejects.toBeInstanceOf(OptionError);
  });
});

describe('inputs and outputs', () => {
  test('an existing model.onnx is kept unless overwrite', async () => {
    const dir = join(tmp, 'exists');
    await convertModel(join(FIXTURE, 'albert-tiny'), dir, { tokenizerDir: TOK });
    const err = await convertModel(join(FIXTURE, 'albert-tiny'), dir, { tokenizerDir: TOK }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutputError);
    expect((err as AlbertError).code).toBe('ALB_CONVERT_OUT_EXISTS');
  });

  test('a folder without a tokenizer is refused with a hint', async () => {
    const err = await convertModel(join(FIXTURE, 'albert-tiny'), join(tmp, 'notok'), {}).catch((e: unknown) => e);
    expect((err as AlbertError).code).toBe('ALB_CONVERT_MISSING_FILE');
    expect((err as AlbertError).message).toMatch(/tokenizer\.json nor spiece\.model.*--tokenizer/);
  });

  test('a folder without weights names what it looked for', async () => {
    const dir = join(tmp, 'noweights');
    cpSync(join(FIXTURE, 'albert-tiny', 'config.json'), join(dir, 'config.json'));
    writeFileSync(join(dir, 'pytorch_model.bin'), 'x');
    await expect(convertModel(dir, join(tmp, 'o'), { tokenizerDir: TOK })).rejects.toThrow(/no model\.safetensors \(pytorch_model\.bin is not read/);
  });
});

describe('--fp16', () => {
  test('keeps input and output types, halves the file, and stays close to fp32', async () => {
    const fp32 = await convertFixture('albert-tiny');
    const fp16 = await convertFixture('albert-tiny', true);
    const model = decodeOnnxModel(readFileSync(join(fp16.dir, 'model.onnx')));
    expect(model.graph.input.map((v) => valueInfoShape(v).elemType)).toEqual([DataType.INT64, DataType.INT64, DataType.INT64]);
    expect(model.graph.output.map((v) => valueInfoShape(v).elemType)).toEqual([DataType.FLOAT, DataType.FLOAT]);
    const halfBytes = model.graph.initializer.filter((t) => t.data_type === DataType.FLOAT16).reduce((a, t) => a + (t.raw_data?.length ?? 0), 0);
    const allBytes = model.graph.initializer.reduce((a, t) => a + (t.raw_data?.length ?? 0), 0);
    expect(halfBytes / allBytes).toBeGreaterThan(0.9);
    // LayerNorm and softmax stay float32.
    expect(model.graph.node.filter((n) => n.op_type === 'LayerNormalization').every((n) => n.input.slice(1).every((i) => model.graph.initializer.find((t) => t.name === i)?.data_type === DataType.FLOAT))).toBe(true);

    const a = await fp32.session.run(feeds());
    const b = await fp16.session.run(feeds());
    const pa = a.pooler_output.data as Float32Array;
    const pb = b.pooler_output.data as Float32Array;
    // This fixture's weights are random with std 0.2, far rougher than trained ones (see bench/fp16-agreement.ts).
    expect(maxAbsDiff(pa, pb)).toBeLessThan(2e-2);
    for (let r = 0; r < 24; r++) {
      const x = pa.subarray(r * 64, (r + 1) * 64), y = pb.subarray(r * 64, (r + 1) * 64);
      let dot = 0, nx = 0, ny = 0;
      for (let k = 0; k < 64; k++) { dot += x[k] * y[k]; nx += x[k] ** 2; ny += y[k] ** 2; }
      expect(dot / Math.sqrt(nx * ny)).toBeGreaterThan(0.999);
    }
  });

  test('fp16 classifier gives the fp32 labels on the reference texts', async () => {
    const a = await (await convertFixture('albert-tiny-cls')).session.run(feeds());
    const b = await (await convertFixture('albert-tiny-cls', true)).session.run(feeds());
    const argmax = (d: Float32Array, r: number): number => [0, 1, 2].reduce((best, k) => (d[r * 3 + k] > d[r * 3 + best] ? k : best), 0);
    const la = Array.from({ length: 24 }, (_, r) => argmax(a.logits.data as Float32Array, r));
    const lb = Array.from({ length: 24 }, (_, r) => argmax(b.logits.data as Float32Array, r));
    expect(lb).toEqual(la);
  });
});
