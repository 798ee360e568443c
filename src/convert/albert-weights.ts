/**
 * Maps an HF ALBERT state dict (names as AlbertModel / AlbertFor* save them) onto
 * the tensors the graph needs, checking every shape against the config.
 */
import { ModelError } from '../errors.js';
import { layerGroupIndex, type AlbertConfig } from '../model/albert-config.js';
import type { TensorSource as FullTensorSource } from './safetensors-reader.js';

/** The weights a graph is built from: what a safetensors file (or several) gives, minus dtypes. */
export type TensorSource = Omit<FullTensorSource, 'dtype'>;

export type AlbertTask = 'base' | 'mlm' | 'cls' | 'pretraining';
export const ALBERT_TASKS: readonly AlbertTask[] = ['base', 'mlm', 'cls', 'pretraining'];

/** A float32 tensor and the state-dict key it came from. */
export interface Weight {
  readonly key: string;
  readonly dims: readonly number[];
  readonly data: Float32Array;
}
/** torch.nn.Linear: weight is [out, in]. */
export interface LinearWeights { readonly weight: Weight; readonly bias: Weight }
export interface NormWeights { readonly weight: Weight; readonly bias: Weight }

export interface AlbertLayerWeights {
  readonly query: LinearWeights;
  readonly key: LinearWeights;
  readonly value: LinearWeights;
  readonly attentionDense: LinearWeights;
  readonly attentionNorm: NormWeights;
  readonly ffn: LinearWeights;
  readonly ffnOutput: LinearWeights;
  readonly fullNorm: NormWeights;
}

export interface AlbertWeights {
  readonly wordEmbeddings: Weight;
  readonly positionEmbeddings: Weight;
  readonly tokenTypeEmbeddings: Weight;
  readonly embeddingNorm: NormWeights;
  readonly mappingIn: LinearWeights;
  /** `groups[g][j]`: inner layer j of layer group g. */
  readonly groups: ReadonlyArray<readonly AlbertLayerWeights[]>;
  readonly pooler: LinearWeights | undefined;
  readonly mlm: {
    readonly dense: LinearWeights;
    readonly norm: NormWeights;
    /** The word embeddings themselves when tied (stored once in the graph). */
    readonly decoderWeight: Weight;
    readonly decoderBias: Weight;
    readonly tied: boolean;
  } | undefined;
  readonly classifier: LinearWeights | undefined;
  readonly sop: LinearWeights | undefined;
}

/** Which weights each task needs besides the encoder. */
const TASK_HEADS: Record<AlbertTask, { pooler: boolean; mlm: boolean; classifier: boolean; sop: boolean }> = {
  base: { pooler: false, mlm: false, classifier: false, sop: false },
  mlm: { pooler: false, mlm: true, classifier: false, sop: false },
  cls: { pooler: true, mlm: false, classifier: true, sop: false },
  pretraining: { pooler: true, mlm: true, classifier: false, sop: true },
};

/**
 * The heads a state dict carries, from its key names alone.
 *
 * @example
 * ```ts
 * detectHeads(SafetensorsFile.open('albert-mini-cls/model.safetensors')); // { prefix: 'albert.', pooler: true, classifier: true, mlm: false, sop: false }
 * ```
 */
export function detectHeads(src: Pick<TensorSource, 'has'>): { pooler: boolean; mlm: boolean; classifier: boolean; sop: boolean; prefix: string } {
  const prefix = src.has('albert.embeddings.word_embeddings.weight') ? 'albert.' : '';
  return {
    prefix,
    pooler: src.has(`${prefix}pooler.weight`),
    mlm: src.has('predictions.dense.weight'),
    classifier: src.has('classifier.weight'),
    sop: src.has('sop_classifier.classifier.weight'),
  };
}

/**
 * Loads and shape-checks the weights a task needs. Keys may carry the `albert.` prefix
 * (AlbertFor* checkpoints) or not (AlbertModel); LayerNorm `gamma`/`beta` names from
 * old TF conversions are accepted; the MLM decoder falls back to the word embeddings
 * (tied) and `predictions.bias` when `predictions.decoder.*` is absent.
 *
 * @throws ModelError `ALB_CONVERT_MISSING_WEIGHT` naming the missing key and the task,
 *   `ALB_CONVERT_WEIGHT_SHAPE` naming the key, its shape and the shape config.json implies
 * @example
 * ```ts
 * const weights = loadAlbertWeights(SafetensorsFile.open('model.safetensors'), config, 'cls');
 * weights.classifier?.weight.dims; // [numLabels, hiddenSize]
 * ```
 */
