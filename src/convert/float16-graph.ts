/**
 * `optimize --fp16` on any fp32 model.onnx: weights and compute in float16, graph inputs
 * and outputs unchanged (a float16 output gets a Cast back to float32 under its own name).
 * The converter's `--fp16` builds this from the checkpoint (src/convert/fp16.ts); this pass
 * does it to a graph we did not build, e.g. a torch export, with the same policy:
 * LayerNormalization and Softmax keep float32 (their sums lose too much in half
 * precision), fused SkipLayerNormalization and Attention run in float16 (ONNX Runtime's
 * CUDA kernels accumulate in float32). Float constants are clamped to ±65504 first, so a
 * float32-min mask value becomes -65504, not -inf (whose product with 0 is NaN).
 */
import { ModelError } from '../errors.js';
import { attr } from '../model/onnx-graph-builder.js';
import { attribute, GraphView, toFloat16Tensor } from '../model/onnx-graph-view.js';
import { DataType, type ModelProtoObject, type NodeProtoObject } from '../model/onnx-proto.js';

const F32 = DataType.FLOAT;
const F16 = DataType.FLOAT16;

/** Ops that stay float32 (their float inputs are cast up, their outputs stay float32). */
const KEEP_FLOAT32 = new Set(['LayerNormalization', 'Softmax', 'Range', 'CumSum', 'ReduceL2', 'Erf']);
/** Ops whose output type is fixed, whatever their inputs. */
const FIXED: Record<string, number> = {
  Shape: DataType.INT64, Size: DataType.INT64, NonZero: DataType.INT64, ArgMax: DataType.INT64, ArgMin: DataType.INT64,
  Equal: DataType.BOOL, Greater: DataType.BOOL, Less: DataType.BOOL, GreaterOrEqual: DataType.BOOL, LessOrEqual: DataType.BOOL,
  And: DataType.BOOL, Or: DataType.BOOL, Not: DataType.BOOL, Xor: DataType.BOOL, IsNaN: DataType.BOOL, IsInf: DataType.BOOL,
};
/** Inputs that are indices, shapes or conditions, never converted (op → input positions). */
const NON_DATA_INPUTS: Record<string, readonly number[]> = {
  Reshape: [1], Expand: [1], Tile: [1], Slice: [1, 2, 3, 4], Unsqueeze: [1], Squeeze: [1], Gather: [1], GatherElements: [1],
  Where: [0], ConstantOfShape: [0], ReduceSum: [1], ReduceMean: [1], ReduceMax: [1], Split: [1], Pad: [1], TopK: [1],
  Attention: [3], MultiHeadAttention: [4], Shape: [0], Size: [0],
};

/**
 * Converts an fp32 model to float16 compute.
 *
 * @throws ModelError `ALB_OPTIMIZE_UNSUPPORTED` when the graph already holds float16 or has a float graph input
 * @example
 * ```ts
 * const half = toFloat16Graph(decodeOnnxModel(bytes));
 * ```
 */
