/**
 * Dynamic int8 quantization of an fp32 ALBERT graph for the CPU: every MatMul (and Gemm,
 * and fused Attention) of the encoder whose weight is a constant gets uint8 weights,
 * quantized once per weight however many layers share it, and quantizes its activations
 * per batch at run time (`com.microsoft` DynamicQuantizeMatMul / QAttention).
 *
 * Why uint8 with zero point 128 (symmetric, per output column): on AVX2 without VNNI it
 * was the more accurate choice (per-row cosine of pooled outputs vs fp32 0.9999 against
 * 0.999 for int8 weights on albert-mini; int8 weights saturate in the u8×s8 kernel), at
 * 60-70% of fp32's time (issue 12's measurements).
 *
 * What stays float32: the embeddings (Gathers), LayerNorms, and everything after the
 * encoder's last LayerNorm (pooler, classifier, MLM head), which are small and where the
 * error would land directly in the outputs.
 */
import { ModelError } from '../errors.js';
import { attr } from '../model/onnx-graph-builder.js';
import { GraphView, attribute, intAttribute, tensorFloats } from '../model/onnx-graph-view.js';
import { DataType, type ModelProtoObject, type NodeProtoObject } from '../model/onnx-proto.js';

export interface Int8Result {
  readonly model: ModelProtoObject;
  /** Nodes now computing in int8 (per layer application). */
  readonly nodes: number;
  /** Distinct weights quantized (a weight shared by 12 layers counts once). */
  readonly weights: number;
  /** Float32 weight bytes replaced by uint8 ones. */
  readonly weightBytes: { readonly before: number; readonly after: number };
}

interface QuantizedWeight { q: string; scale: string; zeroPoint: string }

/**
 * `uint8`: zero point 128, ±127 steps per column (the u8×u8 kernel). `int8-7bit`: int8 with
 * ±63 steps, which AVX2's faster u8×s8 kernel takes without int16 saturation (ORT's
 * "reduce_range"), at half the weight resolution.
 */
export type Int8WeightType = 'uint8' | 'int8-7bit';

const MS = 'com.microsoft';

/**
 * Quantizes the encoder's constant-weight matrix products of an fp32 model.
 *
 * @throws ModelError `ALB_ONNX_TENSOR` when a weight cannot be read
 * @example
 * ```ts
 * const { model, nodes, weights } = quantizeInt8(decodeOnnxModel(bytes));
 * // albert-mini, torch export: 37 nodes, 7 weights (6 shared layer weights + the E→H projection)
 * ```
 */
/** The Attention attributes QAttention shares, by their ONNX AttributeProto type (1 FLOAT, 2 INT). */
const QATTENTION_ATTRS: Record<string, number> = { num_heads: 2, unidirectional: 2, scale: 1, mask_filter_value: 1 };

