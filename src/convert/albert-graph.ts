/**
 * The ALBERT forward pass as an ONNX graph, following HF transformers' modeling_albert:
 * embeddings (width E) → LayerNorm → E→H projection → num_hidden_layers applications
 * of the shared layer groups → pooler → the task's head.
 */
import { ModelError } from '../errors.js';
import { ALBERT_ACTIVATIONS, layerGroupIndex, type AlbertConfig } from '../model/albert-config.js';
import type { AlbertLayerWeights, AlbertTask, AlbertWeights, LinearWeights, NormWeights, Weight } from './albert-weights.js';
import { PrecisionPolicy, type Precision } from './fp16.js';
import { attr, OnnxGraphBuilder } from '../model/onnx-graph-builder.js';
import { DataType, type ModelProtoObject } from '../model/onnx-proto.js';
import { transpose } from './quantize-int8.js';

export interface AlbertGraphOptions {
  task?: AlbertTask;
  precision?: Precision;
  /** Emit `com.microsoft` Attention, SkipLayerNormalization and FastGelu/BiasGelu (what `--fuse` would make of the plain graph). */
  fuse?: boolean;
}

export interface ResolvedAlbertGraphOptions {
  readonly task: AlbertTask;
  readonly precision: Precision;
  readonly fuse: boolean;
}

/** The graph outputs per task, named as HF's ONNX exporters name them. */
export const ALBERT_TASK_OUTPUTS: Readonly<Record<AlbertTask, readonly string[]>> = Object.freeze({
  base: Object.freeze(['last_hidden_state', 'pooler_output']),
  mlm: Object.freeze(['logits']),
  cls: Object.freeze(['logits']),
  pretraining: Object.freeze(['prediction_logits', 'sop_logits']),
});

// torch.finfo(torch.float32).min: HF's additive mask value for padded keys.
const FLOAT32_MIN = -3.4028234663852886e38;

/**
 * Builds the ONNX model for a config, its weights and a task. Inputs are `input_ids`,
 * `attention_mask`, `token_type_ids` (int64, dims `batch` × `sequence`); outputs are
 * those of {@link ALBERT_TASK_OUTPUTS} (the base task drops `pooler_output` when the
 * weights have no pooler). Shared layer weights are initializers referenced by every
 * layer that runs them, so they are stored once.
 *
 * @throws ModelError `ALB_CONVERT_MISSING_WEIGHT` when the weights lack a head the task needs
 * @example
 * ```ts
 * const model = buildAlbertGraph(config, loadAlbertWeights(src, config, 'cls'), { task: 'cls' });
 * await writeFile('model.onnx', encodeOnnxModel(model));
 * ```
 */
