/**
 * HF `config.json` for ALBERT: parsing, validation, and the published model sizes.
 */
import { ModelError, describe } from '../errors.js';

/** Activations the converter builds (see src/convert/albert-graph.ts); the tanh forms are one function. */
export const ALBERT_ACTIVATIONS = ['gelu_new', 'gelu', 'relu', 'gelu_fast', 'gelu_pytorch_tanh', 'silu', 'swish'] as const;
export type AlbertActivation = (typeof ALBERT_ACTIVATIONS)[number];

/** An HF ALBERT `config.json`, checked: the one parser for the pipeline, convert and inspect. */
export interface AlbertConfig {
  readonly vocabSize: number;
  readonly embeddingSize: number;
  readonly hiddenSize: number;
  readonly numHiddenLayers: number;
  readonly numHiddenGroups: number;
  readonly numAttentionHeads: number;
  readonly intermediateSize: number;
  readonly innerGroupNum: number;
  /**
   * As config.json names it. Any of HF's ACT2FN names is a valid config; the converter
   * builds {@link ALBERT_ACTIVATIONS} and refuses the others, while an already-exported
   * model.onnx runs whatever its config says.
   */
  readonly hiddenAct: string;
  readonly maxPositionEmbeddings: number;
  readonly typeVocabSize: number;
  readonly layerNormEps: number;
  readonly architectures: readonly string[];
  /** Label names by class index (`id2label`, which must map 0..n-1); `null` when absent. */
  readonly labels: readonly string[] | null;
  /** HF's `problem_type` (`single_label_classification`, `multi_label_classification`, `regression`); `null` when absent. */
  readonly problemType: string | null;
}

// HF AlbertConfig's constructor defaults (the xxlarge shape), used for keys config.json omits.
const DEFAULTS = {
  vocab_size: 30000, embedding_size: 128, hidden_size: 4096, num_hidden_layers: 12, num_hidden_groups: 1,
  num_attention_heads: 64, intermediate_size: 16384, inner_group_num: 1, hidden_act: 'gelu_new',
  max_position_embeddings: 512, type_vocab_size: 2, layer_norm_eps: 1e-12,
} as const;

/**
 * Validates a parsed config.json into a frozen {@link AlbertConfig}, with HF's defaults for
 * missing keys (so `embedding_size` defaults to 128, as in HF, whoever reads the folder).
 *
 * @param json the parsed config.json
 * @param source the file name, for error messages
 * @throws ModelError `ALB_MODEL_CONFIG_INVALID` naming the key and the value it has
 * @example
 * ```ts
 * const config = parseAlbertConfig(JSON.parse(await readFile('config.json', 'utf8')), 'config.json');
 * config.hiddenSize; // 768
 * ```
 */
export function parseAlbertConfig(json: unknown, source = 'config.json'): AlbertConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ModelError('ALB_MODEL_CONFIG_INVALID', `${source}: expected a JSON object, got ${describe(json)}`, { file: source });
  }
  const raw = json as Record<string, unknown>;
  const fail = (key: string, expected: string): never => {
    throw new ModelError('ALB_MODEL_CONFIG_INVALID', `${source}: ${key} must be ${expected}, got ${describe(raw[key])}`, { file: source, key });
  };
  if (raw.model_type !== undefined && raw.model_type !== 'albert') fail('model_type', '"albert"');
  const int = (key: keyof typeof DEFAULTS): number => {
    const v = raw[key] ?? DEFAULTS[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(key, 'a positive integer');
    return v as number;
  };
  const hiddenAct = raw.hidden_act ?? DEFAULTS.hidden_act;
  if (typeof hiddenAct !== 'string' || hiddenAct === '') fail('hidden_act', 'an activation name such as gelu_new');
  const eps = raw.layer_norm_eps ?? DEFAULTS.layer_norm_eps;
  if (typeof eps !== 'number' || !(eps > 0)) fail('layer_norm_eps', 'a positive number');
  if (raw.position_embedding_type !== undefined && raw.position_embedding_type !== 'absolute') {
    fail('position_embedding_type', '"absolute" (relative position embeddings are not supported)');
  }
  const architectures = raw.architectures ?? [];
  if (!Array.isArray(architectures) || !architectures.every((a) => typeof a === 'string')) fail('architectures', 'a list of strings');

  const config: AlbertConfig = Object.freeze({
    vocabSize: int('vocab_size'),
    embeddingSize: int('embedding_size'),
    hiddenSize: int('hidden_size'),
    numHiddenLayers: int('num_hidden_layers'),
    numHiddenGroups: int('num_hidden_groups'),
    numAttentionHeads: int('num_attention_heads'),
    intermediateSize: int('intermediate_size'),
    innerGroupNum: int('inner_group_num'),
    hiddenAct: hiddenAct as string,
    maxPositionEmbeddings: int('max_position_embeddings'),
    typeVocabSize: int('type_vocab_size'),
    layerNormEps: eps as number,
    architectures: Object.freeze([...(architectures as string[])]),
    labels: parseLabels(raw.id2label, fail),
    problemType: typeof raw.problem_type === 'string' ? raw.problem_type : null,
  });
  if (config.hiddenSize % config.numAttentionHeads !== 0) {
    throw new ModelError('ALB_MODEL_CONFIG_INVALID',
      `${source}: hidden_size ${config.hiddenSize} is not a multiple of num_attention_heads ${config.numAttentionHeads}`, { file: source, key: 'hidden_size' });
  }
  return config;
}

