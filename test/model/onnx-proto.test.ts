import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';
import { describe, expect, test } from 'vitest';
import { ModelError } from '../../src/errors.js';
import { attr, OnnxGraphBuilder } from '../../src/model/onnx-graph-builder.js';
import { DataType, decodeOnnxModel, defaultOpsetVersion, encodeOnnxModel, valueInfoShape } from '../../src/model/onnx-proto.js';
import { FIXTURE } from '../helpers/hf-albert-tiny.js';

describe('ONNX protobuf', () => {
  test.each(['albert-tiny', 'albert-tiny-mlm'])('decoding and re-encoding the torch export of %s gives the same bytes', (name) => {
    const bytes = readFileSync(`${FIXTURE}${name}/model.onnx`);
    const model = decodeOnnxModel(bytes);
    expect(model.ir_version).toBe(8);
    expect(defaultOpsetVersion(model)).toBe(17);
    expect(model.graph.input.map((v) => [v.name, valueInfoShape(v)])).toEqual([
      ['input_ids', { elemType: DataType.INT64, dims: ['batch', 'sequence'] }],
      ['attention_mask', { elemType: DataType.INT64, dims: ['batch', 'sequence'] }],
      ['token_type_ids', { elemType: DataType.INT64, dims: ['batch', 'sequence'] }],
    ]);
    expect(Buffer.from(encodeOnnxModel(model)).equals(bytes)).toBe(true);
  });

  test('attributes equal to zero survive (proto2 presence), so ORT sees keepdims=0', async () => {
    const b = new OnnxGraphBuilder({ opset: 17 });
    b.input('x', DataType.FLOAT, [2, 3]);
    b.op('ReduceSum', ['x', b.int64s([1])], { attrs: { keepdims: attr.int(0) }, outputs: ['y'] });
    b.output('y', DataType.FLOAT, [2]);
    const bytes = encodeOnnxModel(b.build());
    expect(decodeOnnxModel(bytes).graph.node[0].attribute).toMatchObject([{ name: 'keepdims', type: 2, i: 0 }]);
    const s = await ort.InferenceSession.create(bytes);
    const out = await s.run({ x: new ort.Tensor('float32', new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]) });
    expect(out.y.dims).toEqual([2]);
    expect(Array.from(out.y.data as Float32Array)).toEqual([6, 15]);
  });

  test('names the source of bytes that are not a model', () => {
    expect(() => decodeOnnxModel(new Uint8Array([1, 2, 3]), 'x.onnx')).toThrow(ModelError);
    expect(() => decodeOnnxModel(new Uint8Array([1, 2, 3]), 'x.onnx')).toThrow(/^x\.onnx: not an ONNX model/);
  });

  test('the builder refuses a value name used twice', () => {
    const b = new OnnxGraphBuilder();
    b.input('x', DataType.FLOAT, [1]);
    expect(() => b.op('Identity', ['x'], { outputs: ['x'] })).toThrow(/"x" is used twice/);
  });
});