export function buildAlbertGraph(config: AlbertConfig, weights: AlbertWeights, options: AlbertGraphOptions = {}): ModelProtoObject {
  const o: ResolvedAlbertGraphOptions = Object.freeze({ task: options.task ?? 'base', precision: options.precision ?? 'fp32', fuse: options.fuse ?? false });
  const b = new OnnxGraphBuilder({ opset: 17, graphName: `albert_${o.task}`, extraOpsets: o.fuse ? { [MS]: 1 } : {} });
  const p = new PrecisionPolicy(b, o.precision);
  const g = new AlbertGraph(b, p, config);

  const ids = b.input('input_ids', DataType.INT64, ['batch', 'sequence']);
  const mask = b.input('attention_mask', DataType.INT64, ['batch', 'sequence']);
  const types = b.input('token_type_ids', DataType.INT64, ['batch', 'sequence']);

  const wordTable = g.table(weights.wordEmbeddings);
  let h = b.scope('embeddings', () => g.embeddings(weights, wordTable, ids, types));
  // Fused Attention takes the padding mask as int32 [batch, sequence]; the plain graph adds it to the scores.
  const layerMask = o.fuse ? b.op('Cast', [mask], { attrs: { to: attr.int(DataType.INT32) } }) : b.scope('mask', () => g.additiveMask(mask));
  for (let i = 0; i < config.numHiddenLayers; i++) {
    const group = layerGroupIndex(config, i);
    for (let j = 0; j < config.innerGroupNum; j++) {
      h = b.scope(`layer_${i}/inner_${j}`, () => (o.fuse ? g.fusedLayer(h, weights.groups[group][j], layerMask) : g.layer(h, weights.groups[group][j], layerMask)));
    }
  }

  const H = config.hiddenSize;
  const missing = (key: string): never => {
    throw new ModelError('ALB_CONVERT_MISSING_WEIGHT', `task ${JSON.stringify(o.task)} needs the ${key} weights, which were not loaded`, { key, task: o.task });
  };
  // The pooler and the classifiers on it are tiny matmuls: they stay float32 in both precisions.
  const pooled = (): string => b.scope('pooler', () => {
    const first = b.op('Gather', [h.f32, b.int64s([0], true)], { attrs: { axis: attr.int(1) } });
    return b.op('Tanh', [g.linear(first, weights.pooler ?? missing('pooler'), true)]);
  });
  const named = (x: string, name: string): string => b.op('Identity', [x], { outputs: [name] });

  if (o.task === 'base') {
    b.output(named(h.f32, 'last_hidden_state'), DataType.FLOAT, ['batch', 'sequence', H]);
    if (weights.pooler) b.output(named(pooled(), 'pooler_output'), DataType.FLOAT, ['batch', H]);
  } else if (o.task === 'cls') {
    const head = weights.classifier ?? missing('classifier');
    const logits = b.scope('classifier', () => g.linear(pooled(), head, true));
    b.output(named(logits, 'logits'), DataType.FLOAT, ['batch', head.weight.dims[0]]);
  } else {
    const mlm = weights.mlm ?? missing('predictions');
    const logits = b.scope('predictions', () => {
      const t = g.activation(g.linear(h.compute, mlm.dense));
      const normed = p.toCompute(g.layerNorm(p.toFloat32(t), mlm.norm));
      const decoderT = b.op('Transpose', [mlm.tied ? wordTable : g.table(mlm.decoderWeight)], { attrs: { perm: attr.ints([1, 0]) } });
      const bias = p.weight(mlm.decoderBias.key, mlm.decoderBias.dims, mlm.decoderBias.data);
      return p.toFloat32(b.op('Add', [b.op('MatMul', [normed, decoderT]), bias]));
    });
    const name = o.task === 'mlm' ? 'logits' : 'prediction_logits';
    b.output(named(logits, name), DataType.FLOAT, ['batch', 'sequence', config.vocabSize]);
    if (o.task === 'pretraining') {
      const head = weights.sop ?? missing('sop_classifier');
      const sop = b.scope('sop_classifier', () => g.linear(pooled(), head, true));
      b.output(named(sop, 'sop_logits'), DataType.FLOAT, ['batch', head.weight.dims[0]]);
    }
  }
  return b.build();
}

/** A hidden state in both precisions: float32 for residuals and LayerNorm, compute type for matmuls. */
interface Hidden { readonly f32: string; readonly compute: string }

const MS = 'com.microsoft';

class AlbertGraph {
  private readonly linears = new Map<string, { w: string; bias: string }>();
  private readonly headDim: number;

  constructor(private readonly b: OnnxGraphBuilder, private readonly p: PrecisionPolicy, private readonly config: AlbertConfig) {
    this.headDim = config.hiddenSize / config.numAttentionHeads;
  }

  /** An embedding table initializer, in the compute type, named by its state-dict key. */
  table(w: Weight): string {
    return this.p.weight(w.key, w.dims, w.data);
  }

  embeddings(w: AlbertWeights, wordTable: string, ids: string, types: string): Hidden {
    const b = this.b;
    const words = b.op('Gather', [wordTable, ids]);
    const seqLen = b.op('Shape', [ids], { attrs: { start: attr.int(1), end: attr.int(2) } });
    const positions = b.op('Slice', [this.table(w.positionEmbeddings), b.int64s([0]), seqLen, b.int64s([0])]);
    const tokenTypes = b.op('Gather', [this.table(w.tokenTypeEmbeddings), types]);
    const sum = b.op('Add', [b.op('Add', [words, positions]), tokenTypes]);
    const normed = this.p.toCompute(this.layerNorm(this.p.toFloat32(sum), w.embeddingNorm));
    const mapped = b.scope('mapping_in', () => this.linear(normed, w.mappingIn));
    return { f32: this.p.toFloat32(mapped), compute: mapped };
  }

  /** HF's extended mask: (1 - mask) * finfo(float32).min, shaped [batch, 1, 1, sequence], in float32. */
  additiveMask(mask: string): string {
    const b = this.b;
    const m = b.op('Cast', [mask], { attrs: { to: attr.int(DataType.FLOAT) } });
    const inverted = b.op('Sub', [b.float32(1), m]);
    const scaled = b.op('Mul', [inverted, b.float32(FLOAT32_MIN)]);
    return b.op('Unsqueeze', [scaled, b.int64s([1, 2])]);
  }

