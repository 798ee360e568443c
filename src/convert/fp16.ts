/**
 * Where a converted graph computes in float16 and where it stays in float32.
 *
 * The policy (`--fp16`): weights and matrix products in float16, which is where the
 * memory and the speed are; LayerNorm, the residual stream, the additive padding mask
 * and softmax in float32, because their sums and the mask constant (float32 min)
 * overflow or lose too much in half precision. Graph inputs and outputs keep their
 * float32/int64 types. In float32 mode every cast is a no-op, so one graph-building
 * code path serves both.
 */
import { DataType } from '../model/onnx-proto.js';
import { attr, type OnnxGraphBuilder } from '../model/onnx-graph-builder.js';
import { float32ToFloat16Bits, toFloat16Array } from '../model/half-float.js';

export type Precision = 'fp32' | 'fp16';

/**
 * Adds initializers and casts to a graph according to the precision.
 *
 * @example
 * ```ts
 * const p = new PrecisionPolicy(builder, 'fp16');
 * const w = p.weight('dense.weight', [768, 768], data);  // stored as float16
 * const y32 = p.toFloat32(builder.op('MatMul', [p.toCompute(x32), w]));
 * ```
 */
export class PrecisionPolicy {
  /** ONNX element type of weights and matmul activations. */
  readonly computeType: number;

  constructor(private readonly b: OnnxGraphBuilder, readonly precision: Precision) {
    this.computeType = precision === 'fp16' ? DataType.FLOAT16 : DataType.FLOAT;
  }

  /** A weight in the compute type. */
  weight(name: string, dims: readonly number[], data: Float32Array): string {
    return this.precision === 'fp16'
      ? this.b.initializer(name, DataType.FLOAT16, dims, toFloat16Array(data))
      : this.b.initializer(name, DataType.FLOAT, dims, data);
  }

  /** A weight kept in float32 whatever the precision (LayerNorm scale and shift). */
  weightFloat32(name: string, dims: readonly number[], data: Float32Array): string {
    return this.b.initializer(name, DataType.FLOAT, dims, data);
  }

  /** A scalar constant in the compute type. */
  scalar(value: number): string {
    return this.precision === 'fp16'
      ? this.b.constant(DataType.FLOAT16, [], new Uint16Array([float32ToFloat16Bits(value)]), 'f16')
      : this.b.float32(value);
  }

  /** Casts a float32 value to the compute type (no node in fp32 mode). */
  toCompute(x: string): string {
    return this.precision === 'fp16' ? this.b.op('Cast', [x], { attrs: { to: attr.int(DataType.FLOAT16) } }) : x;
  }

  /** Casts a compute-type value to float32 (no node in fp32 mode). */
  toFloat32(x: string): string {
    return this.precision === 'fp16' ? this.b.op('Cast', [x], { attrs: { to: attr.int(DataType.FLOAT) } }) : x;
  }
}
