import { OptionError } from '../errors.js';
import type { PoolingMode } from '../model/pooling-graph.js';
import { boolOption, choiceOption } from '../options.js';
import { pooledPlan } from './embed-pooled.js';
import { tokenPlan } from './embed-tokens.js';
import type { GraphLayer, TaskDefinition } from './task.js';

/** `pooler` is the model's own dense+tanh on [CLS]; `none` keeps every token's vector; the others are appended to the graph. */
export type Pooling = PoolingMode | 'pooler' | 'none';

export interface EmbedTaskOptions {
  /** `mean` (default), `cls`, `max`, `pooler` (the model's dense+tanh on [CLS]), or `none` (one vector per token). */
  pooling?: Pooling;
  /** L2-normalize each embedding (default true; token vectors are never normalized). */
  normalize?: boolean;
  /** Hidden states to read: `last` (default) or `embeddings` (the embedding block's output, after its E→H projection). */
  layer?: GraphLayer;
  /** With `--long split`: a `chunks` column, each window's spans and embedding. */
  chunks?: boolean;
}

export type ResolvedEmbedTaskOptions = Readonly<Required<EmbedTaskOptions>>;

const POOLINGS: readonly Pooling[] = ['mean', 'cls', 'max', 'pooler', 'none'];
const LAYERS: readonly GraphLayer[] = ['last', 'embeddings'];

/**
 * `albert embed`: one vector per row. Columns `id`, `embedding` (FixedSizeList<Float32>[H]),
 * `n_tokens`, `truncated` (+ `chunks` with `--long split --chunks`). With `--pooling none`:
 * `id`, `tokens`, `token_ids`, `offsets`, `token_embeddings` (one vector per real token), `truncated`.
 */
export const embedTask: TaskDefinition<ResolvedEmbedTaskOptions> = {
  name: 'embed',
  description: 'embed each row; writes parts of id, embedding, n_tokens, truncated (or token vectors with --pooling none)',
  example: '  albert embed data/sample.csv --out out/sample\n  cat docs.jsonl | albert embed - --format jsonl --out out/docs --pooling cls\n  albert embed data/sample.csv --out out/tokens --pooling none --layer embeddings',
  defaultModel: 'albert-mini',
  requiresPairs: false,
  options: {
    pooling: { flag: '--pooling <mode>', help: 'mean | cls | max | pooler | none (none: one vector per token) (default: mean)', choices: POOLINGS },
    normalize: { flag: '--no-normalize', help: 'do not L2-normalize embeddings' },
    layer: { flag: '--layer <layer>', help: 'last | embeddings (the embedding block after its E→H projection) (default: last)', choices: LAYERS },
    chunks: { flag: '--chunks', help: 'with --long split: add a `chunks` column, one entry per window (spans and embedding)' },
  },

  resolveOptions(o) {
    const pooling = choiceOption('--pooling', o.pooling, POOLINGS, 'mean');
    const layer = choiceOption('--layer', o.layer, LAYERS, 'last');
    if (pooling === 'pooler' && layer === 'embeddings') {
      throw new OptionError('ALB_OPTION_CONFLICT', 'option --layer embeddings: --pooling pooler is the model\'s dense+tanh on the last layer\'s [CLS]; use --pooling mean|cls|max|none with --layer embeddings', { option: '--layer' });
    }
    const chunks = boolOption('--chunks', o.chunks, false);
    if (chunks && pooling === 'none') {
      throw new OptionError('ALB_OPTION_CONFLICT', 'option --chunks: --pooling none writes every token already; --chunks adds window vectors to --long split', { option: '--chunks' });
    }
    return Object.freeze({ pooling, normalize: boolOption('--normalize', o.normalize, true), layer, chunks });
  },

  // Each row keeps all its tokens' vectors: fewer rows per window keep a window's memory near a pooled one's.
  jobDefaults: (o) => (o.pooling === 'none' ? { windowRows: (d) => Math.max(64, Math.floor(d / 16)) } : {}),

  // Pool (and normalize) inside the graph: only B x H floats leave the session. Split
  // documents average their windows' vectors first, so those are normalized after.
  graphPooling: (o, job) => (o.pooling === 'pooler' || o.pooling === 'none' ? null : { pooling: o.pooling, normalize: o.normalize && !job.split }),

  graphLayer: (o) => o.layer,

  // Only what differs from the defaults of before these options, so older jobs resume.
  fingerprint: (o) => ({ pooling: o.pooling, normalize: o.normalize, ...(o.layer !== 'last' ? { layer: o.layer } : {}), ...(o.chunks ? { chunks: true } : {}) }),

  plan: (ctx, o) => (o.pooling === 'none' ? tokenPlan(ctx, o) : pooledPlan(ctx, o)),
};
