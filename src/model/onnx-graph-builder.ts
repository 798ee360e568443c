/**
 * A small builder for ONNX graphs as plain objects (see onnx-proto.ts): initializers,
 * nodes with typed attributes, graph inputs/outputs, and unique value names.
 */
import { AttributeType, DataType, type AttributeProtoObject, type ModelProtoObject, type NodeProtoObject,
  type TensorProtoObject, type ValueInfoProtoObject } from './onnx-proto.js';
import { ModelError } from '../errors.js';

/** An attribute value with its ONNX type made explicit (1 and 1.0 are the same JS number). */
export type Attr =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'string'; value: string }
  | { kind: 'tensor'; value: TensorProtoObject };

export const attr = {
  int: (value: number): Attr => ({ kind: 'int', value }),
  float: (value: number): Attr => ({ kind: 'float', value }),
  ints: (value: readonly number[]): Attr => ({ kind: 'ints', value }),
  floats: (value: readonly number[]): Attr => ({ kind: 'floats', value }),
  string: (value: string): Attr => ({ kind: 'string', value }),
  tensor: (value: TensorProtoObject): Attr => ({ kind: 'tensor', value }),
};

function toAttributeProto(name: string, a: Attr): AttributeProtoObject {
  switch (a.kind) {
    case 'int': return { name, type: AttributeType.INT, i: a.value };
    case 'float': return { name, type: AttributeType.FLOAT, f: a.value };
    case 'ints': return { name, type: AttributeType.INTS, ints: [...a.value] };
    case 'floats': return { name, type: AttributeType.FLOATS, floats: [...a.value] };
    case 'string': return { name, type: AttributeType.STRING, s: new TextEncoder().encode(a.value) };
    case 'tensor': return { name, type: AttributeType.TENSOR, t: a.value };
  }
}

/** Typed data an initializer can hold; float16 is passed as its raw bit patterns. */
export type TensorData = Float32Array | Uint16Array | Int32Array | BigInt64Array | Uint8Array;

