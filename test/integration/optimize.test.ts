import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeOnnxModel } from '../../src/model/onnx-proto.js';
import { opHistogram } from '../../src/model/onnx-graph-view.js';
import { reference } from '../helpers/reference.js';
import { FIXTURE } from '../helpers/hf-albert-tiny.js';
import { cleanup, readOutput, runCli, tempDir, tinyModel, vectors } from '../helpers/cli.js';

/**
 * `albert optimize` on the HF fixture's torch exports, through the CLI: what it fuses and
 * quantizes (counted in the written graph), and that every task takes the variant as is,
 * with fused outputs equal to the unfused ones within 1e-4.
 */
let dir: string;
let texts: string;
let masked: string;
const TOK = join(FIXTURE, 'tokenizer');

beforeAll(() => {
  dir = tempDir('albert-optimize-');
  texts = join(dir, 'texts.jsonl');
  writeFileSync(texts, reference.texts.map((text, i) => JSON.stringify({ id: `t${i}`, text })).join('\n') + '\n');
  masked = join(dir, 'masked.jsonl');
  writeFileSync(masked, reference.masked_texts.map((text, i) => JSON.stringify({ id: `m${i}`, text })).join('\n') + '\n');
});
afterAll(() => cleanup(dir));

function ops(folder: string): Record<string, number> {
  return opHistogram(decodeOnnxModel(readFileSync(join(folder, 'model.onnx'))));
}

function maxDiff(a: Float32Array[], b: Float32Array[]): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  a.forEach((row, i) => row.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - b[i][j])))));
  return worst;
}

async function optimize(args: string[]): Promise<void> {
  const r = await runCli(['optimize', ...args]);
  expect(r.stderr).not.toMatch(/albert: ALB_/);
  expect(r.code).toBe(0);
}

