import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { convertModel } from '../../src/convert/convert-model.js';
import { formatModelInspection, inspectModelFolder } from '../../src/convert/inspect-model.js';
import { FIXTURE } from '../helpers/hf-albert-tiny.js';

const tmp = mkdtempSync(join(tmpdir(), 'albert-inspect-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('inspectModelFolder', () => {
  test('a converted pretraining folder: sizes, heads, parameters, I/O, tokenizer', async () => {
    const dir = join(tmp, 'pre');
    await convertModel(join(FIXTURE, 'albert-tiny-pretraining'), dir, { tokenizerDir: join(FIXTURE, 'tokenizer') });
    const info = await inspectModelFolder(dir);
    expect(info.config).toMatchObject({ hiddenSize: 64, embeddingSize: 32, numHiddenLayers: 3, task: 'pretraining' });
    expect(info.heads).toMatchObject({ pooler: true, mlm: true, sopLabels: 3, from: 'model.onnx outputs' });
    // 299,968 encoder + pooler, 10,144 MLM head (its decoder is the word embeddings), 195 SOP head.
    expect(info.parameters.fromConfig?.total).toBe(299_968 + 10_144 + 195);
    expect(info.parameters.onnx).toBe(info.parameters.fromConfig?.total);
    expect(info.onnx?.inputs.map((t) => `${t.name}:${t.type}[${t.dims.join(',')}]`)).toEqual([
      'input_ids:int64[batch,sequence]', 'attention_mask:int64[batch,sequence]', 'token_type_ids:int64[batch,sequence]',
    ]);
    expect(info.onnx?.outputs.map((t) => `${t.name}:${t.type}[${t.dims.join(',')}]`)).toEqual([
      'prediction_logits:float32[batch,sequence,8000]', 'sop_logits:float32[batch,3]',
    ]);
    expect(info.tokenizer).toMatchObject({ file: 'tokenizer.json', model: 'Unigram', vocabSize: 8000 });
    expect(info.tokenizer?.specialTokens.map((t) => t.content)).toEqual(['<pad>', '<unk>', '[CLS]', '[SEP]', '[MASK]']);
    const text = formatModelInspection(info);
    expect(text).toMatch(/heads {9}pooler, masked LM, SOP \(3 labels\)/);
    expect(text).toMatch(/output {6}sop_logits: float32 \[batch, 3\]/);
  });

  test('an HF checkpoint folder: heads from the safetensors keys', async () => {
    const info = await inspectModelFolder(join(FIXTURE, 'albert-tiny-cls'));
    expect(info.heads).toMatchObject({ pooler: true, mlm: false, classifierLabels: 3, from: 'model.safetensors' });
    expect(info.parameters.safetensors).toBe(info.parameters.fromConfig?.total);
    expect(info.tokenizer).toBeUndefined();
  });

  test('a folder with spiece.model only is summarized from it', async () => {
    const dir = join(tmp, 'spm-only');
    mkdirSync(dir);
    copyFileSync(join(FIXTURE, 'tokenizer', 'spiece.model'), join(dir, 'spiece.model'));
    const info = await inspectModelFolder(dir);
    expect(info.tokenizer).toMatchObject({ file: 'spiece.model', model: 'SentencePiece unigram', vocabSize: 8000, normalizers: ['nmt_nfkc'] });
    expect(info.tokenizer?.specialTokens.map((t) => t.id)).toEqual([0, 1, 2, 3, 4]);
  });

  test('a missing folder is a ModelError naming it', async () => {
    await expect(inspectModelFolder(join(tmp, 'nope'))).rejects.toThrow(/nope: no such model folder/);
  });
});