export function toFloat16Graph(model: ModelProtoObject): { model: ModelProtoObject; castsAdded: number } {
  const view = new GraphView(model);
  if (model.graph.initializer.some((t) => t.data_type === F16)) {
    throw new ModelError('ALB_OPTIMIZE_UNSUPPORTED', 'fp16: the model holds float16 weights already; optimize the fp32 model');
  }
  const floatInput = model.graph.input.find((i) => i.type?.tensor_type?.elem_type === F32);
  if (floatInput) throw new ModelError('ALB_OPTIMIZE_UNSUPPORTED', `fp16: graph input ${floatInput.name} is float32; only int64 inputs are supported`);
  const type = new Map<string, number>();
  for (const i of model.graph.input) type.set(i.name, i.type?.tensor_type?.elem_type ?? 0);
  for (const t of model.graph.initializer) type.set(t.name ?? '', t.data_type ?? 0);

  const b = view.builder();
  const half = new Map<string, string>(); // fp32 initializer → its float16 copy
  const casts = new Map<string, string>(); // `${value}|${to}` → cast output
  let castsAdded = 0;
  const cast = (value: string, to: number): string => {
    const key = `${value}|${to}`;
    let c = casts.get(key);
    if (!c) {
      c = b.op('Cast', [value], { attrs: { to: attr.int(to) } });
      casts.set(key, c);
      type.set(c, to);
      castsAdded++;
    }
    return c;
  };
  const asType = (value: string, to: number): string => {
    const t = view.initializer(value);
    if (t && t.data_type === F32 && to === F16) {
      let h = half.get(value);
      if (!h) {
        h = b.fresh(`${value}_fp16`);
        half.set(value, h);
        view.setInitializer(toFloat16Tensor(t, h));
        type.set(h, F16);
      }
      return h;
    }
    return type.get(value) === to ? value : cast(value, to);
  };

  for (const node of view.all()) {
    const op = node.op_type;
    if (op === 'Constant' && !node.domain) {
      const t = attribute(node, 'value')?.t;
      if (t?.data_type === F32) {
        attribute(node, 'value')!.t = toFloat16Tensor(t, t.name ?? '');
        type.set(node.output[0], F16);
      } else {
        type.set(node.output[0], t?.data_type ?? 0);
      }
      continue;
    }
    if (op === 'Cast') {
      const to = Number(attribute(node, 'to')?.i ?? 0);
      if (to === F32) attribute(node, 'to')!.i = F16;
      type.set(node.output[0], to === F32 ? F16 : to);
      continue;
    }
    if (op === 'ConstantOfShape') {
      const v = attribute(node, 'value');
      if (!v?.t || v.t.data_type === F32) {
        if (v?.t) v.t = toFloat16Tensor(v.t, v.t.name ?? '');
        else node.attribute = [...(node.attribute ?? []), { name: 'value', type: 4, t: toFloat16Tensor({ data_type: F32, dims: [1], raw_data: new Uint8Array(4) }) }];
      }
      type.set(node.output[0], attribute(node, 'value')!.t!.data_type ?? F16);
      continue;
    }
    const target = KEEP_FLOAT32.has(op) ? F32 : F16;
    const skip = NON_DATA_INPUTS[op] ?? [];
    node.input = node.input.map((i, k) => {
      if (!i || skip.includes(k)) return i;
      const t = type.get(i) ?? (view.initializer(i)?.data_type ?? 0);
      return t === F32 || t === F16 ? asType(i, target) : i;
    });
    const fixed = FIXED[op];
    const firstFloat = node.input.find((i, k) => i && !skip.includes(k) && (type.get(i) === F32 || type.get(i) === F16));
    for (const o of node.output) {
      if (!o) continue;
      type.set(o, fixed ?? (firstFloat !== undefined ? target : outputTypeOf(node, type)));
    }
  }
  // Graph outputs keep their float32 type: the float16 value is renamed, a Cast gives the old name.
  for (const out of model.graph.output) {
    if (out.type?.tensor_type?.elem_type !== F32 || type.get(out.name) !== F16) continue;
    const producer = view.producer(out.name);
    if (!producer) throw new ModelError('ALB_OPTIMIZE_UNSUPPORTED', `fp16: output ${out.name} has no producer`);
    const renamed = b.fresh(`${out.name}_fp16`);
    producer.output = producer.output.map((o) => (o === out.name ? renamed : o));
    view.rename(out.name, renamed);
    b.node('Cast', [renamed], { attrs: { to: attr.int(F32) }, outputs: [out.name], replaces: true });
    castsAdded++;
  }
  view.addFrom(b);
  return { model: view.build(), castsAdded };
}

/** Output type of a node with no float input: its first input's (Identity of an int, Gather of an int table, …). */
function outputTypeOf(node: NodeProtoObject, type: Map<string, number>): number {
  const first = node.input.find((i) => i);
  return first ? type.get(first) ?? 0 : 0;
}
