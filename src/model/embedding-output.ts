/**
 * Exposes the output of ALBERT's embedding block as a graph output (`--layer embeddings`):
 * word + position + token-type embeddings, LayerNorm, then the E→H projection
 * (`embedding_hidden_mapping_in`), i.e. what the first transformer layer reads. Graphs do
 * not name that tensor as an output, so it is found by the name of the projection's nodes.
 */
import { ModelError } from '../errors.js';
import { attr, OnnxGraphBuilder } from './onnx-graph-builder.js';
import { DataType, defaultOpsetVersion, valueInfoShape, type GraphProtoObject, type ModelProtoObject, type NodeProtoObject } from './onnx-proto.js';

/** The graph output `--layer embeddings` reads: [batch, sequence, hidden], float32. */
export const EMBEDDING_OUTPUT = 'embedding_output';

/**
 * The projection's scope as exporters name it: torch.onnx (`/m/encoder/embedding_hidden_mapping_in/Add`,
 * `/albert/encoder/…`) and our converter (`embeddings/mapping_in/Add_node`).
 */
const PROJECTION = /(?:^|[/.])(?:embedding_hidden_)?mapping_in(?:[/.]|$)/;

/**
 * The name of the tensor the embedding block ends with: the last node of the E→H
 * projection's scope whose output feeds a node outside it. A model that already has an
 * output named {@link EMBEDDING_OUTPUT} needs no search.
 *
 * @throws ModelError `ALB_MODEL_TASK_UNSUPPORTED` when no node is named as a projection, or
 *   none of them feeds the rest of the graph (naming what was looked for)
 */
export function findEmbeddingTensor(model: ModelProtoObject, file = 'model.onnx'): string {
  const nodes = model.graph.node;
  const inScope = (n: NodeProtoObject) => PROJECTION.test(n.name ?? '') || n.output.some((o) => PROJECTION.test(o));
  const scoped = nodes.filter(inScope);
  const consumedOutside = new Set(nodes.filter((n) => !inScope(n)).flatMap((n) => n.input));
  for (let i = scoped.length - 1; i >= 0; i--) {
    const out = scoped[i].output.find((o) => consumedOutside.has(o));
    if (out) return out;
  }
  throw new ModelError(
    'ALB_MODEL_TASK_UNSUPPORTED',
    `${file}: cannot find the output of the embedding block's E→H projection (${scoped.length === 0 ? 'no node is named like embedding_hidden_mapping_in or mapping_in' : `${scoped.length} nodes are named like it, but none feeds the encoder`}); \`--layer embeddings\` needs it. Export the model with the HF module names kept (torch.onnx does), or give it a [batch, sequence, hidden] output named ${EMBEDDING_OUTPUT}; or use --layer last`,
    { file, layer: 'embeddings' },
  );
}

/**
 * Adds the output {@link EMBEDDING_OUTPUT} (cast to float32: an fp16 model computes the
 * projection in float16). Unless `keepOutputs`, it becomes the only output and the encoder
 * after it is dropped from the graph: ONNX Runtime runs every node of a graph whatever the
 * fetches, so kept, the layers would be computed for nothing. A model that has the output
 * already is returned as is.
 *
 * @example
 * ```ts
 * const tapped = encodeOnnxModel(exposeEmbeddingOutput(decodeOnnxModel(bytes)));
 * const { embedding_output } = await session.run(feeds, ['embedding_output']);
 * ```
 */
export function exposeEmbeddingOutput(model: ModelProtoObject, file = 'model.onnx', opts: { keepOutputs?: boolean } = {}): ModelProtoObject {
  const g = model.graph;
  if (g.output.some((o) => o.name === EMBEDDING_OUTPUT)) return model;
  const tensor = findEmbeddingTensor(model, file);
  const hidden = g.output.find((o) => o.name === 'last_hidden_state');
  const H = hidden ? valueInfoShape(hidden).dims[2] ?? 'hidden' : 'hidden';
  const b = new OnnxGraphBuilder({ opset: defaultOpsetVersion(model) });
  b.reserve([...g.node.flatMap((n) => [...n.output, n.name ?? '']), ...g.initializer.map((t) => t.name ?? ''), ...g.input.map((v) => v.name), ...g.output.map((v) => v.name)]);
  const cast = b.scope('embedding_output', () => b.op('Cast', [tensor], { attrs: { to: attr.int(DataType.FLOAT) } }));
  b.op('Identity', [cast], { outputs: [EMBEDDING_OUTPUT] });
  b.output(EMBEDDING_OUTPUT, DataType.FLOAT, ['batch', 'sequence', H]);
  const added = b.parts();
  const tapped = { ...g, node: [...g.node, ...added.nodes], initializer: [...g.initializer, ...added.initializers], output: [...g.output, ...added.outputs] };
  return { ...model, graph: opts.keepOutputs ? tapped : pruneTo(tapped, [EMBEDDING_OUTPUT]) };
}

/**
 * The graph with only `outputs`, and only the nodes, initializers and value infos they
 * need (nodes are in topological order, as ONNX requires). Inputs stay: a session is fed
 * all three. A graph with subgraphs (If, Loop) is left whole: their nodes may read names
 * of this graph that no input lists.
 */
function pruneTo(g: GraphProtoObject, outputs: readonly string[]): GraphProtoObject {
  if (g.node.some((n) => (n.attribute ?? []).some((a) => a.g !== undefined || (Array.isArray(a.graphs) && a.graphs.length > 0)))) return { ...g, output: g.output.filter((o) => outputs.includes(o.name)) };
  const need = new Set(outputs);
  const keep = new Array<boolean>(g.node.length).fill(false);
  for (let i = g.node.length - 1; i >= 0; i--) {
    const n = g.node[i];
    if (!n.output.some((o) => need.has(o))) continue;
    keep[i] = true;
    for (const x of n.input) if (x) need.add(x);
  }
  return {
    ...g,
    node: g.node.filter((_, i) => keep[i]),
    initializer: g.initializer.filter((t) => need.has(t.name ?? '')),
    output: g.output.filter((o) => outputs.includes(o.name)),
    ...(g.value_info ? { value_info: g.value_info.filter((v) => need.has(v.name)) } : {}),
  };
}
