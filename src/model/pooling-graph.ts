/**
 * Appends sentence pooling to an encoder's ONNX graph, so a session returns
 * [batch, hidden] embeddings instead of copying [batch, sequence, hidden] states out.
 */
import { ModelError, OptionError, describe } from '../errors.js';
import { attr, OnnxGraphBuilder } from './onnx-graph-builder.js';
import { DataType, decodeOnnxModel, defaultOpsetVersion, encodeOnnxModel, valueInfoShape, type ModelProtoObject } from './onnx-proto.js';

export type PoolingMode = 'mean' | 'max' | 'cls';

export interface PoolingOptions {
  pooling?: PoolingMode;
  /** L2-normalize the pooled vector: x / max(‖x‖, 1e-12). */
  normalize?: boolean;
  /** The [batch, sequence, hidden] output to pool (default `last_hidden_state`). */
  hiddenOutput?: string;
  /** The [batch, sequence] int mask input (default `attention_mask`). */
  maskInput?: string;
  /** Name of the new output (default `sentence_embedding`). */
  outputName?: string;
  /** Keep the model's other outputs (default true); fetching only the new one still skips their copy. */
  keepOutputs?: boolean;
}

export interface ResolvedPoolingOptions {
  readonly pooling: PoolingMode;
  readonly normalize: boolean;
  readonly hiddenOutput: string;
  readonly maskInput: string;
  readonly outputName: string;
  readonly keepOutputs: boolean;
}

/**
 * Resolves pooling options once, with their defaults.
 *
 * @example
 * ```ts
 * resolvePoolingOptions({ pooling: 'cls' }).outputName; // 'sentence_embedding'
 * ```
 */
export function resolvePoolingOptions(opts: PoolingOptions = {}): ResolvedPoolingOptions {
  const pooling = opts.pooling ?? 'mean';
  if (!['mean', 'max', 'cls'].includes(pooling)) {
    throw new OptionError('ALB_OPTION_INVALID', `option pooling: expected mean, max or cls, got ${describe(pooling)}`, { option: 'pooling' });
  }
  return Object.freeze({
    pooling,
    normalize: opts.normalize ?? false,
    hiddenOutput: opts.hiddenOutput ?? 'last_hidden_state',
    maskInput: opts.maskInput ?? 'attention_mask',
    outputName: opts.outputName ?? 'sentence_embedding',
    keepOutputs: opts.keepOutputs ?? true,
  });
}

// sentence-transformers' fill value for padded positions under max pooling.
const MAX_POOL_FILL = -1e9;

/**
 * Decodes a model, appends pooling nodes (see {@link appendPoolingToModel}) and encodes it.
 *
 * @example
 * ```ts
 * const pooled = appendPooling(await readFile('model.onnx'), { pooling: 'mean', normalize: true });
 * const session = await InferenceSession.create(pooled);
 * const { sentence_embedding } = await session.run(feeds, ['sentence_embedding']);
 * ```
 */
export function appendPooling(modelBytes: Uint8Array, opts: PoolingOptions = {}): Uint8Array {
  return encodeOnnxModel(appendPoolingToModel(decodeOnnxModel(modelBytes), opts));
}

/**
 * Adds a float32 output `[batch, hidden]`: mean = Σ h·m / max(Σ m, 1e-9) (mask-weighted,
 * as sentence-transformers), max = max over positions with m = 1 (others set to -1e9),
 * cls = h[:, 0, :]; then optional L2 normalization. A float16 hidden output is cast to
 * float32 first, so fp16 models pool in float32.
 *
 * @throws ModelError `ALB_POOLING_GRAPH` when the hidden output or mask input is missing or of the wrong rank,
 *   or the model's opset is older than 13
 */