  /** One AlbertLayer: attention + LayerNorm, FFN + LayerNorm. */
  layer(h: Hidden, w: AlbertLayerWeights, mask: string): Hidden {
    const b = this.b;
    const p = this.p;
    const nh = this.config.numAttentionHeads;
    const heads = (x: string, perm: number[]): string =>
      b.op('Transpose', [b.op('Reshape', [x, b.int64s([0, 0, nh, this.headDim])])], { attrs: { perm: attr.ints(perm) } });

    const attention = b.scope('attention', () => {
      // Scaling q before the product equals HF's scaling of the scores, and keeps float16 products small.
      const q = b.op('Mul', [heads(this.linear(h.compute, w.query), [0, 2, 1, 3]), p.scalar(1 / Math.sqrt(this.headDim))]);
      const k = heads(this.linear(h.compute, w.key), [0, 2, 3, 1]);
      const v = heads(this.linear(h.compute, w.value), [0, 2, 1, 3]);
      const scores = b.op('Add', [p.toFloat32(b.op('MatMul', [q, k])), mask]);
      const probs = p.toCompute(b.op('Softmax', [scores], { attrs: { axis: attr.int(-1) } }));
      const context = b.op('Transpose', [b.op('MatMul', [probs, v])], { attrs: { perm: attr.ints([0, 2, 1, 3]) } });
      const merged = b.op('Reshape', [context, b.int64s([0, 0, this.config.hiddenSize])]);
      const projected = this.linear(merged, w.attentionDense);
      return this.layerNorm(b.op('Add', [p.toFloat32(projected), h.f32]), w.attentionNorm);
    });
    const attentionCompute = p.toCompute(attention);
    const out = b.scope('ffn', () => {
      const inner = this.activation(this.linear(attentionCompute, w.ffn));
      const ffn = this.linear(inner, w.ffnOutput);
      return this.layerNorm(b.op('Add', [p.toFloat32(ffn), attention]), w.fullNorm);
    });
    return { f32: out, compute: p.toCompute(out) };
  }

  /**
   * One AlbertLayer as fused ops, all in the compute type (ONNX Runtime's fused kernels
   * accumulate in float32): Attention over packed QKV, dense + residual + LayerNorm as
   * SkipLayerNormalization, FFN with FastGelu (gelu_new) or BiasGelu (gelu), FFN output +
   * residual + LayerNorm as SkipLayerNormalization.
   */
  fusedLayer(h: Hidden, w: AlbertLayerWeights, mask32: string): Hidden {
    const b = this.b;
    const H = this.config.hiddenSize;
    const qkvKey = `${w.query.weight.key}|qkv`;
    let qkv = this.linears.get(qkvKey);
    if (!qkv) {
      const packed = new Float32Array(H * 3 * H);
      const parts = [w.query, w.key, w.value].map((l) => transpose(l.weight.data, H, H));
      for (let r = 0; r < H; r++) parts.forEach((t, j) => packed.set(t.subarray(r * H, (r + 1) * H), (r * 3 + j) * H));
      const bias = new Float32Array(3 * H);
      [w.query, w.key, w.value].forEach((l, j) => bias.set(l.bias.data, j * H));
      const base = w.query.weight.key.replace(/\.query\.weight$/, '');
      qkv = { w: this.p.weight(`${base}.qkv_T`, [H, 3 * H], packed), bias: this.p.weight(`${base}.qkv.bias`, [3 * H], bias) };
      this.linears.set(qkvKey, qkv);
    }
    const attended = b.scope('attention', () =>
      b.op('Attention', [h.compute, qkv.w, qkv.bias, mask32], { domain: MS, attrs: { num_heads: attr.int(this.config.numAttentionHeads) } }));
    const skipNorm = (x: string, skip: string, dense: LinearWeights, norm: NormWeights): string => {
      const { w: weight, bias } = this.linearWeights(dense);
      const n = this.normWeights(norm, this.p.weight.bind(this.p));
      return b.op('SkipLayerNormalization', [b.op('MatMul', [x, weight]), skip, n.w, n.bias, bias], { domain: MS, attrs: { epsilon: attr.float(this.config.layerNormEps) } });
    };
    const attention = b.scope('attention', () => skipNorm(attended, h.compute, w.attentionDense, w.attentionNorm));
    const out = b.scope('ffn', () => {
      const act = this.config.hiddenAct;
      const { w: w1, bias: b1 } = this.linearWeights(w.ffn);
      const mm = b.op('MatMul', [attention, w1]);
      const inner = ['gelu_new', 'gelu_fast', 'gelu_pytorch_tanh'].includes(act) ? b.op('FastGelu', [mm, b1], { domain: MS })
        : act === 'gelu' ? b.op('BiasGelu', [mm, b1], { domain: MS }) : this.activation(b.op('Add', [mm, b1]));
      return skipNorm(inner, attention, w.ffnOutput, w.fullNorm);
    });
    const p = this.p;
    let f32: string | undefined;
    // The float32 copy only where something reads it (the outputs, the pooler): no dead Cast per layer.
    return { compute: out, get f32() { return (f32 ??= p.toFloat32(out)); } };
  }

