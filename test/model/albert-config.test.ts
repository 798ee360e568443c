import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { ModelError } from '../../src/errors.js';
import { layerGroupIndex, OFFICIAL_ALBERT_CONFIGS, parseAlbertConfig } from '../../src/model/albert-config.js';
import { FIXTURE } from '../helpers/hf-albert-tiny.js';

describe('parseAlbertConfig', () => {
  test('reads the fixture config.json', () => {
    const c = parseAlbertConfig(JSON.parse(readFileSync(`${FIXTURE}albert-tiny-cls/config.json`, 'utf8')));
    expect(c).toMatchObject({
      vocabSize: 8000, embeddingSize: 32, hiddenSize: 64, numHiddenLayers: 3, numHiddenGroups: 1, innerGroupNum: 1,
      numAttentionHeads: 4, intermediateSize: 128, hiddenAct: 'gelu_new', maxPositionEmbeddings: 128, layerNormEps: 1e-12,
      architectures: ['AlbertForSequenceClassification'], labels: ['negative', 'neutral', 'positive'],
    });
    expect(Object.isFrozen(c)).toBe(true);
  });

  test('fills HF defaults for missing keys', () => {
    expect(parseAlbertConfig({ model_type: 'albert' })).toMatchObject({ hiddenSize: 4096, numAttentionHeads: 64, hiddenAct: 'gelu_new', vocabSize: 30000, labels: null });
    // HF's default, not the hidden size (the pipeline's own parser once said 64 here).
    expect(parseAlbertConfig({ hidden_size: 64, num_attention_heads: 4 }).embeddingSize).toBe(128);
  });

  test('labels come in index order; any HF activation name is a valid config', () => {
    expect(parseAlbertConfig({ id2label: { '1': 'b', '0': 'a' } }).labels).toEqual(['a', 'b']);
    expect(parseAlbertConfig({ hidden_act: 'mish' }).hiddenAct).toBe('mish');
  });

  test('errors are ALB_MODEL_CONFIG_INVALID (ALB_CONFIG_INVALID is for --config files)', () => {
    expect(() => parseAlbertConfig({ hidden_size: 'big' }, 'x/config.json')).toThrow(expect.objectContaining({ code: 'ALB_MODEL_CONFIG_INVALID' }));
  });

  test.each([
    [{ hidden_size: 'big' }, /config\.json: hidden_size must be a positive integer, got "big"/],
    [{ hidden_act: 7 }, /hidden_act must be an activation name/],
    [{ id2label: { '0': 'a', '5': 'b' } }, /id2label must be an object mapping 0\.\.1 to label names/],
    [{ id2label: ['a'] }, /id2label must be an object of index → label/],
    [{ hidden_size: 100, num_attention_heads: 3 }, /hidden_size 100 is not a multiple of num_attention_heads 3/],
    [{ model_type: 'bert' }, /model_type must be "albert", got "bert"/],
    [{ position_embedding_type: 'relative_key' }, /relative position embeddings are not supported/],
  ])('refuses %j', (json, message) => {
    expect(() => parseAlbertConfig(json)).toThrow(ModelError);
    expect(() => parseAlbertConfig(json)).toThrow(message);
  });

  test('official configs parse with their published shapes', () => {
    expect(Object.keys(OFFICIAL_ALBERT_CONFIGS)).toHaveLength(8);
    const xx = parseAlbertConfig(OFFICIAL_ALBERT_CONFIGS['albert-xxlarge-v2']);
    expect([xx.hiddenSize, xx.numAttentionHeads, xx.intermediateSize, xx.numHiddenLayers]).toEqual([4096, 64, 16384, 12]);
    expect(parseAlbertConfig(OFFICIAL_ALBERT_CONFIGS['albert-base-v1']).hiddenAct).toBe('gelu');
  });
});

describe('layerGroupIndex follows int(i / (layers / groups))', () => {
  test.each([
    [12, 1, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]],
    [4, 2, [0, 0, 1, 1]],
    [3, 2, [0, 0, 1]],
    [5, 3, [0, 0, 1, 1, 2]],
    [6, 4, [0, 0, 1, 2, 2, 3]],
  ])('%i layers, %i groups', (layers, groups, want) => {
    expect(Array.from({ length: layers }, (_, i) => layerGroupIndex({ numHiddenLayers: layers, numHiddenGroups: groups }, i))).toEqual(want);
  });
});
