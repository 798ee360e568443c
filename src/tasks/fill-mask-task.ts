import { Field, Float32, Int32, List, Schema, Struct, Utf8 } from 'apache-arrow';
import { ModelError, optionError } from '../errors.js';
import type { OnnxIo } from '../model/model-spec.js';
import { float32Data, int32Data, listData, recordBatch, schemaMetadata, structData, utf8Data } from './arrow-columns.js';
import { maskedLmHead, type MaskedLmColumns } from './mlm-head.js';
import { commonMetadata, type TaskDefinition } from './task.js';

export interface FillMaskTaskOptions {
  /** Predictions per [MASK] (default 5). */
  topK?: number;
}

export interface ResolvedFillMaskTaskOptions {
  readonly topK: number;
}

const predictionField = new Field(
  'item',
  new Struct([
    new Field('position', new Int32(), false),
    new Field('token', new Utf8(), false),
    new Field('token_id', new Int32(), false),
    new Field('score', new Float32(), false),
  ]),
  false,
);

/** Masked-LM logits: `logits` of AlbertForMaskedLM, or `prediction_logits` of a pretraining export. */
function mlmOutput(outputs: readonly OnnxIo[]): OnnxIo | undefined {
  return outputs.find((o) => o.name === 'logits' && o.shape.length === 3) ?? outputs.find((o) => o.name === 'prediction_logits');
}

/**
 * `albert fill-mask`: the top-k tokens at every `[MASK]` of a row, in order, as
 * `predictions: list<struct<position, token, token_id, score>>`. A row without a
 * `[MASK]` (or whose masks were all truncated away) is rejected with ALB_ROW_NO_MASK.
 */
export const fillMaskTask: TaskDefinition<ResolvedFillMaskTaskOptions, MaskedLmColumns> = {
  name: 'fill-mask',
  description: 'predict the tokens at every [MASK] of each row; writes id, predictions',
  example: '  echo \'{"id":"a","text":"see the [MASK] file for details."}\' | albert fill-mask - --format jsonl --out out/mask',
  defaultModel: 'albert-mini-mlm',
  requiresPairs: false,
  options: {
    topK: { flag: '--top-k <k>', help: 'predictions per [MASK] (default: 5)', parse: 'int' },
  },

  resolveOptions(o) {
    const topK = o.topK ?? 5;
    if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 1) throw optionError('--top-k', topK, 'a positive integer');
    return Object.freeze({ topK });
  },

  fingerprint: (o) => ({ top_k: o.topK }),

  plan(ctx, o) {
    const io = mlmOutput(ctx.spec.outputs);
    if (!io) {
      throw new ModelError(
        'ALB_MODEL_TASK_UNSUPPORTED',
        `model ${ctx.spec.name} has outputs [${ctx.spec.outputs.map((x) => x.name).join(', ')}]; \`fill-mask\` needs masked-LM \`logits\` [batch, sequence, vocab] (AlbertForMaskedLM) or \`prediction_logits\` (AlbertForPreTraining), e.g. models/albert-mini-mlm`,
        { model: ctx.spec.name, task: 'fill-mask', outputs: ctx.spec.outputs.map((x) => x.name) },
      );
    }
    const maskId = ctx.tokenizer.special.mask;
    const schema = new Schema(
      [new Field('id', new Utf8(), false), new Field('predictions', new List(predictionField), false)],
      schemaMetadata({ ...commonMetadata(ctx, 'fill-mask', io.name), 'albert.top_k': o.topK }),
    );
    const tokenCache = new Map<number, string>();
    const tokenOf = (id: number): string => {
      let t = tokenCache.get(id);
      if (t === undefined) tokenCache.set(id, (t = ctx.tokenizer.idToToken(id) ?? '<unk>'));
      return t;
    };
    // Index of each row's first mask within a batch response, computed once per response.
    const firstMask = new WeakMap<object, Int32Array>();
    const firstOf = (counts: Int32Array, key: object): Int32Array => {
      let f = firstMask.get(key);
      if (!f) {
        f = new Int32Array(counts.length);
        for (let b = 1; b < counts.length; b++) f[b] = f[b - 1] + counts[b - 1];
        firstMask.set(key, f);
      }
      return f;
    };
    return {
      head: maskedLmHead(io.name, { topK: o.topK, maskId }),
      schema,
      checkRow(encoded) {
        if (encoded.ids.includes(maskId)) return null;
        return {
          code: 'ALB_ROW_NO_MASK',
          message: encoded.truncated
            ? `no [MASK] token left after truncation to ${ctx.maxLength} tokens; fill-mask predicts tokens at [MASK] positions`
            : 'row has no [MASK] token; fill-mask predicts tokens at [MASK] positions (write [MASK] where a token should be predicted)',
        };
      },
      build(rows) {
        const positions: number[] = [];
        const ids: number[] = [];
        const scores: number[] = [];
        const perRow = new Int32Array(rows.length);
        rows.forEach((r, i) => {
          const c = r.response.columns;
          const counts = c.maskCounts;
          const k = c.tokenIds.length / Math.max(c.maskPositions.length, 1);
          const first = firstOf(counts, r.response)[r.index];
          for (let m = first; m < first + counts[r.index]; m++) {
            for (let j = 0; j < k; j++) {
              positions.push(c.maskPositions[m]);
              ids.push(c.tokenIds[m * k + j]);
              scores.push(c.scores[m * k + j]);
            }
          }
          perRow[i] = counts[r.index] * k;
        });
        const n = positions.length;
        const st = structData(
          (predictionField.type as Struct).children,
          [int32Data(Int32Array.from(positions)), utf8Data(ids.map(tokenOf)), int32Data(Int32Array.from(ids)), float32Data(Float32Array.from(scores))],
          n,
        );
        return recordBatch(schema, [utf8Data(rows.map((r) => r.id)), listData(st, perRow, predictionField)], rows.length);
      },
    };
  },
};
