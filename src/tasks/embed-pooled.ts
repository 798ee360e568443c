import { Bool, Field, Int32, List, Schema, Struct, Utf8, type Data } from 'apache-arrow';
import { OptionError } from '../errors.js';
import { lastDim, requireOutput } from '../model/model-spec.js';
import { l2NormalizeRows } from '../model/pooling.js';
import { boolData, fixedSizeFloat32Data, fixedSizeListType, int32Data, listData, recordBatch, schemaMetadata, structData, utf8Data } from './arrow-columns.js';
import { documentTokens, rowValues } from './chunk-merge.js';
import type { ResolvedEmbedTaskOptions } from './embed-task.js';
import { poolHead, type PoolColumns } from './pool-head.js';
import { commonMetadata, type OutputRow, type TaskContext, type TaskPlan } from './task.js';

/**
 * `embed` with a pooled vector per row. Under `--long split` the graph pools each window
 * without normalizing; a document's vector is the token-weighted mean of its windows'
 * (their element-wise maximum for `--pooling max`; see chunk-merge.ts), normalized after,
 * so a long document's vector is what mean (or max) pooling over all its windows' tokens
 * gives, not an average of unit vectors. `--chunks` adds each
 * window (its spans and its own vector, normalized like the document's) as a nested list,
 * so a part still holds one row per input row and covers a contiguous range of them.
 */
export function pooledPlan(ctx: TaskContext, o: ResolvedEmbedTaskOptions): TaskPlan<PoolColumns> {
  const { spec } = ctx;
  const split = ctx.long.mode === 'split';
  if (o.chunks && !split) throw new OptionError('ALB_OPTION_CONFLICT', `option --chunks writes the windows of --long split; this job has --long ${ctx.long.mode}`, { option: '--chunks' });
  // The workers appended sentence_embedding to the graph (see graphPooling), normalized if asked and not split.
  const output = o.pooling === 'pooler' ? 'pooler_output' : 'sentence_embedding';
  if (o.pooling === 'pooler') requireOutput(spec, 'embed --pooling pooler', 'pooler_output', 'Use --pooling mean|cls|max, which need only last_hidden_state.');
  const head = poolHead(output, { normalize: o.normalize && o.pooling === 'pooler' && !split });
  const H = lastDim(requireOutput(spec, 'embed', output)) ?? spec.hiddenSize;
  const chunkField = new Field('item', new Struct([
    new Field('chunk', new Int32(), false),
    new Field('token_start', new Int32(), false),
    new Field('token_end', new Int32(), false),
    new Field('char_start', new Int32(), false),
    new Field('char_end', new Int32(), false),
    new Field('embedding', fixedSizeListType(H), false),
  ]), false);
  const fields: Field[] = [
    new Field('id', new Utf8(), false),
    new Field('embedding', fixedSizeListType(H), false),
    new Field('n_tokens', new Int32(), false),
    new Field('truncated', new Bool(), false),
  ];
  if (o.chunks) fields.push(new Field('chunks', new List(chunkField), false));
  const schema = new Schema(
    fields,
    schemaMetadata({
      ...commonMetadata(ctx, 'embed', output),
      'albert.pooling': o.pooling,
      'albert.normalize': o.normalize,
      'albert.hidden_size': H,
      ...(o.layer !== 'last' ? { 'albert.layer': o.layer } : {}),
    }),
  );
  // Split: nothing was normalized in the graph or the worker.
  const normalizeHere = split && o.normalize;
  const merge = o.pooling === 'max' ? 'max' : 'mean';
  return {
    head,
    schema,
    mergesChunks: true,
    needsOffsets: o.chunks,
    build(rows) {
      const n = rows.length;
      const emb = new Float32Array(n * H);
      const nTokens = new Int32Array(n);
      const truncated = new Array<boolean>(n);
      rows.forEach((r, i) => {
        rowValues(r, 'embedding', H, emb, i * H, merge);
        nTokens[i] = documentTokens(r);
        truncated[i] = r.encoded.truncated;
      });
      if (normalizeHere) l2NormalizeRows(emb, H);
      const children: Data[] = [utf8Data(rows.map((r) => r.id)), fixedSizeFloat32Data(emb, H), int32Data(nTokens), boolData(truncated)];
      if (o.chunks) children.push(chunksColumn(rows, H, normalizeHere, chunkField));
      return recordBatch(schema, children, n);
    },
  };
}

/** The `chunks` column: per row, its windows (a row processed whole is one window). */
function chunksColumn(rows: readonly OutputRow[], H: number, normalize: boolean, field: Field<Struct>): Data {
  const all = rows.flatMap((r) => r.chunks ?? [r]);
  const m = all.length;
  const cols = { chunk: new Int32Array(m), tokenStart: new Int32Array(m), tokenEnd: new Int32Array(m), charStart: new Int32Array(m), charEnd: new Int32Array(m) };
  const emb = new Float32Array(m * H);
  all.forEach((c, j) => {
    const span = c.encoded.chunk!;
    cols.chunk[j] = span.index;
    cols.tokenStart[j] = span.tokenStart;
    cols.tokenEnd[j] = span.tokenEnd;
    cols.charStart[j] = span.charStart;
    cols.charEnd[j] = span.charEnd;
    rowValues({ ...c, chunks: undefined }, 'embedding', H, emb, j * H);
  });
  if (normalize) l2NormalizeRows(emb, H);
  const st = structData((field.type as Struct).children, [int32Data(cols.chunk), int32Data(cols.tokenStart), int32Data(cols.tokenEnd), int32Data(cols.charStart), int32Data(cols.charEnd), fixedSizeFloat32Data(emb, H)], m);
  return listData(st, rows.map((r) => r.chunks?.length ?? 1), field);
}
