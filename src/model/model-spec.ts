import { ModelError } from '../errors.js';

/** An ONNX graph input or output as ONNX Runtime reports it. */
export interface OnnxIo {
  name: string;
  type: string;
  shape: ReadonlyArray<number | string>;
}

/** What the pipeline needs to know of an HF `config.json`. */
export interface ModelConfig {
  architectures: readonly string[];
  modelType: string;
  hiddenSize: number;
  embeddingSize: number;
  maxPositions: number;
  vocabSize: number;
  /** Label names by class index, from `id2label`; `null` when the config has none. */
  labels: readonly string[] | null;
}

/** A model folder as the pipeline sees it: config, ONNX inputs/outputs and identity. */
export interface ModelSpec extends ModelConfig {
  /** The folder's base name, e.g. `albert-mini`. */
  name: string;
  onnxSha256: string;
  inputs: readonly OnnxIo[];
  outputs: readonly OnnxIo[];
}

export const REQUIRED_INPUTS = ['input_ids', 'attention_mask', 'token_type_ids'] as const;

/**
 * Reads the parts of an HF `config.json` the pipeline uses, checking each.
 *
 * @example
 * ```ts
 * const cfg = parseModelConfig(JSON.parse(text), 'models/albert-mini/config.json');
 * cfg.hiddenSize; // 256
 * ```
 */
export function parseModelConfig(json: unknown, file: string): ModelConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ModelError('ALB_MODEL_CONFIG_INVALID', `${file}: expected a JSON object`, { file });
  }
  const c = json as Record<string, unknown>;
  const int = (key: string, fallback?: number): number => {
    const v = c[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
      throw new ModelError('ALB_MODEL_CONFIG_INVALID', `${file}: "${key}" must be a positive integer, got ${JSON.stringify(v)}`, { file, key });
    }
    return v;
  };
  const hiddenSize = int('hidden_size');
  return Object.freeze({
    architectures: Object.freeze(Array.isArray(c.architectures) ? c.architectures.map(String) : []),
    modelType: typeof c.model_type === 'string' ? c.model_type : 'albert',
    hiddenSize,
    embeddingSize: int('embedding_size', hiddenSize),
    maxPositions: int('max_position_embeddings', 512),
    vocabSize: int('vocab_size'),
    labels: parseLabels(c.id2label, file),
  });
}

function parseLabels(id2label: unknown, file: string): readonly string[] | null {
  if (id2label === undefined || id2label === null) return null;
  if (typeof id2label !== 'object') {
    throw new ModelError('ALB_MODEL_CONFIG_INVALID', `${file}: "id2label" must be an object`, { file, key: 'id2label' });
  }
  const entries = Object.entries(id2label as Record<string, unknown>);
  const labels = new Array<string>(entries.length);
  for (const [k, v] of entries) {
    const i = Number(k);
    if (!Number.isInteger(i) || i < 0 || i >= entries.length || typeof v !== 'string') {
      throw new ModelError('ALB_MODEL_CONFIG_INVALID', `${file}: "id2label" must map 0..${entries.length - 1} to names, got ${JSON.stringify(k)}: ${JSON.stringify(v)}`, { file, key: 'id2label' });
    }
    labels[i] = v;
  }
  return Object.freeze(labels);
}

/** Throws `ALB_MODEL_IO_MISMATCH` unless the graph takes ALBERT's three int64 inputs. */
export function checkModelInputs(spec: Pick<ModelSpec, 'name' | 'inputs'>): void {
  const byName = new Map(spec.inputs.map((i) => [i.name, i]));
  const problems: string[] = [];
  for (const name of REQUIRED_INPUTS) {
    const io = byName.get(name);
    if (!io) problems.push(`missing input ${name}`);
    else if (io.type !== 'int64') problems.push(`input ${name} is ${io.type}, not int64`);
  }
  for (const io of spec.inputs) {
    if (!(REQUIRED_INPUTS as readonly string[]).includes(io.name)) problems.push(`unexpected input ${io.name}`);
  }
  if (problems.length > 0) {
    throw new ModelError(
      'ALB_MODEL_IO_MISMATCH',
      `model ${spec.name}: ${problems.join('; ')}; ALBERT models take int64 input_ids, attention_mask and token_type_ids (model has inputs [${spec.inputs.map((i) => `${i.name}:${i.type}`).join(', ')}])`,
      { model: spec.name, inputs: spec.inputs.map((i) => i.name) },
    );
  }
}

/** Throws `ALB_MODEL_TASK_UNSUPPORTED`, naming what the model has, unless it has `output`. */
export function requireOutput(spec: Pick<ModelSpec, 'name' | 'outputs'>, task: string, output: string, hint = ''): OnnxIo {
  const io = spec.outputs.find((o) => o.name === output);
  if (!io) {
    throw new ModelError(
      'ALB_MODEL_TASK_UNSUPPORTED',
      `model ${spec.name} has outputs [${spec.outputs.map((o) => o.name).join(', ')}]; \`${task}\` needs \`${output}\`${hint ? `. ${hint}` : ''}`,
      { model: spec.name, task, needs: output, outputs: spec.outputs.map((o) => o.name) },
    );
  }
  return io;
}

/** The last dimension of an output when the graph fixes it (e.g. logits' label count). */
export function lastDim(io: OnnxIo): number | null {
  const d = io.shape[io.shape.length - 1];
  return typeof d === 'number' && d > 0 ? d : null;
}
