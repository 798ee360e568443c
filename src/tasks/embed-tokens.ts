import { Bool, Field, Int32, List, Schema, Struct, Utf8, type FixedSizeList, type Float32 } from 'apache-arrow';
import { OptionError } from '../errors.js';
import { EMBEDDING_OUTPUT } from '../model/embedding-output.js';
import { lastDim, requireOutput } from '../model/model-spec.js';
import { boolData, fixedSizeFloat32Data, fixedSizeListType, int32Data, listData, recordBatch, schemaMetadata, structData, utf8Data } from './arrow-columns.js';
import type { ResolvedEmbedTaskOptions } from './embed-task.js';
import { tokenHead, type TokenColumns } from './token-head.js';
import { commonMetadata, type TaskContext, type TaskPlan } from './task.js';

/**
 * `embed --pooling none`: every real token of a row ([CLS] and [SEP] included, padding
 * not), with its piece, id, span in the original text and vector. Offsets are code points
 * of the text as read (Python string indices; see token-offsets.ts), [0, 0] for [CLS]/[SEP].
 * Vectors are the layer's hidden states as the model gives them, never normalized.
 */
export function tokenPlan(ctx: TaskContext, o: ResolvedEmbedTaskOptions): TaskPlan<TokenColumns> {
  if (ctx.long.mode === 'split') {
    throw new OptionError('ALB_OPTION_CONFLICT', 'option --long split: --pooling none writes each token once, and overlapping windows would give some tokens two vectors; use --long truncate or reject', { option: '--long' });
  }
  if (ctx.pairs) {
    throw new OptionError('ALB_OPTION_CONFLICT', 'option --pooling none: offsets point into one text, and --text-b-column gives each row two; embed the segments as separate rows', { option: '--pooling' });
  }
  const output = o.layer === 'embeddings' ? EMBEDDING_OUTPUT : 'last_hidden_state';
  const io = requireOutput(ctx.spec, 'embed --pooling none', output);
  const H = lastDim(io) ?? ctx.spec.hiddenSize;
  const vocab = ctx.tokenizer.vocabulary();
  const vectorField = new Field<FixedSizeList<Float32>>('item', fixedSizeListType(H), false);
  const offsetField = new Field('item', new Struct([new Field('start', new Int32(), false), new Field('end', new Int32(), false)]), false);
  const pieceField = new Field('item', new Utf8(), false);
  const idField = new Field('item', new Int32(), false);
  const schema = new Schema(
    [
      new Field('id', new Utf8(), false),
      new Field('tokens', new List(pieceField), false),
      new Field('token_ids', new List(idField), false),
      new Field('offsets', new List(offsetField), false),
      new Field('token_embeddings', new List(vectorField), false),
      new Field('truncated', new Bool(), false),
    ],
    schemaMetadata({
      ...commonMetadata(ctx, 'embed', output),
      'albert.pooling': 'none',
      'albert.layer': o.layer,
      'albert.hidden_size': H,
      'albert.offsets': 'code points of the original text, [start, end); [0, 0] for [CLS] and [SEP]',
    }),
  );
  return {
    head: tokenHead(output),
    schema,
    needsOffsets: true,
    build(rows) {
      const n = rows.length;
      const counts = rows.map((r) => r.encoded.ids.length);
      const total = counts.reduce((a, b) => a + b, 0);
      const ids = new Int32Array(total);
      const starts = new Int32Array(total);
      const ends = new Int32Array(total);
      const pieces = new Array<string>(total);
      const vectors = new Float32Array(total * H);
      let t = 0;
      for (const r of rows) {
        const e = r.encoded;
        const cols = r.response.columns;
        const from = cols.token_start[r.index] * H;
        vectors.set(cols.token_embeddings.subarray(from, from + e.ids.length * H), t * H);
        for (let k = 0; k < e.ids.length; k++, t++) {
          ids[t] = e.ids[k];
          pieces[t] = vocab[e.ids[k]] ?? '<unk>';
          starts[t] = e.offsets![2 * k];
          ends[t] = e.offsets![2 * k + 1];
        }
      }
      const offsets = structData((offsetField.type as Struct).children, [int32Data(starts), int32Data(ends)], total);
      return recordBatch(schema, [
        utf8Data(rows.map((r) => r.id)),
        listData(utf8Data(pieces), counts, pieceField),
        listData(int32Data(ids), counts, idField),
        listData(offsets, counts, offsetField),
        listData(fixedSizeFloat32Data(vectors, H), counts, vectorField),
        boolData(rows.map((r) => r.encoded.truncated)),
      ], n);
    },
  };
}
