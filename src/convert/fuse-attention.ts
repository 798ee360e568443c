/**
 * Self-attention fusion: the BERT/ALBERT attention block (three projections, head split,
 * scaled Q·Kᵀ plus the padding mask, softmax, ·V, head merge) becomes one `com.microsoft`
 * Attention node with the Q, K and V weights packed side by side ([H, 3H]) and the padding
 * mask passed as int32 [batch, sequence] (1 = attend). ONNX Runtime's own optimizer never
 * fuses it on these graphs (issue 12), and it is the op CUDA gains most from.
 *
 * Matched from each Softmax: Softmax(Add(scores, mask)) where scores is
 * Q·Kᵀ·c (torch: Mul after the MatMul, or Div by √d) or (Q·c)·Kᵀ (our converter), Q and
 * V are Transpose[0,2,1,3](Reshape(x·W + b)), K the same with Transpose[0,2,3,1], and the
 * result goes Transpose[0,2,1,3] → Reshape into [batch, sequence, hidden]. The mask term
 * must come from the `attention_mask` input alone (not from the layer).
 */
import { attr } from '../model/onnx-graph-builder.js';
import { attribute, intAttribute, type GraphView } from '../model/onnx-graph-view.js';
import { DataType, type NodeProtoObject } from '../model/onnx-proto.js';

const MS = 'com.microsoft';

export interface AttentionShape {
  readonly numHeads: number;
  readonly hiddenSize: number;
}

interface Projection { x: string; weight: string; bias: string; nodes: NodeProtoObject[] }

/**
 * Fuses every attention block of the graph; returns the count.
 *
 * @example
 * ```ts
 * fuseAttention(view, { numHeads: 4, hiddenSize: 256 }); // 6 on albert-mini
 * ```
 */
export function fuseAttention(view: GraphView, shape: AttentionShape, maskInput = 'attention_mask'): number {
  let count = 0;
  let mask32: string | null = null;
  const packed = new Map<string, { weight: string; bias: string }>();
  const headDim = shape.hiddenSize / shape.numHeads;
  for (const softmax of view.all()) {
    if (softmax.op_type !== 'Softmax' || softmax.domain || ![-1, 3].includes(intAttribute(softmax, 'axis', -1))) continue;
    const m = matchBlock(view, softmax, shape, maskInput);
    if (!m) continue;
    const b = view.builder();
    if (mask32 === null) mask32 = b.op('Cast', [maskInput], { attrs: { to: attr.int(DataType.INT32) } });
    const key = [m.q, m.k, m.v].map((p) => `${view.alias(p.weight)}+${view.alias(p.bias)}`).join('|');
    let w = packed.get(key);
    if (!w) {
      const cols = [m.q, m.k, m.v].map((p) => view.floats(p.weight)!);
      const weight = new Float32Array(shape.hiddenSize * 3 * shape.hiddenSize);
      for (let r = 0; r < shape.hiddenSize; r++) {
        cols.forEach((c, j) => weight.set(c.subarray(r * shape.hiddenSize, (r + 1) * shape.hiddenSize), (r * 3 + j) * shape.hiddenSize));
      }
      const bias = new Float32Array(3 * shape.hiddenSize);
      [m.q, m.k, m.v].forEach((p, j) => bias.set(view.floats(p.bias)!, j * shape.hiddenSize));
      const base = `attention_${packed.size}`;
      w = {
        weight: b.freshInitializer(`${base}_qkv_weight`, DataType.FLOAT, [shape.hiddenSize, 3 * shape.hiddenSize], weight),
        bias: b.freshInitializer(`${base}_qkv_bias`, DataType.FLOAT, [3 * shape.hiddenSize], bias),
      };
      packed.set(key, w);
    }
    const attrs: Record<string, ReturnType<typeof attr.int>> = { num_heads: attr.int(shape.numHeads) };
    if (Math.abs(m.scale * Math.sqrt(headDim) - 1) > 1e-6) attrs.scale = attr.float(m.scale);
    b.node('Attention', [m.q.x, w.weight, w.bias, mask32], { domain: MS, replaces: true, outputs: [m.output], attrs, name: b.fresh('Attention_fused') });
    view.remove(m.nodes);
    view.addFrom(b);
    count++;
  }
  return count;
}

