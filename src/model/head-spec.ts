/**
 * What a worker does with a session's outputs before anything leaves the worker thread:
 * plain data, so it travels in `workerData`. Only the columns a task writes come back.
 */
export type Pooling = 'mean' | 'cls' | 'max' | 'pooler';

export interface PoolHead {
  kind: 'pool';
  pooling: Pooling;
  normalize: boolean;
  /** ONNX output to fetch: `pooler_output` for `pooler`, else `sentence_embedding` (appended to the graph). */
  output: string;
  /** True when the graph also normalized `output` (if asked); `pooler_output` is normalized in the worker. */
  pooledInGraph: boolean;
}

export interface ClassifyHead {
  kind: 'classify';
  output: string;
  activation: 'softmax' | 'sigmoid';
}

export interface MaskedLmHead {
  kind: 'mlm';
  output: string;
  topK: number;
  maskId: number;
}

export type HeadSpec = PoolHead | ClassifyHead | MaskedLmHead;
