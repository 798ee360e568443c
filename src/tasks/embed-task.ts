import { Bool, Field, Int32, Schema, Utf8 } from 'apache-arrow';
import { lastDim, requireOutput } from '../model/model-spec.js';
import type { PoolingMode } from '../model/pooling-graph.js';
import { boolOption, choiceOption } from '../options.js';
import { boolData, fixedSizeFloat32Data, fixedSizeListType, int32Data, recordBatch, schemaMetadata, utf8Data } from './arrow-columns.js';
import { poolHead, type PoolColumns } from './pool-head.js';
import { commonMetadata, type TaskDefinition } from './task.js';

/** `pooler` is the model's own dense+tanh on [CLS]; the others are appended to the graph. */
export type Pooling = PoolingMode | 'pooler';

export interface EmbedTaskOptions {
  /** `mean` (default), `cls`, `max`, or `pooler` (the model's dense+tanh on [CLS]). */
  pooling?: Pooling;
  /** L2-normalize each embedding (default true). */
  normalize?: boolean;
}

export type ResolvedEmbedTaskOptions = Readonly<Required<EmbedTaskOptions>>;

const POOLINGS: readonly Pooling[] = ['mean', 'cls', 'max', 'pooler'];

/**
 * `albert embed`: one vector per row. Columns `id`, `embedding` (FixedSizeList<Float32>[H]),
 * `n_tokens`, `truncated`.
 */
export const embedTask: TaskDefinition<ResolvedEmbedTaskOptions, PoolColumns> = {
  name: 'embed',
  description: 'embed each row; writes parts of id, embedding, n_tokens, truncated',
  example: '  albert embed data/sample.csv --out out/sample\n  cat docs.jsonl | albert embed - --format jsonl --out out/docs --pooling cls',
  defaultModel: 'albert-mini',
  requiresPairs: false,
  options: {
    pooling: { flag: '--pooling <mode>', help: 'mean | cls | max | pooler (default: mean)', choices: POOLINGS },
    normalize: { flag: '--no-normalize', help: 'do not L2-normalize embeddings' },
  },

  resolveOptions: (o) =>
    Object.freeze({ pooling: choiceOption('--pooling', o.pooling, POOLINGS, 'mean'), normalize: boolOption('--normalize', o.normalize, true) }),

  // Pool (and normalize) inside the graph: only B x H floats leave the session.
  graphPooling: (o) => (o.pooling === 'pooler' ? null : { pooling: o.pooling, normalize: o.normalize }),

  fingerprint: (o) => ({ pooling: o.pooling, normalize: o.normalize }),

  plan(ctx, o) {
    const { spec } = ctx;
    // The workers appended sentence_embedding to the graph (see graphPooling), normalized if asked.
    const output = o.pooling === 'pooler' ? 'pooler_output' : 'sentence_embedding';
    if (o.pooling === 'pooler') requireOutput(spec, 'embed --pooling pooler', 'pooler_output', 'Use --pooling mean|cls|max, which need only last_hidden_state.');
    const head = poolHead(output, { normalize: o.normalize && o.pooling === 'pooler' });
    const H = lastDim(requireOutput(spec, 'embed', output)) ?? spec.hiddenSize;
    const schema = new Schema(
      [
        new Field('id', new Utf8(), false),
        new Field('embedding', fixedSizeListType(H), false),
        new Field('n_tokens', new Int32(), false),
        new Field('truncated', new Bool(), false),
      ],
      schemaMetadata({
        ...commonMetadata(ctx, 'embed', output),
        'albert.pooling': o.pooling,
        'albert.normalize': o.normalize,
        'albert.hidden_size': H,
      }),
    );
    return {
      head,
      schema,
      build(rows) {
        const n = rows.length;
        const emb = new Float32Array(n * H);
        const nTokens = new Int32Array(n);
        const truncated = new Array<boolean>(n);
        rows.forEach((r, i) => {
          const col = r.response.columns.embedding;
          emb.set(col.subarray(r.index * H, (r.index + 1) * H), i * H);
          nTokens[i] = r.encoded.ids.length;
          truncated[i] = r.encoded.truncated;
        });
        return recordBatch(schema, [utf8Data(rows.map((r) => r.id)), fixedSizeFloat32Data(emb, H), int32Data(nTokens), boolData(truncated)], n);
      },
    };
  },
};