export function loadAlbertWeights(src: TensorSource, config: AlbertConfig, task: AlbertTask): AlbertWeights {
  const heads = detectHeads(src);
  const p = heads.prefix;
  const need = TASK_HEADS[task];

  const resolveKey = (key: string): string | undefined => {
    if (src.has(key)) return key;
    const legacy = key.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta');
    return legacy !== key && src.has(legacy) ? legacy : undefined;
  };
  const get = (key: string, dims: readonly number[] | ((d: readonly number[]) => boolean), expected?: string): Weight => {
    const found = resolveKey(key);
    if (found === undefined) {
      throw new ModelError('ALB_CONVERT_MISSING_WEIGHT',
        `${src.source} has no tensor ${JSON.stringify(key)}, which task ${JSON.stringify(task)} needs` +
        (task !== 'base' ? ' (use --task base for the encoder alone)' : ''), { source: src.source, key, task });
    }
    const shape = src.shape(found);
    const ok = typeof dims === 'function' ? dims(shape) : shape.length === dims.length && shape.every((d, i) => d === dims[i]);
    if (!ok) {
      throw new ModelError('ALB_CONVERT_WEIGHT_SHAPE',
        `${src.source}: tensor ${JSON.stringify(found)} has shape [${shape.join(', ')}], config.json implies ${expected ?? `[${(dims as number[]).join(', ')}]`}`,
        { source: src.source, key: found, shape: [...shape] });
    }
    return Object.freeze({ key: found, dims: Object.freeze([...shape]), data: src.read(found) });
  };
  const linear = (name: string, out: number, inp: number): LinearWeights =>
    Object.freeze({ weight: get(`${name}.weight`, [out, inp]), bias: get(`${name}.bias`, [out]) });
  const norm = (name: string, width: number): NormWeights =>
    Object.freeze({ weight: get(`${name}.weight`, [width]), bias: get(`${name}.bias`, [width]) });

  const { embeddingSize: E, hiddenSize: H, intermediateSize: I, vocabSize: V } = config;
  const emb = `${p}embeddings`;
  const wordEmbeddings = get(`${emb}.word_embeddings.weight`, [V, E]);
  const positionEmbeddings = get(`${emb}.position_embeddings.weight`, [config.maxPositionEmbeddings, E]);
  const tokenTypeEmbeddings = get(`${emb}.token_type_embeddings.weight`, [config.typeVocabSize, E]);
  const embeddingNorm = norm(`${emb}.LayerNorm`, E);
  const mappingIn = linear(`${p}encoder.embedding_hidden_mapping_in`, H, E);

  // Only groups some layer runs are loaded: with more groups than layers HF leaves the rest unused.
  const usedGroups = new Set(Array.from({ length: config.numHiddenLayers }, (_, i) => layerGroupIndex(config, i)));
  const groups = Array.from({ length: config.numHiddenGroups }, (_, g) => {
    if (!usedGroups.has(g)) return Object.freeze([]);
    return Object.freeze(Array.from({ length: config.innerGroupNum }, (_, j): AlbertLayerWeights => {
      const l = `${p}encoder.albert_layer_groups.${g}.albert_layers.${j}`;
      return Object.freeze({
        query: linear(`${l}.attention.query`, H, H),
        key: linear(`${l}.attention.key`, H, H),
        value: linear(`${l}.attention.value`, H, H),
        attentionDense: linear(`${l}.attention.dense`, H, H),
        attentionNorm: norm(`${l}.attention.LayerNorm`, H),
        ffn: linear(`${l}.ffn`, I, H),
        ffnOutput: linear(`${l}.ffn_output`, H, I),
        fullNorm: norm(`${l}.full_layer_layer_norm`, H),
      });
    }));
  });

  // The base task exports pooler_output whenever the checkpoint has a pooler.
  const pooler = need.pooler || (task === 'base' && heads.pooler) ? linear(`${p}pooler`, H, H) : undefined;

  let mlm: AlbertWeights['mlm'];
  if (need.mlm) {
    const untied = resolveKey('predictions.decoder.weight');
    const decoderWeight = untied ? get(untied, [V, E]) : wordEmbeddings;
    const biasKey = src.has('predictions.decoder.bias') ? 'predictions.decoder.bias' : 'predictions.bias';
    mlm = Object.freeze({
      dense: linear('predictions.dense', E, H),
      norm: norm('predictions.LayerNorm', E),
      decoderWeight: untied && !sameData(decoderWeight.data, wordEmbeddings.data) ? decoderWeight : wordEmbeddings,
      decoderBias: get(biasKey, [V]),
      tied: !untied || sameData(decoderWeight.data, wordEmbeddings.data),
    });
  }
  const labelsOk = (d: readonly number[]): boolean => d.length === 2 && d[1] === H && d[0] >= 1;
  const head = (name: string): LinearWeights => {
    const weight = get(`${name}.weight`, labelsOk, `[num_labels, ${H}]`);
    return Object.freeze({ weight, bias: get(`${name}.bias`, [weight.dims[0]]) });
  };
  const classifier = need.classifier ? head('classifier') : undefined;
  const sop = need.sop ? head('sop_classifier.classifier') : undefined;

  return Object.freeze({
    wordEmbeddings, positionEmbeddings, tokenTypeEmbeddings, embeddingNorm, mappingIn,
    groups: Object.freeze(groups), pooler, mlm, classifier, sop,
  });
}

function sameData(a: Float32Array, b: Float32Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The task HF's `architectures` names: AlbertModel → base, AlbertForMaskedLM → mlm,
 * AlbertForSequenceClassification → cls, AlbertForPreTraining → pretraining.
 *
 * @throws ModelError `ALB_CONVERT_TASK_UNKNOWN` for other architectures
 */
export function taskFromArchitectures(architectures: readonly string[], source = 'config.json'): AlbertTask {
  if (architectures.length === 0) return 'base';
  const map: Record<string, AlbertTask> = {
    AlbertModel: 'base', AlbertForMaskedLM: 'mlm', AlbertForSequenceClassification: 'cls', AlbertForPreTraining: 'pretraining',
  };
  const task = map[architectures[0]];
  if (!task) {
    throw new ModelError('ALB_CONVERT_TASK_UNKNOWN',
      `${source}: architectures ${JSON.stringify(architectures)} has no matching task; pass --task base|mlm|cls|pretraining`, { source });
  }
  return task;
}
