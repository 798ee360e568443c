import { ModelError } from '../errors.js';
import type { AlbertConfig } from './albert-config.js';

/** An ONNX graph input or output as ONNX Runtime reports it. */
export interface OnnxIo {
  name: string;
  type: string;
  shape: ReadonlyArray<number | string>;
}

/** A model folder as the pipeline sees it: config, ONNX inputs/outputs and identity. */
export interface ModelSpec extends AlbertConfig {
  /** The folder's base name, e.g. `albert-mini`. */
  name: string;
  onnxSha256: string;
  inputs: readonly OnnxIo[];
  outputs: readonly OnnxIo[];
  /** The variant that runs (from the folder's variant.json), and how it was chosen; null when the folder records none. */
  variant?: ModelVariantInfo | null;
}

/** What manifests and schema metadata say of the variant a job ran. */
export interface ModelVariantInfo {
  name: string;
  precision: string;
  fused: boolean;
  /** `asked` (--variant), `default` (the device's preference), `none` (the folder's own model). */
  chosen_by: string;
}

export const REQUIRED_INPUTS = ['input_ids', 'attention_mask', 'token_type_ids'] as const;

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
