/**
 * models/albert-mini-sop, the default model of `albert sop`: converted with
 * `albert convert ../shared/models/albert-mini-pretraining models/albert-mini-sop --task pretraining
 *  --tokenizer ../shared/models/albert-mini`.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { Tokenizer } from 'tokenizers';
import { afterAll, describe, expect, test } from 'vitest';
import { convertModel } from '../../src/convert/convert-model.js';
import { maxAbsDiff, reference } from '../helpers/hf-albert-tiny.js';

const MODEL = fileURLToPath(new URL('../../models/albert-mini-sop', import.meta.url));
const SHARED = fileURLToPath(new URL('../../../shared/models', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'albert-sop-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function sopLogits(dir: string, pairs: Array<[string, string]>): Promise<Float32Array[]> {
  const tok = Tokenizer.fromFile(join(dir, 'tokenizer.json'));
  const session = await ort.InferenceSession.create(join(dir, 'model.onnx'));
  const out: Float32Array[] = [];
  for (const [a, b] of pairs) {
    const enc = await tok.encode(a, b);
    const n = enc.getIds().length;
    const t = (xs: number[]): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(xs.map(BigInt)), [1, n]);
    const r = await session.run({ input_ids: t(enc.getIds()), attention_mask: t(enc.getAttentionMask()), token_type_ids: t(enc.getTypeIds()) }, ['sop_logits']);
    out.push(r.sop_logits.data as Float32Array);
  }
  return out;
}

const pairs = reference.pairs_a.map((a, i) => [a, reference.pairs_b[i]] as [string, string]);

describe('models/albert-mini-sop', () => {
  test('is a lean, complete model folder', () => {
    expect(readdirSync(MODEL).sort()).toEqual(['config.json', 'model.onnx', 'spiece.model', 'tokenizer.json', 'tokenizer_config.json', 'variant.json']);
  });

  test('its SOP head orders the reference pairs, in order and swapped', async () => {
    const inOrder = await sopLogits(MODEL, pairs);
    const swapped = await sopLogits(MODEL, pairs.map(([a, b]) => [b, a]));
    for (const l of inOrder) expect(l[0]).toBeGreaterThan(l[1]);
    for (const l of swapped) expect(l[1]).toBeGreaterThan(l[0]);
  });

  test.skipIf(!existsSync(join(SHARED, 'albert-mini-pretraining')))('matches a fresh conversion of the shared checkpoint', async () => {
    const dir = join(tmp, 'fresh');
    await convertModel(join(SHARED, 'albert-mini-pretraining'), dir, { task: 'pretraining', tokenizerDir: join(SHARED, 'albert-mini') });
    const a = await sopLogits(MODEL, pairs);
    const b = await sopLogits(dir, pairs);
    a.forEach((x, i) => expect(maxAbsDiff(x, b[i])).toBeLessThan(1e-5));
  });
});