async function task(name: string, model: string, input: string, extra: string[] = []): Promise<ReturnType<typeof readOutput>> {
  const out = join(dir, `out-${name}-${Math.random().toString(36).slice(2)}`);
  const r = await runCli([name, input, '--out', out, '--model', model, '--quiet', ...extra]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return readOutput(out);
}

describe('albert optimize --fuse on torch exports', () => {
  it('fuses attention, residual LayerNorms and GELU; embed outputs equal the unfused ones within 1e-4', async () => {
    const out = join(dir, 'tiny-fused');
    await optimize([join(FIXTURE, 'albert-tiny'), out, '--fuse', '--tokenizer', TOK, '--no-check']);
    const h = ops(out);
    expect(h['com.microsoft:Attention']).toBe(3);
    expect(h['com.microsoft:SkipLayerNormalization']).toBe(6);
    expect(h['com.microsoft:FastGelu']).toBe(3);
    expect(h.Softmax).toBeUndefined();
    expect(h.LayerNormalization).toBe(1); // the embeddings' LayerNorm is not a residual one
    const variant = JSON.parse(readFileSync(join(out, 'variant.json'), 'utf8'));
    expect(variant).toMatchObject({ name: 'fp32-fused', precision: 'fp32', fused: true, accuracy: null, fused_ops: { Attention: 3, SkipLayerNormalization: 6, FastGelu: 3 } });
    expect(resolve(out, variant.base.path)).toBe(join(FIXTURE, 'albert-tiny'));

    const plain = tinyModel('albert-tiny');
    for (const extra of [[], ['--pooling', 'cls', '--no-normalize']]) {
      const a = vectors(await task('embed', plain, texts, extra), 'embedding');
      const b = vectors(await task('embed', out, texts, extra), 'embedding');
      expect(maxDiff(a, b)).toBeLessThan(1e-4);
    }
  });

  it('label and fill-mask take fused classifier and masked-LM variants, within 1e-4', async () => {
    const cls = join(dir, 'cls-fused');
    const mlm = join(dir, 'mlm-fused');
    await optimize([join(FIXTURE, 'albert-tiny-cls'), cls, '--fuse', '--tokenizer', TOK, '--no-check']);
    await optimize([join(FIXTURE, 'albert-tiny-mlm'), mlm, '--fuse', '--tokenizer', TOK, '--no-check']);
    expect(ops(cls)['com.microsoft:Attention']).toBe(3);
    expect(ops(mlm)['com.microsoft:Attention']).toBe(3);
    const a = vectors(await task('label', tinyModel('albert-tiny-cls'), texts), 'probs');
    const b = vectors(await task('label', cls, texts), 'probs');
    expect(maxDiff(a, b)).toBeLessThan(1e-4);
    const scores = (t: ReturnType<typeof readOutput>): Float32Array[] => {
      const col = t.getChild('predictions')!;
      return Array.from({ length: col.length }, (_, i) => Float32Array.from([...(col.get(i) as Iterable<{ score: number; token_id: number }>)].flatMap((p) => [p.score, p.token_id])));
    };
    const ma = scores(await task('fill-mask', tinyModel('albert-tiny-mlm'), masked));
    const mb = scores(await task('fill-mask', mlm, masked));
    expect(maxDiff(ma, mb)).toBeLessThan(1e-4);
  });
});

describe('albert optimize --int8 and --fp16', () => {
  it('quantizes each shared weight once, writes the variant and its accuracy report', async () => {
    const out = join(dir, 'tiny-int8');
    await optimize([join(FIXTURE, 'albert-tiny'), out, '--int8', '--tokenizer', TOK, '--check-rows', '40']);
    const h = ops(out);
    // 3 layer applications × 6 products + the E→H projection; the pooler (Gemm) stays fp32.
    expect(h['com.microsoft:DynamicQuantizeMatMul']).toBe(19);
    expect(h.Gemm).toBe(1);
    const variant = JSON.parse(readFileSync(join(out, 'variant.json'), 'utf8'));
    expect(variant).toMatchObject({ name: 'int8', precision: 'int8', fused: false, int8_weights: 'int8-7bit', int8: { nodes: 19, weights: 7 } });
    const report = JSON.parse(readFileSync(join(out, 'variant-report.json'), 'utf8'));
    expect(report.data.rows).toBe(40);
    expect(report.embeddings.rows).toBe(40);
    expect(report.embeddings.min_cosine).toBeGreaterThan(0.9);
    expect(report.embeddings.min_cosine).toBeLessThan(1);
    expect(variant.accuracy.passed).toBe(report.passed);
    const r = await runCli(['inspect', out]);
    expect(r.stdout).toMatch(/variant\s+int8 \(7-bit int8 weights\)/);
    expect(r.stdout).toMatch(/com\.microsoft:DynamicQuantizeMatMul 19/);
    expect(r.stdout).toMatch(/accuracy\s+min cosine/);
  });

  it('fp16 with fusion runs through embed, close to fp32', async () => {
    const out = join(dir, 'tiny-fp16');
    await optimize([join(FIXTURE, 'albert-tiny'), out, '--fp16', '--fuse', '--tokenizer', TOK, '--no-check']);
    const model = decodeOnnxModel(readFileSync(join(out, 'model.onnx')));
    expect(model.graph.initializer.some((t) => t.data_type === 10)).toBe(true);
    expect(opHistogram(model)['com.microsoft:Attention']).toBe(3);
    const a = vectors(await task('embed', tinyModel('albert-tiny'), texts), 'embedding');
    const b = vectors(await task('embed', out, texts), 'embedding');
    expect(maxDiff(a, b)).toBeLessThan(0.02);
  });

  it('refuses what it cannot do, naming it', async () => {
    const both = await runCli(['optimize', join(FIXTURE, 'albert-tiny'), join(dir, 'nope'), '--int8', '--fp16', '--tokenizer', TOK]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/ALB_OPTION_CONFLICT: optimize: --int8 and --fp16 exclude each other/);
    const none = await runCli(['optimize', join(FIXTURE, 'albert-tiny'), join(dir, 'nope')]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/ALB_OPTION_MISSING/);
    const again = await runCli(['optimize', join(dir, 'tiny-int8'), join(dir, 'nope'), '--fuse', '--no-check']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/ALB_OPTIMIZE_UNSUPPORTED: .*is already int8; make variants from the fp32 model/);
    expect(existsSync(join(dir, 'nope'))).toBe(false);
  });
});
