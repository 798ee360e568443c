/**
 * Random ALBERT checkpoints for tests: a seeded generator, HF state-dict key names,
 * and a folder writer (config.json + model.safetensors + the fixture tokenizer).
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeSafetensors, type SafetensorsTensor } from './safetensors-writer.js';
import { FIXTURE } from './hf-albert-tiny.js';

export interface RandomAlbertSpec {
  config: Record<string, unknown> & {
    vocab_size: number; embedding_size: number; hidden_size: number; num_hidden_layers: number; num_hidden_groups: number;
    num_attention_heads: number; intermediate_size: number; inner_group_num: number; max_position_embeddings: number; type_vocab_size: number;
  };
  /** `albert.` for AlbertFor* checkpoints, '' for AlbertModel ones. */
  prefix: string;
  pooler?: boolean;
  mlm?: 'tied' | 'untied';
  classifierLabels?: number;
  sopLabels?: number;
  seed?: number;
  /** Standard deviation of matrices (default 0.2, large enough to make every layer matter). */
  std?: number;
}

/** mulberry32 + Box-Muller: deterministic normal samples. */
export function normalSampler(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** HF state-dict tensors with random values; returns them as float32 arrays by key. */
export function randomAlbertWeights(spec: RandomAlbertSpec): Map<string, { shape: number[]; data: Float32Array }> {
  const c = spec.config;
  const next = normalSampler(spec.seed ?? 1);
  const std = spec.std ?? 0.2;
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  const add = (key: string, shape: number[], kind: 'matrix' | 'bias' | 'gamma'): void => {
    const data = new Float32Array(shape.reduce((x, y) => x * y, 1)).map(() =>
      kind === 'gamma' ? 1 + 0.1 * next() : kind === 'bias' ? 0.1 * next() : std * next());
    out.set(key, { shape, data });
  };
  const linear = (name: string, o: number, i: number): void => { add(`${name}.weight`, [o, i], 'matrix'); add(`${name}.bias`, [o], 'bias'); };
  const norm = (name: string, n: number): void => { add(`${name}.weight`, [n], 'gamma'); add(`${name}.bias`, [n], 'bias'); };
  const p = spec.prefix;
  const { embedding_size: E, hidden_size: H, intermediate_size: I, vocab_size: V } = c;
  add(`${p}embeddings.word_embeddings.weight`, [V, E], 'matrix');
  add(`${p}embeddings.position_embeddings.weight`, [c.max_position_embeddings, E], 'matrix');
  add(`${p}embeddings.token_type_embeddings.weight`, [c.type_vocab_size, E], 'matrix');
  norm(`${p}embeddings.LayerNorm`, E);
  linear(`${p}encoder.embedding_hidden_mapping_in`, H, E);
  for (let g = 0; g < c.num_hidden_groups; g++) {
    for (let j = 0; j < c.inner_group_num; j++) {
      const l = `${p}encoder.albert_layer_groups.${g}.albert_layers.${j}`;
      for (const n of ['query', 'key', 'value', 'dense']) linear(`${l}.attention.${n}`, H, H);
      norm(`${l}.attention.LayerNorm`, H);
      linear(`${l}.ffn`, I, H);
      linear(`${l}.ffn_output`, H, I);
      norm(`${l}.full_layer_layer_norm`, H);
    }
  }
  if (spec.pooler) linear(`${p}pooler`, H, H);
  if (spec.mlm) {
    linear('predictions.dense', E, H);
    norm('predictions.LayerNorm', E);
    add('predictions.bias', [V], 'bias');
    if (spec.mlm === 'untied') { add('predictions.decoder.weight', [V, E], 'matrix'); out.set('predictions.decoder.bias', out.get('predictions.bias')!); }
  }
  if (spec.classifierLabels) linear('classifier', spec.classifierLabels, H);
  if (spec.sopLabels) linear('sop_classifier.classifier', spec.sopLabels, H);
  return out;
}

/** Writes config.json, model.safetensors and the fixture tokenizer files into `dir`. */
export function writeRandomAlbertFolder(dir: string, spec: RandomAlbertSpec, weights = randomAlbertWeights(spec)): typeof weights {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'albert', layer_norm_eps: 1e-12, ...spec.config }));
  const tensors: Record<string, SafetensorsTensor> = {};
  for (const [k, v] of weights) tensors[k] = { dtype: 'F32', shape: v.shape, data: v.data };
  writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(tensors));
  for (const f of ['spiece.model', 'tokenizer_config.json']) copyFileSync(join(FIXTURE, 'tokenizer', f), join(dir, f));
  return weights;
}
