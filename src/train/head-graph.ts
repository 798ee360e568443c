/**
 * Appends pooling, standardization and a trained head to an encoder's ONNX graph, so the
 * model folder `albert train-head` writes is a classifier `albert label` runs as is: only
 * [batch, k] logits leave the session.
 */
import { OnnxGraphBuilder } from '../model/onnx-graph-builder.js';
import { DataType, decodeOnnxModel, defaultOpsetVersion, encodeOnnxModel, type ModelProtoObject } from '../model/onnx-proto.js';
import { appendPoolingToModel, type PoolingMode } from '../model/pooling-graph.js';
import type { TrainedHead } from './trained-head.js';

export interface HeadGraphOptions {
  pooling: PoolingMode;
  normalize: boolean;
  /** Name of the graph's one output (default `logits`, what the label task fetches). */
  outputName?: string;
}

/**
 * The encoder graph with `sentence_embedding` pooled as `albert embed` pools it, then
 * `(x - mean) / std`, then the head's MatMul/Add (and ReLU), ending in `logits`. The
 * encoder's own outputs are dropped, so the session computes nothing else.
 *
 * @example
 * ```ts
 * const bytes = appendHead(await readFile('models/albert-mini/model.onnx'), fit.head, { pooling: 'mean', normalize: true });
 * ```
 */
export function appendHead(modelBytes: Uint8Array, head: TrainedHead, o: HeadGraphOptions, source = '<bytes>'): Uint8Array {
  return encodeOnnxModel(appendHeadToModel(decodeOnnxModel(modelBytes, source), head, o));
}

export function appendHeadToModel(model: ModelProtoObject, head: TrainedHead, o: HeadGraphOptions): ModelProtoObject {
  const pooled = appendPoolingToModel(model, { pooling: o.pooling, normalize: o.normalize, keepOutputs: false, outputName: 'sentence_embedding' });
  const g = pooled.graph;
  const { d, hidden, k } = head.shape;
  const p = head.params;
  const b = new OnnxGraphBuilder({ opset: defaultOpsetVersion(pooled) });
  b.reserve([...g.node.flatMap((n) => [...n.output, n.name ?? '']), ...g.initializer.map((t) => t.name ?? ''), ...g.input.map((v) => v.name), ...g.output.map((v) => v.name)]);
  const out = o.outputName ?? 'logits';
  const logits = b.scope('head', () => {
    const mean = b.initializer('head/mean', DataType.FLOAT, [d], head.standardizer.mean);
    const std = b.initializer('head/std', DataType.FLOAT, [d], head.standardizer.std);
    const z = b.op('Div', [b.op('Sub', ['sentence_embedding', mean]), std]);
    const dense = (x: string, name: string, at: number, rows: number, cols: number) => {
      const w = b.initializer(`head/${name}/weight`, DataType.FLOAT, [rows, cols], p.slice(at, at + rows * cols));
      const bias = b.initializer(`head/${name}/bias`, DataType.FLOAT, [cols], p.slice(at + rows * cols, at + rows * cols + cols));
      return b.op('Add', [b.op('MatMul', [x, w]), bias]);
    };
    if (hidden === 0) return dense(z, 'linear', 0, d, k);
    const h = b.op('Relu', [dense(z, 'hidden', 0, d, hidden)]);
    return dense(h, 'output', d * hidden + hidden, hidden, k);
  });
  b.op('Identity', [logits], { outputs: [out] });
  const batchDim = g.output[0].type?.tensor_type?.shape?.dim?.[0]?.dim_param ?? 'batch';
  b.output(out, DataType.FLOAT, [batchDim, k]);
  const added = b.parts();
  return {
    ...pooled,
    graph: { ...g, node: [...g.node, ...added.nodes], initializer: [...g.initializer, ...added.initializers], output: added.outputs },
  };
}
