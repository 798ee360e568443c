import { readFile } from 'node:fs/promises';
import { ModelError } from '../errors.js';
import { decodeOnnxModel, encodeOnnxModel } from '../model/onnx-proto.js';
import { EMBEDDING_OUTPUT, exposeEmbeddingOutput } from '../model/embedding-output.js';
import { appendPoolingToModel } from '../model/pooling-graph.js';
import type { WorkerSetup } from './protocol.js';

/**
 * What the session is created from: the model file as is, or its bytes with pooling (and
 * normalization) appended to the graph, so that only B x H floats leave the session: on a
 * GPU, copying the B x S x H hidden state back to the host costs more than the model.
 * With `--layer embeddings`, the embedding block's output becomes a graph output first
 * (and what pooling reads).
 */
export async function loadSessionModel(setup: WorkerSetup): Promise<string | Uint8Array> {
  const embeddings = setup.layer === 'embeddings';
  if (!setup.graphPooling && !embeddings) return setup.modelPath;
  // Decoded outside the try: a file that does not parse is ALB_ONNX_INVALID whatever the
  // pooling (as createSession reports it for pooler), not a model that lacks an output.
  let model = decodeOnnxModel(new Uint8Array(await readFile(setup.modelPath)), setup.modelPath);
  if (embeddings) model = exposeEmbeddingOutput(model, setup.modelPath);
  if (!setup.graphPooling) return encodeOnnxModel(model);
  try {
    return encodeOnnxModel(appendPoolingToModel(model, { pooling: setup.graphPooling.pooling, normalize: setup.graphPooling.normalize, hiddenOutput: embeddings ? EMBEDDING_OUTPUT : undefined }));
  } catch (err) {
    throw new ModelError('ALB_MODEL_TASK_UNSUPPORTED', `${setup.modelPath}: cannot append ${setup.graphPooling.pooling} pooling to the graph: ${(err as Error).message}`, { file: setup.modelPath });
  }
}
