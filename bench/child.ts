/**
 * The dev bench's child configuration; the child-side helpers (RSS, result line) are
 * src/bench/child.ts, shared with `albert bench`.
 */
import { childArgument } from '../src/bench/child.js';
import type { SystemKey } from './bench-args.js';

export { endOfMeasuredWork, finish, rssSeries, runChild, writeEmbeddings, type RssSample, type SystemResult } from '../src/bench/child.js';

export interface ChildConfig {
  system: SystemKey;
  /** The subset CSV (`id,text`). */
  input: string;
  /** A complete model folder (config.json, model.onnx, tokenizer files). */
  model: string;
  maxLength: number | null;
  pipelineArgs: Record<string, unknown>;
  /** SessionOptions for (c); null: ORT's defaults. */
  sessionOptions: Record<string, unknown> | null;
  tjsBatch: number;
  /** Scratch folder of this run (outputs, layouts). */
  work: string;
  /** Where to write the embeddings (null: don't). */
  embeddingsOut: string | null;
  /** Memory mode: (a) only, no post-run tokenization or embeddings. */
  memory: boolean;
}

export function childConfig(): ChildConfig {
  return childArgument<ChildConfig>();
}
