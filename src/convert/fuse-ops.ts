/**
 * `--fuse` on a model.onnx from anywhere (our converter's, a torch export): the
 * transformer blocks become the `com.microsoft` ops ONNX Runtime's CPU and CUDA providers
 * run as one kernel each. Fusion is checked by counting the ops in the result.
 */
import { GraphView } from '../model/onnx-graph-view.js';
import type { ModelProtoObject } from '../model/onnx-proto.js';
import { fuseAttention, type AttentionShape } from './fuse-attention.js';
import { fuseGelu } from './fuse-gelu.js';
import { fuseSkipLayerNorm } from './fuse-layer-norm.js';

export interface FusedCounts {
  readonly Attention: number;
  readonly SkipLayerNormalization: number;
  readonly FastGelu: number;
  readonly Gelu: number;
}

/**
 * Fuses attention, residual LayerNorms and GELUs of an fp32 graph.
 *
 * @example
 * ```ts
 * const { model, fused } = fuseTransformerOps(decodeOnnxModel(bytes), { numHeads: 4, hiddenSize: 256 });
 * fused; // { Attention: 6, SkipLayerNormalization: 12, FastGelu: 6, Gelu: 0 } on albert-mini
 * ```
 */
export function fuseTransformerOps(model: ModelProtoObject, shape: AttentionShape): { model: ModelProtoObject; fused: FusedCounts } {
  const view = new GraphView(model);
  const Attention = fuseAttention(view, shape);
  const SkipLayerNormalization = fuseSkipLayerNorm(view);
  const gelu = fuseGelu(view);
  return { model: view.build(), fused: Object.freeze({ Attention, SkipLayerNormalization, ...gelu }) };
}