export function quantizeInt8(model: ModelProtoObject, weightType: Int8WeightType = 'uint8'): Int8Result {
  const view = new GraphView(model);
  const region = encoderRegion(view);
  const b = view.builder();
  const cache = new Map<string, QuantizedWeight & { before: number; after: number }>();
  let nodes = 0;

  /** uint8 weight [K, N] (transposed first when `transposed`), scale per column, zero point 128. */
  const quantized = (value: string, transposed: boolean): QuantizedWeight | null => {
    const root = view.alias(value);
    const key = `${root}|${transposed}`;
    const hit = cache.get(key);
    if (hit) return hit;
    const t = view.constant(root);
    if (!t || t.data_type !== DataType.FLOAT || (t.dims ?? []).length !== 2) return null;
    let [K, N] = (t.dims ?? []).map(Number);
    let w = tensorFloats(t);
    if (transposed) {
      w = transpose(w, K, N);
      [K, N] = [N, K];
    }
    const { q, scale } = quantizeColumns(w, K, N, weightType === 'uint8' ? 127 : 63);
    const base = root.replace(/[^\w.]+/g, '_');
    const entry = {
      q: weightType === 'uint8'
        ? b.freshInitializer(`${base}_quant`, DataType.UINT8, [K, N], q)
        : b.freshInitializer(`${base}_quant`, DataType.INT8, [K, N], q.map((v) => v - 128)),
      scale: b.freshInitializer(`${base}_scale`, DataType.FLOAT, [N], scale),
      zeroPoint: weightType === 'uint8' ? b.constant(DataType.UINT8, [], new Uint8Array([128]), 'zp128') : b.constant(DataType.INT8, [], new Uint8Array([0]), 'zp0'),
      before: K * N * 4,
      after: K * N + N * 4,
    };
    cache.set(key, entry);
    return entry;
  };

  const removed: NodeProtoObject[] = [];
  for (const node of view.all()) {
    if (!region.has(node) || node.domain && node.domain !== MS) continue;
    if (node.op_type === 'MatMul' && !node.domain) {
      const w = quantized(node.input[1], false);
      if (!w) continue;
      // A bias Add right after (the only reader of the product) folds into the node.
      const next = view.consumers(node.output[0]);
      const add = next.length === 1 && next[0].op_type === 'Add' && !view.isGraphOutput(node.output[0]) ? next[0] : undefined;
      const biasInput = add ? add.input.find((i) => i !== node.output[0]) : undefined;
      const bias = biasInput !== undefined && (view.constant(biasInput)?.dims ?? []).length === 1 ? biasInput : undefined;
      const out = bias ? add!.output[0] : node.output[0];
      b.node('DynamicQuantizeMatMul', [node.input[0], w.q, w.scale, w.zeroPoint, ...(bias ? [bias] : [])], { domain: MS, replaces: true, outputs: [out], name: b.fresh(`${node.name ?? 'MatMul'}_int8`) });
      removed.push(node, ...(bias ? [add!] : []));
      nodes++;
    } else if (node.op_type === 'Gemm' && !node.domain) {
      const plain = intAttribute(node, 'transA', 0) === 0 && (attribute(node, 'alpha')?.f ?? 1) === 1 && (attribute(node, 'beta')?.f ?? 1) === 1;
      const c = node.input[2];
      if (!plain || (c && (view.constant(c)?.dims ?? []).length !== 1)) continue;
      const w = quantized(node.input[1], intAttribute(node, 'transB', 0) === 1);
      if (!w) continue;
      b.node('DynamicQuantizeMatMul', [node.input[0], w.q, w.scale, w.zeroPoint, ...(c ? [c] : [])], { domain: MS, replaces: true, outputs: [node.output[0]], name: b.fresh(`${node.name ?? 'Gemm'}_int8`) });
      removed.push(node);
      nodes++;
    } else if (node.op_type === 'Attention' && node.domain === MS) {
      if (node.input.length > 4 || node.output.length > 1) continue; // past/present or biases: not ours to quantize
      // QAttention takes these, and only as int or float: any other (qkv_hidden_sizes, a
      // list of ints, from another tool) would be carried over wrong, so such a node stays fp32.
      if ((node.attribute ?? []).some((a) => QATTENTION_ATTRS[a.name] !== a.type)) continue;
      const w = quantized(node.input[1], false);
      if (!w || !node.input[2]) continue;
      const [xq, xScale, xZero] = b.node('DynamicQuantizeLinear', [node.input[0]], { outputs: 3 });
      b.node('QAttention', [xq, w.q, node.input[2], xScale, w.scale, node.input[3] ?? '', xZero, w.zeroPoint], {
        domain: MS, replaces: true, outputs: [node.output[0]], name: b.fresh(`${node.name ?? 'Attention'}_int8`),
        attrs: Object.fromEntries((node.attribute ?? []).map((a) => [a.name, a.type === 2 ? attr.int(Number(a.i)) : attr.float(Number(a.f))])),
      });
      removed.push(node);
      nodes++;
    }
  }
  if (nodes === 0) {
    throw new ModelError('ALB_OPTIMIZE_UNSUPPORTED', 'int8: the graph has no MatMul, Gemm or Attention with a constant float32 weight inside the encoder (before its last LayerNorm); nothing to quantize');
  }
  view.remove(removed);
  view.addFrom(b);
  const entries = [...cache.values()];
  return {
    model: view.build(),
    nodes,
    weights: entries.length,
    weightBytes: { before: entries.reduce((a, e) => a + e.before, 0), after: entries.reduce((a, e) => a + e.after, 0) },
  };
}

/**
 * The encoder: every node upstream of a residual LayerNorm (one normalizing the sum of two
 * computed values, or a SkipLayerNormalization). The pooler and the heads come after the
 * last of them; the MLM head's own LayerNorm normalizes an activation, not a sum.
 */
export function encoderRegion(view: GraphView): Set<NodeProtoObject> {
  const ends: string[] = [];
  for (const n of view.all()) {
    if (n.op_type === 'SkipLayerNormalization' && n.domain === MS) ends.push(...n.input.slice(0, 2));
    if (n.op_type === 'LayerNormalization' && !n.domain) {
      const sum = view.producer(n.input[0]);
      if (sum?.op_type === 'Add' && sum.input.every((i) => view.constant(i) === undefined)) ends.push(n.input[0]);
    }
  }
  const values = new Set<string>();
  for (const e of ends) for (const v of view.ancestors(e)) values.add(v);
  return new Set(view.all().filter((n) => n.output.some((o) => values.has(o))));
}

/** Symmetric per-column quantization of W [K, N]: q = round(w / s) + 128, s = max|w| / steps. */
export function quantizeColumns(w: Float32Array, K: number, N: number, steps = 127): { q: Uint8Array; scale: Float32Array } {
  const scale = new Float32Array(N);
  for (let k = 0; k < K; k++) {
    for (let n = 0; n < N; n++) scale[n] = Math.max(scale[n], Math.abs(w[k * N + n]));
  }
  for (let n = 0; n < N; n++) scale[n] = scale[n] > 0 ? scale[n] / steps : 1;
  const q = new Uint8Array(K * N);
  for (let k = 0; k < K; k++) {
    for (let n = 0; n < N; n++) q[k * N + n] = 128 + Math.max(-steps, Math.min(steps, Math.round(w[k * N + n] / scale[n])));
  }
  return { q, scale };
}

export function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  }
  return out;
}