function matchBlock(view: GraphView, softmax: NodeProtoObject, shape: AttentionShape, maskInput: string):
  { q: Projection; k: Projection; v: Projection; scale: number; output: string; nodes: NodeProtoObject[] } | null {
  const p = (v: string | undefined, op: string): NodeProtoObject | null => {
    const n = v === undefined ? undefined : view.producer(v);
    return n && n.op_type === op && !n.domain ? n : null;
  };
  const only = (v: string, op: string): NodeProtoObject | null => {
    const c = view.consumers(v);
    return c.length === 1 && c[0].op_type === op && !c[0].domain && !view.isGraphOutput(v) ? c[0] : null;
  };
  const addMask = p(softmax.input[0], 'Add');
  if (!addMask) return null;
  let scale = 1;
  let qk: NodeProtoObject | null = null;
  let scoreSide = -1;
  const scaled: NodeProtoObject[] = [];
  for (const side of [0, 1]) {
    const s = addMask.input[side];
    const direct = p(s, 'MatMul');
    const mul = p(s, 'Mul') ?? p(s, 'Div');
    if (direct) {
      qk = direct;
    } else if (mul) {
      const c = mul.input.map((i) => view.scalar(i));
      const ci = c.findIndex((x) => x !== undefined);
      const inner = ci >= 0 ? p(mul.input[1 - ci], 'MatMul') : null;
      if (!inner || (mul.op_type === 'Div' && ci !== 1)) continue;
      scale = mul.op_type === 'Div' ? 1 / c[ci]! : c[ci]!;
      qk = inner;
      scaled.push(mul);
    }
    if (qk) {
      scoreSide = side;
      break;
    }
  }
  if (!qk || scoreSide < 0) return null;
  const maskTerm = addMask.input[1 - scoreSide];

  // Q (our converter) or Q and Kᵀ (torch's SDPA export, √c each) may be scaled before the product.
  const qSide = scaledTranspose(view, qk.input[0]);
  const kSide = scaledTranspose(view, qk.input[1]);
  if (!qSide || !kSide) return null;
  const qT = qSide.transpose;
  const kT = kSide.transpose;
  scale *= qSide.scale * kSide.scale;
  scaled.push(...qSide.nodes, ...kSide.nodes);
  const q = heads(view, qT, [0, 2, 1, 3], shape);
  const k = heads(view, kT, [0, 2, 3, 1], shape);
  // SDPA exports guard fully masked rows: Where(IsNaN(p), 0, p). No row is fully masked ([CLS] is always attended).
  const guard = nanGuard(view, softmax.output[0]);
  const probs = guard ? guard.output : softmax.output[0];
  const pv = only(probs, 'MatMul');
  const vT = pv && pv.input[0] === probs ? p(pv.input[1], 'Transpose') : null;
  const v = vT && heads(view, vT, [0, 2, 1, 3], shape);
  if (!q || !k || !v || !pv || q.x !== k.x || q.x !== v.x) return null;
  const merge = only(pv.output[0], 'Transpose');
  if (!merge || !samePerm(merge, [0, 2, 1, 3])) return null;
  const flat = only(merge.output[0], 'Reshape');
  if (!flat) return null;
  // The mask must be the padding mask: from attention_mask, independent of this layer.
  const maskFrom = view.ancestors(maskTerm);
  if (!maskFrom.has(maskInput) || maskFrom.has(q.x)) return null;
  return {
    q, k, v, scale, output: flat.output[0],
    nodes: [softmax, ...(guard?.nodes ?? []), addMask, qk, ...scaled, qT, kT, vT, pv, merge, flat, ...q.nodes, ...k.nodes, ...v.nodes],
  };
}

/** Transpose(perm) of Reshape(x·W + b) into heads: the projection, if it is one. */
function heads(view: GraphView, t: NodeProtoObject, perm: number[], shape: AttentionShape): Projection | null {
  if (!samePerm(t, perm) || view.consumers(t.output[0]).length !== 1) return null;
  const r = view.producer(t.input[0]);
  if (!r || r.op_type !== 'Reshape' || view.consumers(r.output[0]).length !== 1) return null;
  const target = view.constant(r.input[1]);
  if (target) {
    const dims = (target.raw_data ? Array.from(new BigInt64Array(new Uint8Array(target.raw_data).buffer), Number) : (target.int64_data ?? []).map(Number));
    if (dims.length !== 4 || dims[2] !== shape.numHeads || dims[3] !== shape.hiddenSize / shape.numHeads) return null;
  }
  const add = view.producer(r.input[0]);
  if (!add || add.op_type !== 'Add' || add.domain || view.consumers(add.output[0]).length !== 1) return null;
  const bi = add.input.findIndex((i) => (view.constant(i)?.dims ?? []).map(Number).join() === `${shape.hiddenSize}`);
  const mm = bi >= 0 ? view.producer(add.input[1 - bi]) : undefined;
  if (!mm || mm.op_type !== 'MatMul' || mm.domain || view.consumers(mm.output[0]).length !== 1) return null;
  const w = view.constant(mm.input[1]);
  if (!w || w.data_type !== DataType.FLOAT || (w.dims ?? []).map(Number).join() !== `${shape.hiddenSize},${shape.hiddenSize}`) return null;
  return { x: mm.input[0], weight: mm.input[1], bias: add.input[bi], nodes: [r, add, mm] };
}

/** A Transpose, or Mul(Transpose, scalar): the node and the scalar (1 without the Mul). */
function scaledTranspose(view: GraphView, value: string): { transpose: NodeProtoObject; scale: number; nodes: NodeProtoObject[] } | null {
  const n = view.producer(value);
  if (n?.op_type === 'Transpose' && !n.domain) return { transpose: n, scale: 1, nodes: [] };
  if (n?.op_type !== 'Mul' || n.domain) return null;
  const ci = n.input.findIndex((i) => view.scalar(i) !== undefined);
  const t = ci >= 0 ? view.producer(n.input[1 - ci]) : undefined;
  return t?.op_type === 'Transpose' && !t.domain ? { transpose: t, scale: view.scalar(n.input[ci])!, nodes: [n] } : null;
}

/** Where(IsNaN(p), 0, p) after the softmax, when p has no other reader. */
function nanGuard(view: GraphView, probs: NodeProtoObject['output'][number]): { output: string; nodes: NodeProtoObject[] } | null {
  const readers = view.consumers(probs);
  const isNan = readers.find((n) => n.op_type === 'IsNaN' && !n.domain);
  const where = readers.find((n) => n.op_type === 'Where' && !n.domain);
  if (readers.length !== 2 || !isNan || !where || view.consumers(isNan.output[0]).length !== 1) return null;
  if (where.input[0] !== isNan.output[0] || where.input[2] !== probs || view.scalar(where.input[1]) !== 0) return null;
  return { output: where.output[0], nodes: [isNan, where] };
}

function samePerm(n: NodeProtoObject, perm: number[]): boolean {
  const a = attribute(n, 'perm')?.ints?.map(Number) ?? [];
  return a.join() === perm.join();
}
