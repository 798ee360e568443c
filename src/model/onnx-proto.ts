/**
 * The ONNX protobuf schema (onnx/onnx.proto, IR version 10, proto2 as upstream) for protobufjs, with
 * decode/encode between bytes and plain objects.
 *
 * The whole message set is declared, not only what our builder writes, because
 * protobufjs drops fields it does not know: `appendPooling` decodes torch-exported
 * models and must write every field back. It stays proto2, as upstream is: proto3
 * would drop fields set to their zero value (an attribute `i: 0`), which ONNX readers
 * treat as absent.
 */
import protobuf from 'protobufjs';
import { ModelError } from '../errors.js';

const SCHEMA = `
syntax = "proto2";
package onnx;

message AttributeProto {
  enum AttributeType {
    UNDEFINED = 0; FLOAT = 1; INT = 2; STRING = 3; TENSOR = 4; GRAPH = 5; SPARSE_TENSOR = 11; TYPE_PROTO = 13;
    FLOATS = 6; INTS = 7; STRINGS = 8; TENSORS = 9; GRAPHS = 10; SPARSE_TENSORS = 12; TYPE_PROTOS = 14;
  }
  optional string name = 1;
  optional string ref_attr_name = 21;
  optional string doc_string = 13;
  optional AttributeType type = 20;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  optional GraphProto g = 6;
  optional SparseTensorProto sparse_tensor = 22;
  optional TypeProto tp = 14;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
  repeated TensorProto tensors = 10;
  repeated GraphProto graphs = 11;
  repeated SparseTensorProto sparse_tensors = 23;
  repeated TypeProto type_protos = 15;
}

message ValueInfoProto {
  optional string name = 1;
  optional TypeProto type = 2;
  optional string doc_string = 3;
  repeated StringStringEntryProto metadata_props = 4;
}

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  optional string domain = 7;
  optional string overload = 8;
  repeated AttributeProto attribute = 5;
  optional string doc_string = 6;
  repeated StringStringEntryProto metadata_props = 9;
  repeated NodeDeviceConfigurationProto device_configurations = 10;
}

message IntIntListEntryProto { optional int64 key = 1; repeated int64 value = 2; }
message NodeDeviceConfigurationProto {
  optional string configuration_id = 1;
  repeated ShardingSpecProto sharding_spec = 2;
  optional int32 pipeline_stage = 3;
}
message ShardingSpecProto {
  optional string tensor_name = 1;
  repeated int64 device = 2;
  repeated IntIntListEntryProto index_to_device_group_map = 3;
  repeated ShardedDimProto sharded_dim = 4;
}
message ShardedDimProto { optional int64 axis = 1; repeated SimpleShardedDimProto simple_sharding = 2; }
message SimpleShardedDimProto {
  oneof dim { int64 dim_value = 1; string dim_param = 2; }
  optional int64 num_shards = 3;
}
message DeviceConfigurationProto { optional string name = 1; optional int32 num_devices = 2; repeated string device = 3; }

message TrainingInfoProto {
  optional GraphProto initialization = 1;
  optional GraphProto algorithm = 2;
  repeated StringStringEntryProto initialization_binding = 3;
  repeated StringStringEntryProto update_binding = 4;
}

message ModelProto {
  optional int64 ir_version = 1;
  repeated OperatorSetIdProto opset_import = 8;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string domain = 4;
  optional int64 model_version = 5;
  optional string doc_string = 6;
  optional GraphProto graph = 7;
  repeated StringStringEntryProto metadata_props = 14;
  repeated TrainingInfoProto training_info = 20;
  repeated FunctionProto functions = 25;
  repeated DeviceConfigurationProto configuration = 26;
}

message StringStringEntryProto { optional string key = 1; optional string value = 2; }

message TensorAnnotation {
  optional string tensor_name = 1;
  repeated StringStringEntryProto quant_parameter_tensor_names = 2;
}

message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  repeated SparseTensorProto sparse_initializer = 15;
  optional string doc_string = 10;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
  repeated TensorAnnotation quantization_annotation = 14;
  repeated StringStringEntryProto metadata_props = 16;
}

message TensorProto {
  message Segment { optional int64 begin = 1; optional int64 end = 2; }
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  optional Segment segment = 3;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated bytes string_data = 6;
  repeated int64 int64_data = 7 [packed = true];
  optional string name = 8;
  optional string doc_string = 12;
  optional bytes raw_data = 9;
  repeated StringStringEntryProto external_data = 13;
  optional int32 data_location = 14;
  repeated double double_data = 10 [packed = true];
  repeated uint64 uint64_data = 11 [packed = true];
  repeated StringStringEntryProto metadata_props = 16;
}

message SparseTensorProto {
  optional TensorProto values = 1;
  optional TensorProto indices = 2;
  repeated int64 dims = 3;
}

message TensorShapeProto {
  message Dimension {
    oneof value { int64 dim_value = 1; string dim_param = 2; }
    optional string denotation = 3;
  }
  repeated Dimension dim = 1;
}

message TypeProto {
  message Tensor { optional int32 elem_type = 1; optional TensorShapeProto shape = 2; }
  message Sequence { optional TypeProto elem_type = 1; }
  message Map { optional int32 key_type = 1; optional TypeProto value_type = 2; }
  message Optional { optional TypeProto elem_type = 1; }
  message SparseTensor { optional int32 elem_type = 1; optional TensorShapeProto shape = 2; }
  oneof value {
    Tensor tensor_type = 1;
    Sequence sequence_type = 4;
    Map map_type = 5;
    Optional optional_type = 9;
    SparseTensor sparse_tensor_type = 8;
  }
  optional string denotation = 6;
}

message OperatorSetIdProto { optional string domain = 1; optional int64 version = 2; }

message FunctionProto {
  optional string name = 1;
  repeated string input = 4;
  repeated string output = 5;
  repeated string attribute = 6;
  repeated AttributeProto attribute_proto = 11;
  repeated NodeProto node = 7;
  optional string doc_string = 8;
  repeated OperatorSetIdProto opset_import = 9;
  optional string domain = 10;
  optional string overload = 13;
  repeated ValueInfoProto value_info = 12;
  repeated StringStringEntryProto metadata_props = 14;
}
`;

