/**
 * An editable, indexed view of a decoded ONNX graph for rewrite passes (fusion, int8,
 * float16): who produces and who consumes each value, which values are constants (an
 * initializer, a Constant node, or either behind Identity aliases, as torch exports share
 * ALBERT's layer weights), and the few edits the passes make. Pure: no fs, no runtime.
 */
import { ModelError } from '../errors.js';
import { toFloat16Array } from './half-float.js';
import { OnnxGraphBuilder } from './onnx-graph-builder.js';
import { DataType, type AttributeProtoObject, type ModelProtoObject, type NodeProtoObject, type TensorProtoObject } from './onnx-proto.js';

/**
 * The float32 values of a FLOAT tensor (raw_data or float_data), as a fresh array.
 *
 * @throws ModelError `ALB_ONNX_TENSOR` for another data type or external data
 * @example
 * ```ts
 * tensorFloats(view.constant('onnx::MatMul_679')!); // Float32Array(65536)
 * ```
 */
export function tensorFloats(t: TensorProtoObject): Float32Array {
  if (t.data_type !== DataType.FLOAT) throw new ModelError('ALB_ONNX_TENSOR', `tensor ${t.name ?? '?'}: data type ${t.data_type}, expected float32`, { name: t.name });
  if (t.data_location === 1) throw new ModelError('ALB_ONNX_TENSOR', `tensor ${t.name ?? '?'} keeps its data in an external file, which is not read`, { name: t.name });
  const count = (t.dims ?? []).reduce((a, b) => a * Number(b), 1);
  if (t.raw_data && t.raw_data.byteLength > 0) {
    const copy = new Uint8Array(t.raw_data);
    if (copy.byteLength !== count * 4) throw new ModelError('ALB_ONNX_TENSOR', `tensor ${t.name ?? '?'}: ${copy.byteLength} bytes for ${count} floats`, { name: t.name });
    return new Float32Array(copy.buffer, 0, count);
  }
  const data = Float32Array.from(t.float_data ?? []);
  if (data.length !== count) throw new ModelError('ALB_ONNX_TENSOR', `tensor ${t.name ?? '?'}: ${data.length} values for ${count} elements`, { name: t.name });
  return data;
}

/** A float32 tensor rounded to float16, clamped to ±65504 first (float32's min as a mask value must not become -inf · 0 = NaN). */
export function toFloat16Tensor(t: TensorProtoObject, name = t.name ?? ''): TensorProtoObject {
  const f = tensorFloats(t).map((v) => Math.max(-65504, Math.min(65504, v)));
  const h = toFloat16Array(f);
  return { name, data_type: DataType.FLOAT16, dims: [...(t.dims ?? []).map(Number)], raw_data: new Uint8Array(h.buffer, h.byteOffset, h.byteLength) };
}

export function attribute(node: NodeProtoObject, name: string): AttributeProtoObject | undefined {
  return node.attribute?.find((a) => a.name === name);
}

export function intAttribute(node: NodeProtoObject, name: string, fallback: number): number {
  const a = attribute(node, name);
  return a?.i === undefined ? fallback : Number(a.i);
}

/**
 * The graph, indexed. Edits go through {@link remove}, {@link add} and {@link rename}; the
 * indexes follow. {@link build} prunes what no output needs and sorts the nodes.
 *
 * @example
 * ```ts
 * const view = new GraphView(decodeOnnxModel(bytes));
 * const w = view.constant(matmul.input[1]);   // a shared weight, through its Identity alias
 * view.remove([matmul]); view.add(newNodes, newInitializers);
 * const model = view.build();
 * ```
 */
export class GraphView {
  private nodes: NodeProtoObject[];
  private readonly inits = new Map<string, TensorProtoObject>();
  private producers = new Map<string, NodeProtoObject>();
  private consumerIndex = new Map<string, NodeProtoObject[]>();
  private readonly outputs: Set<string>;
  private readonly extraOpsets = new Map<string, number>();

  constructor(private readonly model: ModelProtoObject) {
    this.nodes = [...model.graph.node];
    for (const t of model.graph.initializer) this.inits.set(t.name ?? '', t);
    this.outputs = new Set(model.graph.output.map((o) => o.name));
    this.reindex();
  }

  /** The nodes in their current order (a copy). */
  all(): NodeProtoObject[] {
    return [...this.nodes];
  }

  producer(value: string): NodeProtoObject | undefined {
    return this.producers.get(value);
  }

  consumers(value: string): NodeProtoObject[] {
    return this.consumerIndex.get(value) ?? [];
  }

  isGraphOutput(value: string): boolean {
    return this.outputs.has(value);
  }

  isGraphInput(value: string): boolean {
    return this.model.graph.input.some((i) => i.name === value);
  }

  initializer(name: string): TensorProtoObject | undefined {
    return this.inits.get(name);
  }

  /** The name behind Identity aliases: torch exports give each use of a shared weight its own Identity. */
  alias(value: string): string {
    let v = value;
    for (let p = this.producers.get(v); p?.op_type === 'Identity' && !this.outputs.has(v); p = this.producers.get(v)) v = p.input[0];
    return v;
  }

  /** The constant tensor a value is (initializer or Constant node, through Identity), or undefined. */
  constant(value: string): TensorProtoObject | undefined {
    const v = this.alias(value);
    const init = this.inits.get(v);
    if (init) return init;
    const p = this.producers.get(v);
    if (p?.op_type === 'Constant' && !p.domain) return attribute(p, 'value')?.t;
    return undefined;
  }

  /** A constant's values as float32 when it is a float32 tensor. */
  floats(value: string): Float32Array | undefined {
    const t = this.constant(value);
    return t?.data_type === DataType.FLOAT ? tensorFloats(t) : undefined;
  }

