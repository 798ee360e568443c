import { Bool, Field, Int32, Schema, Utf8 } from 'apache-arrow';
import { optionError } from '../errors.js';
import type { Pooling, PoolHead } from '../model/head-spec.js';
import { lastDim, requireOutput } from '../model/model-spec.js';
import { boolData, fixedSizeFloat32Data, fixedSizeListType, int32Data, recordBatch, schemaMetadata, utf8Data } from './arrow-columns.js';
import { commonMetadata, type TaskDefinition } from './task.js';

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
export const embedTask: TaskDefinition<ResolvedEmbedTaskOptions> = {
  name: 'embed',
  defaultModel: 'albert-mini',
  requiresPairs: false,

  resolveOptions(o) {
    const pooling = o.pooling ?? 'mean';
    if (!POOLINGS.includes(pooling as Pooling)) throw optionError('--pooling', pooling, POOLINGS.join('|'));
    const normalize = o.normalize ?? true;
    if (typeof normalize !== 'boolean') throw optionError('--normalize', normalize, 'a boolean');
    return Object.freeze({ pooling: pooling as Pooling, normalize });
  },

  // Pool (and normalize) inside the graph: only B x H floats leave the session.
  graphPooling: (o) => (o.pooling === 'pooler' ? null : { pooling: o.pooling, normalize: o.normalize }),

  fingerprint: (o) => ({ pooling: o.pooling, normalize: o.normalize }),

  plan(ctx, o) {
    const { spec } = ctx;
    let head: PoolHead;
    if (o.pooling === 'pooler') {
      requireOutput(spec, 'embed --pooling pooler', 'pooler_output', 'Use --pooling mean|cls|max, which need only last_hidden_state.');
      head = { kind: 'pool', pooling: 'pooler', normalize: o.normalize, output: 'pooler_output', pooledInGraph: false };
    } else {
      // The workers appended this output to the graph (see graphPooling below).
      requireOutput(spec, 'embed', 'sentence_embedding');
      head = { kind: 'pool', pooling: o.pooling, normalize: o.normalize, output: 'sentence_embedding', pooledInGraph: true };
    }
    const H = lastDim(requireOutput(spec, 'embed', head.output)) ?? spec.hiddenSize;
    const schema = new Schema(
      [
        new Field('id', new Utf8(), false),
        new Field('embedding', fixedSizeListType(H), false),
        new Field('n_tokens', new Int32(), false),
        new Field('truncated', new Bool(), false),
      ],
      schemaMetadata({
        ...commonMetadata(ctx, 'embed', head.output),
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
          const col = r.response.columns.embedding as Float32Array;
          emb.set(col.subarray(r.index * H, (r.index + 1) * H), i * H);
          nTokens[i] = r.encoded.ids.length;
          truncated[i] = r.encoded.truncated;
        });
        return recordBatch(schema, [utf8Data(rows.map((r) => r.id)), fixedSizeFloat32Data(emb, H), int32Data(nTokens), boolData(truncated)], n);
      },
    };
  },
};
