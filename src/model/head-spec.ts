/**
 * What a worker does with a session's outputs before anything leaves the worker thread:
 * plain data, so it travels in `workerData`. Only the columns a task writes come back.
 */
export type Pooling = 'mean' | 'cls' | 'max' | 'pooler';

export interface PoolHead {
  kind: 'pool';
  pooling: Pooling;
  normalize: boolean;
  /**
   * ONNX output to fetch: `pooler_output` for `pooler`, `last_hidden_state` when pooling
   * runs in the worker, or `sentence_embedding` when pooling was appended to the graph.
   */
  output: string;
  /** True when `output` is already pooled (and normalized, if asked) by the graph. */
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