  /** A scalar float constant (a 1-element tensor), or undefined. */
  scalar(value: string): number | undefined {
    const f = this.floats(value);
    return f?.length === 1 ? f[0] : undefined;
  }

  /** Every value upstream of `value` (itself included), stopping at graph inputs and constants. */
  ancestors(value: string): Set<string> {
    const seen = new Set<string>();
    const stack = [value];
    while (stack.length > 0) {
      const v = stack.pop()!;
      if (seen.has(v)) continue;
      seen.add(v);
      for (const i of this.producers.get(v)?.input ?? []) if (i) stack.push(i);
    }
    return seen;
  }

  /** A builder whose fresh names cannot clash with this graph's, for the nodes a pass adds. */
  builder(): OnnxGraphBuilder {
    const b = new OnnxGraphBuilder();
    b.reserve([...this.nodes.flatMap((n) => [...n.output, ...n.input, n.name ?? '']), ...this.inits.keys(), ...this.model.graph.input.map((i) => i.name)]);
    return b;
  }

  /** Adds what a builder made (its nodes and initializers), and the opset of any domain they use. */
  addFrom(b: OnnxGraphBuilder): void {
    const parts = b.parts();
    this.add(parts.nodes, parts.initializers);
  }

  add(nodes: readonly NodeProtoObject[], initializers: readonly TensorProtoObject[] = []): void {
    for (const t of initializers) this.inits.set(t.name ?? '', t);
    for (const n of nodes) {
      if (n.domain && n.domain !== 'ai.onnx') this.extraOpsets.set(n.domain, 1);
      this.nodes.push(n);
    }
    this.reindex();
  }

  remove(nodes: Iterable<NodeProtoObject>): void {
    const gone = new Set(nodes);
    this.nodes = this.nodes.filter((n) => !gone.has(n));
    this.reindex();
  }

  /** Points every consumer (and a graph output) of `from` at `to`. */
  rename(from: string, to: string): void {
    for (const n of this.nodes) n.input = n.input.map((i) => (i === from ? to : i));
    this.reindex();
  }

  /** Replaces an initializer (same name) or adds it. */
  setInitializer(t: TensorProtoObject): void {
    this.inits.set(t.name ?? '', t);
  }

  /**
   * The model: nodes that no graph output needs are dropped (what a fusion left behind),
   * then the initializers no node reads; the nodes are put in topological order; the
   * contrib domains used are imported; stale value_info is dropped (ORT infers it again).
   */
  build(): ModelProtoObject {
    const needed = new Set<string>(this.outputs);
    const byOutput = this.producers;
    const stack = [...this.outputs];
    while (stack.length > 0) {
      const p = byOutput.get(stack.pop()!);
      if (!p) continue;
      for (const i of p.input) {
        if (i && !needed.has(i)) {
          needed.add(i);
          stack.push(i);
        }
      }
    }
    const kept = this.nodes.filter((n) => n.output.some((o) => needed.has(o)));
    const used = new Set(kept.flatMap((n) => n.input));
    const initializer = [...this.inits.values()].filter((t) => used.has(t.name ?? '') || this.outputs.has(t.name ?? ''));
    const opsets = [...this.model.opset_import];
    for (const [domain, version] of this.extraOpsets) if (!opsets.some((o) => o.domain === domain)) opsets.push({ domain, version });
    const { value_info: _stale, ...graph } = this.model.graph;
    return { ...this.model, opset_import: opsets, graph: { ...graph, node: topologicalOrder(kept, initializer, this.model.graph.input.map((i) => i.name)), initializer } };
  }

  private reindex(): void {
    this.producers = new Map();
    this.consumerIndex = new Map();
    for (const n of this.nodes) {
      for (const o of n.output) if (o) this.producers.set(o, n);
      for (const i of n.input) {
        if (!i) continue;
        const list = this.consumerIndex.get(i);
        if (list) list.push(n);
        else this.consumerIndex.set(i, [n]);
      }
    }
  }
}

/** Kahn's order, stable for nodes already in order; a cycle is a bug in a pass. */
function topologicalOrder(nodes: NodeProtoObject[], initializers: TensorProtoObject[], inputs: string[]): NodeProtoObject[] {
  const ready = new Set<string>([...initializers.map((t) => t.name ?? ''), ...inputs, '']);
  const out: NodeProtoObject[] = [];
  let pending = nodes;
  while (pending.length > 0) {
    const next: NodeProtoObject[] = [];
    for (const n of pending) {
      if (n.input.every((i) => ready.has(i))) {
        out.push(n);
        for (const o of n.output) ready.add(o);
      } else {
        next.push(n);
      }
    }
    if (next.length === pending.length) {
      throw new ModelError('ALB_ONNX_ENCODE', `the rewritten graph has ${next.length} node(s) whose inputs are never produced (first: ${next[0].op_type} ${next[0].name ?? ''} needs ${next[0].input.filter((i) => !ready.has(i)).join(', ')})`);
    }
    pending = next;
  }
  return out;
}

/**
 * Op histogram of a model (`com.microsoft:Attention` for contrib ops), for `albert inspect`
 * and the checks that a fusion happened.
 *
 * @example
 * ```ts
 * opHistogram(model)['com.microsoft:SkipLayerNormalization']; // 12
 * ```
 */
export function opHistogram(model: ModelProtoObject): Record<string, number> {
  const h: Record<string, number> = {};
  for (const n of model.graph.node) {
    const key = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}:${n.op_type}` : n.op_type;
    h[key] = (h[key] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(h).sort(([a], [b]) => a.localeCompare(b)));
}
