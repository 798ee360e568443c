/**
 * Parameter counts, shared weights counted once: from a config's shapes (what HF's
 * `model.num_parameters()` reports) and from an ONNX model's initializers.
 */
import type { AlbertConfig } from '../model/albert-config.js';
import { DataType, type ModelProtoObject } from '../model/onnx-proto.js';

export interface AlbertHeadsSpec {
  /** AlbertModel's pooler (absent in AlbertForMaskedLM). */
  pooler?: boolean;
  /** The MLM head; its decoder weight is tied to the word embeddings unless `untiedDecoder`. */
  mlm?: boolean;
  untiedDecoder?: boolean;
  /** Number of classes of a sequence-classification head. */
  classifierLabels?: number;
  /** Number of classes of the SOP head (2 in real ALBERT). */
  sopLabels?: number;
}

export interface AlbertParameterCount {
  readonly embeddings: number;
  /** Projection E→H plus every distinct layer (groups × inner layers), not every application. */
  readonly encoder: number;
  readonly pooler: number;
  readonly mlmHead: number;
  readonly classifier: number;
  readonly sop: number;
  readonly total: number;
}

/**
 * Counts the parameters an ALBERT with these heads has.
 *
 * @example
 * ```ts
 * countAlbertParameters(parseAlbertConfig(OFFICIAL_ALBERT_CONFIGS['albert-base-v2']), { pooler: true }).total; // 11683584
 * ```
 */
export function countAlbertParameters(config: AlbertConfig, heads: AlbertHeadsSpec = { pooler: true }): AlbertParameterCount {
  const { vocabSize: V, embeddingSize: E, hiddenSize: H, intermediateSize: I } = config;
  const linear = (inp: number, out: number): number => inp * out + out;
  const embeddings = (V + config.maxPositionEmbeddings + config.typeVocabSize) * E + 2 * E;
  const layer = 4 * linear(H, H) + 2 * H + linear(H, I) + linear(I, H) + 2 * H;
  const encoder = linear(E, H) + config.numHiddenGroups * config.innerGroupNum * layer;
  const pooler = heads.pooler ? linear(H, H) : 0;
  const mlmHead = heads.mlm ? linear(H, E) + 2 * E + V + (heads.untiedDecoder ? V * E : 0) : 0;
  const classifier = heads.classifierLabels ? linear(H, heads.classifierLabels) : 0;
  const sop = heads.sopLabels ? linear(H, heads.sopLabels) : 0;
  return Object.freeze({
    embeddings, encoder, pooler, mlmHead, classifier, sop,
    total: embeddings + encoder + pooler + mlmHead + classifier + sop,
  });
}

const FLOAT_TYPES = new Set<number>([DataType.FLOAT, DataType.FLOAT16, DataType.BFLOAT16, DataType.DOUBLE]);

/**
 * Counts the elements of an ONNX model's float initializers that have at least one
 * dimension (scalar constants such as 1/√d are not parameters). An initializer used by
 * many nodes is one tensor, so shared weights count once.
 *
 * @example
 * ```ts
 * countOnnxParameters(decodeOnnxModel(bytes)); // 11683584 for a converted albert-base
 * ```
 */
export function countOnnxParameters(model: ModelProtoObject): number {
  let total = 0;
  for (const t of model.graph.initializer) {
    if (!FLOAT_TYPES.has(t.data_type ?? 0) || !t.dims || t.dims.length === 0) continue;
    total += t.dims.reduce((a, d) => a * Number(d), 1);
  }
  return total;
}
