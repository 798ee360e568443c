import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The HF transformers reference outputs copied into test/fixtures (see reference.json). */
export const TINY = join(import.meta.dirname, '..', 'fixtures', 'hf-albert-tiny');

export interface Reference {
  texts: string[];
  max_length: number;
  ids_unpadded: number[][];
  tokens: string[][];
  masked_texts: string[];
  pairs_a: string[];
  pairs_b: string[];
  arrays: Record<string, { dtype: string; shape: number[]; file: string }>;
}

export const reference = JSON.parse(readFileSync(join(TINY, 'reference.json'), 'utf8')) as Reference;

export function referenceArray(name: string): { data: Float32Array | BigInt64Array; shape: number[] } {
  const a = reference.arrays[name];
  const buf = readFileSync(join(TINY, a.file));
  const bytes = new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const data = a.dtype === 'int64' ? new BigInt64Array(bytes.buffer) : new Float32Array(bytes.buffer);
  return { data, shape: a.shape };
}

export const tokenizerJsonText = (): string => readFileSync(join(TINY, 'tokenizer', 'tokenizer.json'), 'utf8');