function rawBytes(data: TensorData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

const BYTES_PER_ELEMENT: Record<number, number> = {
  [DataType.FLOAT]: 4, [DataType.FLOAT16]: 2, [DataType.INT32]: 4, [DataType.INT64]: 8, [DataType.BOOL]: 1, [DataType.UINT8]: 1, [DataType.INT8]: 1,
};

/**
 * Builds a tensor proto. Raw data is little-endian; so is every platform Node runs on.
 *
 * @example
 * ```ts
 * tensorProto('scale', DataType.FLOAT, [], new Float32Array([0.125]))
 * ```
 */
export function tensorProto(name: string, dataType: number, dims: readonly number[], data: TensorData): TensorProtoObject {
  const count = dims.reduce((a, b) => a * b, 1);
  const width = BYTES_PER_ELEMENT[dataType];
  if (width === undefined || count * width !== data.byteLength) {
    throw new ModelError('ALB_ONNX_TENSOR', `tensor ${name}: ${data.byteLength} bytes do not fit dims [${dims.join(', ')}] of data type ${dataType}`, { name });
  }
  return { name, data_type: dataType, dims: [...dims], raw_data: rawBytes(data) };
}

export interface NodeOptions {
  /** Output names, or how many outputs to name automatically (default 1). */
  outputs?: readonly string[] | number;
  attrs?: Record<string, Attr>;
  domain?: string;
  name?: string;
  /** The output names are those of nodes a rewrite removes (see GraphView): taken already, and meant to be. */
  replaces?: boolean;
}

export interface OnnxGraphBuilderOptions {
  graphName?: string;
  /** Default-domain opset (default 17). */
  opset?: number;
  /** Extra opset imports, e.g. `{ 'com.microsoft': 1 }`. */
  extraOpsets?: Record<string, number>;
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
}

/**
 * Accumulates nodes and initializers, then builds a `ModelProtoObject`.
 *
 * @example
 * ```ts
 * const b = new OnnxGraphBuilder({ opset: 17 });
 * b.input('x', DataType.FLOAT, ['batch', 4]);
 * const w = b.initializer('w', DataType.FLOAT, [4, 2], new Float32Array(8));
 * b.output(b.op('MatMul', ['x', w], { outputs: ['y'] }), DataType.FLOAT, ['batch', 2]);
 * const bytes = encodeOnnxModel(b.build());
 * ```
 */
export class OnnxGraphBuilder {
  private readonly nodes: NodeProtoObject[] = [];
  private readonly initializers = new Map<string, TensorProtoObject>();
  private readonly inputs: ValueInfoProtoObject[] = [];
  private readonly outputs: ValueInfoProtoObject[] = [];
  private readonly used = new Set<string>();
  private readonly constants = new Map<string, string>();
  private scopes: string[] = [];
  private counter = 0;
  readonly opset: number;

  constructor(private readonly options: OnnxGraphBuilderOptions = {}) {
    this.opset = options.opset ?? 17;
  }

  /** Runs `fn` with value and node names prefixed by `name/`. */
  scope<T>(name: string, fn: () => T): T {
    this.scopes.push(name);
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  /** A value name not used yet, under the current scope. */
  fresh(hint: string): string {
    const base = [...this.scopes, hint].join('/');
    let name = base;
    while (this.used.has(name)) name = `${base}_${++this.counter}`;
    this.used.add(name);
    return name;
  }

  input(name: string, elemType: number, dims: ReadonlyArray<number | string>): string {
    this.claim(name);
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  output(name: string, elemType: number, dims: ReadonlyArray<number | string>): string {
    this.outputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  /** Adds an initializer under an exact name (stored once, however often it is used). */
  initializer(name: string, dataType: number, dims: readonly number[], data: TensorData): string {
    this.claim(name);
    this.initializers.set(name, tensorProto(name, dataType, dims, data));
    return name;
  }

  /** An initializer under a fresh name from `hint` (in the current scope); returns the name. */
  freshInitializer(hint: string, dataType: number, dims: readonly number[], data: TensorData): string {
    const name = this.fresh(hint);
    this.initializers.set(name, tensorProto(name, dataType, dims, data));
    return name;
  }

  /** A small constant initializer, shared by every use of the same value. */
  constant(dataType: number, dims: readonly number[], data: TensorData, hint = 'const'): string {
    const key = `${dataType}|${dims.join(',')}|${Buffer.from(rawBytes(data)).toString('base64')}`;
    const found = this.constants.get(key);
    if (found) return found;
    const saved = this.scopes;
    this.scopes = [];
    const name = this.fresh(`const/${hint}`);
    this.scopes = saved;
    this.initializers.set(name, tensorProto(name, dataType, dims, data));
    this.constants.set(key, name);
    return name;
  }

  int64s(values: readonly number[], scalar = false): string {
    return this.constant(DataType.INT64, scalar ? [] : [values.length], BigInt64Array.from(values.map(BigInt)), 'i64');
  }

  float32(value: number): string {
    return this.constant(DataType.FLOAT, [], new Float32Array([value]), 'f32');
  }

  /** Adds a node and returns its output names. */
  node(opType: string, inputs: readonly string[], opts: NodeOptions = {}): string[] {
    const outs = typeof opts.outputs === 'object'
      // '' is ONNX's "optional output not wanted": not a name, so never claimed.
      ? opts.outputs.map((n) => { if (n !== '' && !opts.replaces) this.claim(n); return n; })
      : Array.from({ length: opts.outputs ?? 1 }, (_, i) => this.fresh(i === 0 ? opType : `${opType}_out${i}`));
    const node: NodeProtoObject = {
      input: [...inputs],
      output: outs,
      name: opts.name ?? this.fresh(`${opType}_node`),
      op_type: opType,
    };
    if (opts.domain) node.domain = opts.domain;
    if (opts.attrs) node.attribute = Object.entries(opts.attrs).map(([k, v]) => toAttributeProto(k, v));
    this.nodes.push(node);
    return outs;
  }

  /** Adds a single-output node and returns the output name. */
  op(opType: string, inputs: readonly string[], opts: NodeOptions = {}): string {
    return this.node(opType, inputs, opts)[0];
  }

  /** Marks names of an existing graph as taken, before appending nodes to it. */
  reserve(names: Iterable<string>): void {
    for (const n of names) this.used.add(n);
  }

  /** What was added so far, for merging into an existing model (see pooling-graph.ts). */
  parts(): { nodes: NodeProtoObject[]; initializers: TensorProtoObject[]; inputs: ValueInfoProtoObject[]; outputs: ValueInfoProtoObject[] } {
    return { nodes: [...this.nodes], initializers: [...this.initializers.values()], inputs: [...this.inputs], outputs: [...this.outputs] };
  }

  build(): ModelProtoObject {
    const o = this.options;
    const opsets = [{ domain: '', version: this.opset }, ...Object.entries(o.extraOpsets ?? {}).map(([domain, version]) => ({ domain, version }))];
    return {
      // IR 8 is what opset 17 models carry; ORT 1.14+ reads it.
      ir_version: o.irVersion ?? 8,
      opset_import: opsets,
      producer_name: o.producerName ?? 'albert-pipeline',
      producer_version: o.producerVersion ?? '0.1.0',
      graph: {
        name: o.graphName ?? 'main',
        node: this.nodes,
        initializer: [...this.initializers.values()],
        input: this.inputs,
        output: this.outputs,
      },
    };
  }

  private claim(name: string): void {
    if (this.used.has(name)) throw new ModelError('ALB_ONNX_DUPLICATE_NAME', `ONNX value name ${JSON.stringify(name)} is used twice`, { name });
    this.used.add(name);
  }
}

/**
 * A tensor graph input/output description; string dims are symbolic (dynamic).
 *
 * @example
 * ```ts
 * valueInfo('input_ids', DataType.INT64, ['batch', 'sequence']);
 * ```
 */
export function valueInfo(name: string, elemType: number, dims: ReadonlyArray<number | string>): ValueInfoProtoObject {
  return {
    name,
    type: {
      tensor_type: {
        elem_type: elemType,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dim_param: d } : { dim_value: d })) },
      },
    },
  };
}