  /**
   * x · Wᵀ + b with W stored transposed ([in, out]) once per state-dict key; in the
   * compute type, or in float32 when `float32` (x must then be float32 too).
   */
  linear(x: string, w: LinearWeights, float32 = false): string {
    const entry = this.linearWeights(w, float32);
    return this.b.op('Add', [this.b.op('MatMul', [x, entry.w]), entry.bias]);
  }

  /** A linear layer's initializers (Wᵀ and b), stored once per state-dict key. */
  private linearWeights(w: LinearWeights, float32 = false): { w: string; bias: string } {
    let entry = this.linears.get(w.weight.key);
    if (!entry) {
      const [out, inp] = w.weight.dims;
      const store = float32 ? this.p.weightFloat32.bind(this.p) : this.p.weight.bind(this.p);
      entry = {
        w: store(`${w.weight.key}_T`, [inp, out], transpose(w.weight.data, out, inp)),
        bias: store(w.bias.key, w.bias.dims, w.bias.data),
      };
      this.linears.set(w.weight.key, entry);
    }
    return entry;
  }

  /** A LayerNorm's scale and shift, stored once (float32 unless `store` says otherwise). */
  private normWeights(w: NormWeights, store = this.p.weightFloat32.bind(this.p)): { w: string; bias: string } {
    const key = `${w.weight.key}|ln`;
    let entry = this.linears.get(key);
    if (!entry) {
      entry = { w: store(w.weight.key, w.weight.dims, w.weight.data), bias: store(w.bias.key, w.bias.dims, w.bias.data) };
      this.linears.set(key, entry);
    }
    return entry;
  }

  /** LayerNormalization over the last axis, in float32. */
  layerNorm(x32: string, w: NormWeights): string {
    const entry = this.normWeights(w);
    return this.b.op('LayerNormalization', [x32, entry.w, entry.bias], {
      attrs: { axis: attr.int(-1), epsilon: attr.float(this.config.layerNormEps) },
    });
  }

  /** config.hidden_act, in the compute type. */
  activation(x: string): string {
    const b = this.b;
    const p = this.p;
    switch (this.config.hiddenAct) {
      case 'relu':
        return b.op('Relu', [x]);
      case 'gelu':
        // x·(1 + erf(x/√2))·0.5, the node order ORT's GeluFusion matches.
        return b.op('Mul', [b.op('Mul', [x, b.op('Add', [b.op('Erf', [b.op('Div', [x, p.scalar(Math.SQRT2)])]), p.scalar(1)])]), p.scalar(0.5)]);
      case 'silu':
      case 'swish':
        return b.op('Mul', [x, b.op('Sigmoid', [x])]);
      case 'gelu_new':
      case 'gelu_fast':
      case 'gelu_pytorch_tanh': {
        // gelu_new: 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))), as 0.5x·(1 + tanh(√(2/π)x·(1 + 0.044715x·x))):
        // the node order ORT's FastGeluFusion matches, and in float16 a large x saturates tanh
        // through x² = inf instead of overflowing x³ into inf·0.
        const poly = b.op('Add', [b.op('Mul', [b.op('Mul', [x, p.scalar(0.044715)]), x]), p.scalar(1)]);
        const inner = b.op('Mul', [poly, b.op('Mul', [x, p.scalar(Math.sqrt(2 / Math.PI))])]);
        return b.op('Mul', [b.op('Add', [b.op('Tanh', [inner]), p.scalar(1)]), b.op('Mul', [x, p.scalar(0.5)])]);
      }
      default:
        throw unsupportedActivation(this.config.hiddenAct);
    }
  }
}

/** A hidden_act HF knows but this converter cannot build (checked before any weight is read). */
export function unsupportedActivation(act: string): ModelError {
  return new ModelError('ALB_CONVERT_UNSUPPORTED', `hidden_act ${JSON.stringify(act)} cannot be converted; the converter builds ${ALBERT_ACTIVATIONS.join(', ')}`, { key: 'hidden_act', got: act });
}