export function appendPoolingToModel(model: ModelProtoObject, opts: PoolingOptions = {}): ModelProtoObject {
  const o = resolvePoolingOptions(opts);
  const g = model.graph;
  const fail = (what: string): never => {
    throw new ModelError('ALB_POOLING_GRAPH', `cannot append ${o.pooling} pooling: ${what}`, { hiddenOutput: o.hiddenOutput });
  };
  const hiddenInfo = g.output.find((v) => v.name === o.hiddenOutput) ??
    fail(`the model has no output ${JSON.stringify(o.hiddenOutput)} (outputs: ${g.output.map((v) => v.name).join(', ')})`);
  const hidden = valueInfoShape(hiddenInfo);
  if (hidden.dims.length !== 3) fail(`output ${o.hiddenOutput} has rank ${hidden.dims.length}, expected [batch, sequence, hidden]`);
  if (![DataType.FLOAT, DataType.FLOAT16, DataType.DOUBLE, DataType.BFLOAT16].includes(hidden.elemType as 1)) {
    fail(`output ${o.hiddenOutput} has element type ${hidden.elemType}, expected a float type`);
  }
  if (o.pooling !== 'cls' && !g.input.some((v) => v.name === o.maskInput)) {
    fail(`the model has no input ${JSON.stringify(o.maskInput)} (inputs: ${g.input.map((v) => v.name).join(', ')})`);
  }
  if (g.output.some((v) => v.name === o.outputName)) fail(`the model already has an output ${JSON.stringify(o.outputName)}`);
  const opset = defaultOpsetVersion(model);
  if (opset < 13) fail(`the model imports opset ${opset}; pooling needs opset 13 or newer`);

  const b = new OnnxGraphBuilder({ opset });
  b.reserve([...g.node.flatMap((n) => [...n.output, n.name ?? '']), ...g.initializer.map((t) => t.name ?? ''), ...g.input.map((v) => v.name), ...g.output.map((v) => v.name)]);
  // ReduceMax and ReduceL2 took `axes` as an attribute before opset 18, as an input since.
  const reduce = (op: string, x: string, axes: number[], keepdims: number): string => (op === 'ReduceSum' || opset >= 18
    ? b.op(op, [x, b.int64s(axes)], { attrs: { keepdims: attr.int(keepdims) } })
    : b.op(op, [x], { attrs: { axes: attr.ints(axes), keepdims: attr.int(keepdims) } }));

  const pooled = b.scope('pooling', () => {
    const h = hidden.elemType === DataType.FLOAT ? o.hiddenOutput : b.op('Cast', [o.hiddenOutput], { attrs: { to: attr.int(DataType.FLOAT) } });
    let x: string;
    if (o.pooling === 'cls') {
      x = b.op('Gather', [h, b.int64s([0], true)], { attrs: { axis: attr.int(1) } });
    } else {
      const m = b.op('Cast', [o.maskInput], { attrs: { to: attr.int(DataType.FLOAT) } });
      const m3 = b.op('Unsqueeze', [m, b.int64s([2])]);
      if (o.pooling === 'mean') {
        const sum = reduce('ReduceSum', b.op('Mul', [h, m3]), [1], 0);
        const count = b.op('Max', [reduce('ReduceSum', m, [1], 1), b.float32(1e-9)]);
        x = b.op('Div', [sum, count]);
      } else {
        const keep = b.op('Cast', [m3], { attrs: { to: attr.int(DataType.BOOL) } });
        x = reduce('ReduceMax', b.op('Where', [keep, h, b.float32(MAX_POOL_FILL)]), [1], 0);
      }
    }
    if (o.normalize) x = b.op('Div', [x, b.op('Max', [reduce('ReduceL2', x, [1], 1), b.float32(1e-12)])]);
    return x;
  });
  b.op('Identity', [pooled], { outputs: [o.outputName] });
  b.output(o.outputName, DataType.FLOAT, [hidden.dims[0], hidden.dims[2]]);

  const added = b.parts();
  return {
    ...model,
    graph: {
      ...g,
      node: [...g.node, ...added.nodes],
      initializer: [...g.initializer, ...added.initializers],
      output: [...(o.keepOutputs ? g.output : []), ...added.outputs],
    },
  };
}
