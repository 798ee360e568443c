/**
 * The graph half of a variant: which rewrites make fp32 → fused / int8 / fp16, in which
 * order (fuse on the fp32 graph first, then quantize or halve it), shared by
 * `albert optimize` (any model.onnx) and `albert convert --int8/--fuse` (our own graph).
 */
import { ModelError, OptionError } from '../errors.js';
import { opHistogram } from '../model/onnx-graph-view.js';
import { DataType, type ModelProtoObject } from '../model/onnx-proto.js';
import { toFloat16Graph } from './float16-graph.js';
import { fuseTransformerOps, type FusedCounts } from './fuse-ops.js';
import { variantName, type VariantPrecision } from './model-variant.js';
import { quantizeInt8, type Int8WeightType } from './quantize-int8.js';

export interface GraphVariantOptions {
  readonly int8: boolean;
  readonly int8Weights: Int8WeightType;
  readonly fp16: boolean;
  readonly fuse: boolean;
}

export interface GraphVariant {
  readonly model: ModelProtoObject;
  readonly name: string;
  readonly precision: VariantPrecision;
  readonly fused: FusedCounts | null;
  readonly int8: { readonly nodes: number; readonly weights: number } | null;
  readonly warnings: readonly string[];
}

/** The int8 weight type `--int8` uses unless told: see quantize-int8.ts and the README's measurements. */
export const DEFAULT_INT8_WEIGHTS: Int8WeightType = 'int8-7bit';

/**
 * Refuses what cannot be combined or what has nothing to do.
 *
 * @throws OptionError `ALB_OPTION_CONFLICT` (--int8 with --fp16), `ALB_OPTION_MISSING` (none of them)
 */
export function checkGraphVariantOptions(o: GraphVariantOptions, command: string): void {
  if (o.int8 && o.fp16) {
    throw new OptionError('ALB_OPTION_CONFLICT', `${command}: --int8 and --fp16 exclude each other: int8 is for CPUs, fp16 for GPUs; make one variant of each`, { option: '--int8' });
  }
}

/** The fused ops of a histogram, by op name (`Attention: 12`), for variant.json. */
export function fusedOpCounts(ops: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(ops).filter(([k]) => k.startsWith('com.microsoft:') && !/Quantize/.test(k)).map(([k, n]) => [k.slice('com.microsoft:'.length), n]));
}

/**
 * What precision a model's weights are in, read off its initializers and ops: for
 * refusing to optimize a variant again, and for `inspect` on folders without variant.json.
 */
export function graphPrecision(model: ModelProtoObject): { precision: VariantPrecision; fused: boolean } {
  const ops = opHistogram(model);
  const fused = ['com.microsoft:Attention', 'com.microsoft:SkipLayerNormalization', 'com.microsoft:QAttention', 'com.microsoft:MultiHeadAttention'].some((k) => ops[k]);
  if (ops['com.microsoft:DynamicQuantizeMatMul'] || ops['com.microsoft:QAttention'] || ops.MatMulInteger) return { precision: 'int8', fused };
  if (model.graph.initializer.some((t) => t.data_type === DataType.FLOAT16)) return { precision: 'fp16', fused };
  return { precision: 'fp32', fused };
}

/**
 * Applies the rewrites to an fp32 graph.
 *
 * @throws ModelError `ALB_OPTIMIZE_UNSUPPORTED` when the graph is not fp32 or nothing could be quantized
 * @example
 * ```ts
 * const v = makeGraphVariant(model, { numHeads: 4, hiddenSize: 256 }, { int8: true, int8Weights: 'int8-7bit', fp16: false, fuse: true });
 * v.name; // 'int8-fused'
 * ```
 */
export function makeGraphVariant(model: ModelProtoObject, shape: { numHeads: number; hiddenSize: number }, o: GraphVariantOptions, source = 'model.onnx'): GraphVariant {
  const from = graphPrecision(model);
  if (from.precision !== 'fp32') {
    throw new ModelError('ALB_OPTIMIZE_UNSUPPORTED', `${source} is already ${from.precision}; make variants from the fp32 model (its variant.json names it as base)`, { source });
  }
  const warnings: string[] = [];
  let m = model;
  let fused: FusedCounts | null = null;
  if (o.fuse) {
    const r = fuseTransformerOps(m, shape);
    m = r.model;
    fused = r.fused;
    if (r.fused.Attention === 0) warnings.push('--fuse found no attention block it knows; attention stays unfused');
    if (r.fused.SkipLayerNormalization === 0) warnings.push('--fuse found no residual LayerNorm to fuse');
  }
  let int8: GraphVariant['int8'] = null;
  if (o.int8) {
    const r = quantizeInt8(m, o.int8Weights);
    m = r.model;
    int8 = { nodes: r.nodes, weights: r.weights };
  }
  if (o.fp16) m = toFloat16Graph(m).model;
  const precision: VariantPrecision = o.int8 ? 'int8' : o.fp16 ? 'fp16' : 'fp32';
  return { model: m, name: variantName(precision, o.fuse || from.fused), precision, fused, int8, warnings };
}