function parseLabels(id2label: unknown, fail: (key: string, expected: string) => never): readonly string[] | null {
  if (id2label === undefined || id2label === null) return null;
  if (typeof id2label !== 'object' || Array.isArray(id2label)) return fail('id2label', 'an object of index → label');
  const entries = Object.entries(id2label as Record<string, unknown>);
  const labels = new Array<string>(entries.length);
  for (const [k, v] of entries) {
    const i = /^\d+$/.test(k) ? Number(k) : -1;
    if (i < 0 || i >= entries.length || typeof v !== 'string' || labels[i] !== undefined) fail('id2label', `an object mapping 0..${entries.length - 1} to label names`);
    labels[i] = v as string;
  }
  return Object.freeze(labels);
}

/**
 * The layer group HF's AlbertTransformer runs at layer `i`:
 * `int(i / (num_hidden_layers / num_hidden_groups))`, float division included.
 *
 * @example
 * ```ts
 * [0, 1, 2, 3].map((i) => layerGroupIndex(config, i)); // [0, 0, 1, 1] for 4 layers, 2 groups
 * ```
 */
export function layerGroupIndex(config: Pick<AlbertConfig, 'numHiddenLayers' | 'numHiddenGroups'>, layer: number): number {
  return Math.trunc(layer / (config.numHiddenLayers / config.numHiddenGroups));
}

const OFFICIAL_SHAPES = {
  base: { hidden_size: 768, num_attention_heads: 12, intermediate_size: 3072, num_hidden_layers: 12 },
  large: { hidden_size: 1024, num_attention_heads: 16, intermediate_size: 4096, num_hidden_layers: 24 },
  xlarge: { hidden_size: 2048, num_attention_heads: 16, intermediate_size: 8192, num_hidden_layers: 24 },
  xxlarge: { hidden_size: 4096, num_attention_heads: 64, intermediate_size: 16384, num_hidden_layers: 12 },
} as const;

export type OfficialAlbertName = `albert-${keyof typeof OFFICIAL_SHAPES}-v${1 | 2}`;

/**
 * The config.json of Google's released ALBERT models as the HF hub has them; v1 and v2
 * share shapes (v2 switched to gelu_new and no dropout).
 */
export const OFFICIAL_ALBERT_CONFIGS: Readonly<Record<OfficialAlbertName, Readonly<Record<string, unknown>>>> = Object.freeze(
  Object.fromEntries(
    (Object.keys(OFFICIAL_SHAPES) as Array<keyof typeof OFFICIAL_SHAPES>).flatMap((size) => [1, 2].map((v) => [
      `albert-${size}-v${v}`,
      Object.freeze({
        architectures: ['AlbertForMaskedLM'], model_type: 'albert', vocab_size: 30000, embedding_size: 128,
        ...OFFICIAL_SHAPES[size], num_hidden_groups: 1, inner_group_num: 1,
        hidden_act: v === 1 ? 'gelu' : 'gelu_new',
        hidden_dropout_prob: v === 1 && size !== 'xxlarge' ? 0.1 : 0, attention_probs_dropout_prob: v === 1 && size !== 'xxlarge' ? 0.1 : 0,
        max_position_embeddings: 512, type_vocab_size: 2, initializer_range: 0.02, layer_norm_eps: 1e-12,
        pad_token_id: 0, bos_token_id: 2, eos_token_id: 3,
      }),
    ])),
  ) as unknown as Record<OfficialAlbertName, Record<string, unknown>>,
);
