import { describe, expect, test } from 'vitest';
import { parseSafetensors } from '../../src/convert/safetensors-reader.js';
import { encodeSafetensors, type SafetensorsTensor } from '../helpers/safetensors-writer.js';
import { parseAlbertConfig } from '../../src/model/albert-config.js';
import { detectHeads, loadAlbertWeights, taskFromArchitectures } from '../../src/convert/albert-weights.js';
import { randomAlbertWeights, type RandomAlbertSpec } from '../helpers/random-albert.js';

const config = { vocab_size: 10, embedding_size: 4, hidden_size: 8, num_attention_heads: 2, intermediate_size: 6, max_position_embeddings: 6, type_vocab_size: 2, num_hidden_layers: 2, num_hidden_groups: 1, inner_group_num: 1 };

function source(spec: Partial<RandomAlbertSpec>, edit?: (t: Record<string, SafetensorsTensor>) => void) {
  const tensors: Record<string, SafetensorsTensor> = {};
  for (const [k, v] of randomAlbertWeights({ config, prefix: 'albert.', ...spec })) tensors[k] = { dtype: 'F32', shape: v.shape, data: v.data };
  edit?.(tensors);
  return parseSafetensors(encodeSafetensors(tensors), 'model.safetensors');
}

describe('loadAlbertWeights', () => {
  const c = parseAlbertConfig(config);

  test('ties the decoder to the word embeddings when it is absent, and to predictions.bias', () => {
    const w = loadAlbertWeights(source({ mlm: 'tied' }), c, 'mlm');
    expect(w.mlm?.tied).toBe(true);
    expect(w.mlm?.decoderWeight).toBe(w.wordEmbeddings);
    expect(w.mlm?.decoderBias.key).toBe('predictions.bias');
  });

  test('an untied decoder equal to the embeddings is still stored once', () => {
    const src = source({ mlm: 'tied' }, (t) => { t['predictions.decoder.weight'] = t['albert.embeddings.word_embeddings.weight']; });
    expect(loadAlbertWeights(src, c, 'mlm').mlm?.tied).toBe(true);
    expect(loadAlbertWeights(source({ mlm: 'untied' }), c, 'mlm').mlm?.tied).toBe(false);
  });

  test('keys without the albert. prefix, and TF-style gamma/beta LayerNorm names', () => {
    const src = source({ prefix: '', pooler: true }, (t) => {
      t['embeddings.LayerNorm.gamma'] = t['embeddings.LayerNorm.weight'];
      t['embeddings.LayerNorm.beta'] = t['embeddings.LayerNorm.bias'];
      delete t['embeddings.LayerNorm.weight'];
      delete t['embeddings.LayerNorm.bias'];
    });
    expect(detectHeads(src)).toMatchObject({ prefix: '', pooler: true, mlm: false });
    const w = loadAlbertWeights(src, c, 'base');
    expect(w.embeddingNorm.weight.key).toBe('embeddings.LayerNorm.gamma');
    expect(w.pooler?.weight.dims).toEqual([8, 8]);
  });

  test('a wrong shape names the key, its shape and the expected one', () => {
    const src = source({}, (t) => { t['albert.encoder.embedding_hidden_mapping_in.weight'] = { dtype: 'F32', shape: [8, 5], data: new Float32Array(40) }; });
    expect(() => loadAlbertWeights(src, c, 'base')).toThrow(/tensor "albert\.encoder\.embedding_hidden_mapping_in\.weight" has shape \[8, 5\], config\.json implies \[8, 4\]/);
  });

  test('a missing layer names the key', () => {
    const src = source({}, (t) => { delete t['albert.encoder.albert_layer_groups.0.albert_layers.0.ffn.bias']; });
    expect(() => loadAlbertWeights(src, c, 'base')).toThrow(/no tensor "albert\.encoder\.albert_layer_groups\.0\.albert_layers\.0\.ffn\.bias"/);
  });
});

describe('taskFromArchitectures', () => {
  test.each([
    [['AlbertModel'], 'base'], [['AlbertForMaskedLM'], 'mlm'], [['AlbertForSequenceClassification'], 'cls'], [['AlbertForPreTraining'], 'pretraining'], [[], 'base'],
  ])('%j → %s', (arch, task) => expect(taskFromArchitectures(arch)).toBe(task));

  test('others are refused with the list of tasks', () => {
    expect(() => taskFromArchitectures(['AlbertForQuestionAnswering'])).toThrow(/pass --task base\|mlm\|cls\|pretraining/);
  });
});
