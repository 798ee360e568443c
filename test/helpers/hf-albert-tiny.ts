/**
 * Access to test/fixtures/hf-albert-tiny: HF reference arrays (raw little-endian .bin)
 * described by reference.json, and ORT feeds built from them.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';

export const FIXTURE = fileURLToPath(new URL('../fixtures/hf-albert-tiny/', import.meta.url));

export interface ReferenceJson {
  texts: string[];
  ids_unpadded: number[][];
  masked_texts: string[];
  pairs_a: string[];
  pairs_b: string[];
  arrays: Record<string, { dtype: 'float32' | 'int64'; shape: number[]; file: string }>;
}

export const reference = JSON.parse(readFileSync(`${FIXTURE}reference.json`, 'utf8')) as ReferenceJson;

function bytes(file: string): ArrayBuffer {
  const b = readFileSync(`${FIXTURE}${file}`);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
}

export function floatArray(name: string): { data: Float32Array; shape: number[] } {
  const meta = reference.arrays[name];
  return { data: new Float32Array(bytes(meta.file)), shape: meta.shape };
}

export function intArray(name: string): { data: BigInt64Array; shape: number[] } {
  const meta = reference.arrays[name];
  return { data: new BigInt64Array(bytes(meta.file)), shape: meta.shape };
}

/** ORT feeds from reference arrays `${prefix}input_ids` etc.; token types default to zeros. */
export function feeds(prefix = ''): Record<string, ort.Tensor> {
  const ids = intArray(`${prefix}input_ids`);
  const mask = intArray(`${prefix}attention_mask`);
  const typesName = `${prefix}token_type_ids`;
  const types = reference.arrays[typesName] ? intArray(typesName).data : new BigInt64Array(ids.data.length);
  return {
    input_ids: new ort.Tensor('int64', ids.data, ids.shape),
    attention_mask: new ort.Tensor('int64', mask.data, mask.shape),
    token_type_ids: new ort.Tensor('int64', types, ids.shape),
  };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Summaries of the vocab-wide logits not kept in the repo (see derive-logit-summaries.mjs). */
export interface LogitSummary { shape: [number, number]; vocab: number; top5Ids: number[][]; top5Values: number[][]; logsumexp: number[] }
export const logitSummaries = JSON.parse(readFileSync(`${FIXTURE}reference/logit-summaries.json`, 'utf8')) as {
  arrays: Record<'mlm_logits' | 'pretraining_prediction_logits_first', LogitSummary>;
};