const root = protobuf.parse(SCHEMA, { keepCase: true }).root;
const ModelProto = root.lookupType('onnx.ModelProto');

/** `TensorProto.DataType` values we use. */
export const DataType = Object.freeze({
  FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10, DOUBLE: 11, BFLOAT16: 16,
} as const);
export type DataTypeCode = number;

/** `AttributeProto.AttributeType` values. */
export const AttributeType = Object.freeze({
  FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8,
} as const);

// Plain-object views of the messages, in the schema's snake_case. Only the fields our
// code reads or writes are typed; decoded objects carry the others along untouched.
export interface TensorProtoObject {
  name?: string;
  dims?: number[];
  data_type?: number;
  raw_data?: Uint8Array;
  float_data?: number[];
  int32_data?: number[];
  int64_data?: number[];
  double_data?: number[];
  data_location?: number;
  [other: string]: unknown;
}
export interface AttributeProtoObject {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProtoObject;
  floats?: number[];
  ints?: number[];
  [other: string]: unknown;
}
export interface NodeProtoObject {
  input: string[];
  output: string[];
  name?: string;
  op_type: string;
  domain?: string;
  attribute?: AttributeProtoObject[];
  [other: string]: unknown;
}
export interface DimensionObject { dim_value?: number; dim_param?: string; [other: string]: unknown }
export interface TypeProtoObject {
  tensor_type?: { elem_type?: number; shape?: { dim?: DimensionObject[] } };
  [other: string]: unknown;
}
export interface ValueInfoProtoObject { name: string; type?: TypeProtoObject; [other: string]: unknown }
export interface GraphProtoObject {
  name?: string;
  node: NodeProtoObject[];
  initializer: TensorProtoObject[];
  input: ValueInfoProtoObject[];
  output: ValueInfoProtoObject[];
  value_info?: ValueInfoProtoObject[];
  [other: string]: unknown;
}
export interface OperatorSetIdObject { domain?: string; version: number }
export interface ModelProtoObject {
  ir_version: number;
  opset_import: OperatorSetIdObject[];
  producer_name?: string;
  producer_version?: string;
  graph: GraphProtoObject;
  metadata_props?: Array<{ key: string; value: string }>;
  [other: string]: unknown;
}

/**
 * Decodes ONNX model bytes into plain objects (int64 as numbers, bytes as Uint8Array views).
 *
 * @throws ModelError `ALB_ONNX_INVALID` when the bytes are not an ONNX model
 * @example
 * ```ts
 * const model = decodeOnnxModel(await readFile('model.onnx'), 'model.onnx');
 * model.graph.output.map((o) => o.name); // ['last_hidden_state', 'pooler_output']
 * ```
 */
export function decodeOnnxModel(bytes: Uint8Array, source = '<bytes>'): ModelProtoObject {
  let obj: ModelProtoObject;
  try {
    const msg = ModelProto.decode(bytes);
    obj = ModelProto.toObject(msg, { longs: Number, enums: Number, arrays: true, defaults: false, oneofs: false }) as ModelProtoObject;
  } catch (err) {
    throw new ModelError('ALB_ONNX_INVALID', `${source}: not an ONNX model, the file is truncated or damaged (${(err as Error).message})`, { source }, { cause: err });
  }
  if (!obj.graph || obj.ir_version === undefined) {
    throw new ModelError('ALB_ONNX_INVALID', `${source}: not an ONNX model, the file is truncated or damaged (no graph or ir_version in ${bytes.length} bytes)`, { source });
  }
  return obj;
}

/**
 * Encodes a plain-object ONNX model into protobuf bytes.
 *
 * @example
 * ```ts
 * await writeFile('model.onnx', encodeOnnxModel(builder.build()));
 * ```
 */
export function encodeOnnxModel(model: ModelProtoObject): Uint8Array {
  const err = ModelProto.verify(model);
  if (err) throw new ModelError('ALB_ONNX_ENCODE', `cannot encode ONNX model: ${err}`);
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

/**
 * The default-domain opset version a model imports (0 when it imports none).
 *
 * @example
 * ```ts
 * defaultOpsetVersion(decodeOnnxModel(bytes)); // 17
 * ```
 */
export function defaultOpsetVersion(model: ModelProtoObject): number {
  const entry = model.opset_import.find((o) => !o.domain || o.domain === 'ai.onnx');
  return entry ? Number(entry.version) : 0;
}

/**
 * Elem type and dims (numbers, or names for dynamic dims) of a graph input or output.
 *
 * @example
 * ```ts
 * valueInfoShape(model.graph.input[0]); // { elemType: DataType.INT64, dims: ['batch', 'sequence'] }
 * ```
 */
export function valueInfoShape(info: ValueInfoProtoObject): { elemType: number; dims: Array<number | string> } {
  const t = info.type?.tensor_type;
  return {
    elemType: t?.elem_type ?? 0,
    dims: (t?.shape?.dim ?? []).map((d) => (d.dim_param !== undefined && d.dim_param !== '' ? d.dim_param : Number(d.dim_value ?? 0))),
  };
}
