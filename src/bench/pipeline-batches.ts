/**
 * The batches a job forms for given rows and options, re-derived outside the job: windows
 * of `windowRows` rows, each sorted and cut by the token budget, padded per batch. For a
 * bare-session ceiling over exactly the pipeline's batches, and for padding efficiency.
 */
import { cutBatches, paddingEfficiency } from '../pipeline/batcher.js';
import { loadModel, makeTokenizer } from '../pipeline/load-model.js';
import { padBatch, type Batch, type EncodedRow } from '../model/padding.js';

export interface PipelineBatches {
  readonly rows: EncodedRow[][];
  /** Real (unpadded) and padded tokens over all batches. */
  readonly padding: { readonly real: number; readonly padded: number };
  readonly maxLength: number;
  readonly pad: number;
}

/**
 * Tokenizes and cuts `texts` as runJob would.
 *
 * @example
 * ```ts
 * const b = await pipelineBatches('models/albert-mini', texts, { maxLength: null, windowRows: 4096, batchTokens: 2048 });
 * b.padding.real / b.padding.padded; // 0.97
 * ```
 */
export async function pipelineBatches(modelDir: string, texts: readonly string[], o: { maxLength: number | null; windowRows: number; batchTokens: number }): Promise<PipelineBatches> {
  const model = await loadModel(modelDir);
  const tokenizer = makeTokenizer(model, o.maxLength);
  const rows: EncodedRow[][] = [];
  for (let start = 0; start < texts.length; start += o.windowRows) {
    const enc = await tokenizer.encodeBatch(texts.slice(start, start + o.windowRows));
    rows.push(...cutBatches(enc.map((e, i) => ({ ...e, seq: start + i })), o.batchTokens));
  }
  return { rows, padding: paddingEfficiency(rows), maxLength: tokenizer.maxLength, pad: tokenizer.special.pad };
}

/** The padded tensors of each batch. */
export function padAll(b: PipelineBatches): Batch[] {
  return b.rows.map((rows) => padBatch(rows, b.pad));
}
