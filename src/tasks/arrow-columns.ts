import {
  Bool, Field, FixedSizeList, Float32, Int32, List, RecordBatch, Schema, Struct, Utf8, makeData,
  type Data, type DataType,
} from 'apache-arrow';

/**
 * Builders for the Arrow columns our tasks write. They fill typed arrays directly rather
 * than go through Arrow's generic builders: a window of thousands of rows x hundreds of
 * floats must cost a memcpy, not a per-value call.
 */
const encoder = new TextEncoder();

/** A Utf8 column; `null` entries are nulls (a validity bitmap is added only when there are some). */
export function utf8Data(values: readonly (string | null)[]): Data<Utf8> {
  const offsets = new Int32Array(values.length + 1);
  let size = 0;
  let nulls = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null) nulls++;
    else size += v.length * 3;
  }
  const bytes = new Uint8Array(size);
  const valid = nulls > 0 ? new Uint8Array((values.length + 7) >> 3) : undefined;
  let pos = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== null) {
      pos += encoder.encodeInto(v, bytes.subarray(pos)).written;
      if (valid) valid[i >> 3] |= 1 << (i & 7);
    }
    offsets[i + 1] = pos;
  }
  return makeData({ type: new Utf8(), length: values.length, valueOffsets: offsets, data: bytes.slice(0, pos), nullCount: nulls, ...(valid ? { nullBitmap: valid } : {}) });
}

export function float32Data(values: Float32Array): Data<Float32> {
  return makeData({ type: new Float32(), length: values.length, data: values });
}

export function int32Data(values: Int32Array): Data<Int32> {
  return makeData({ type: new Int32(), length: values.length, data: values });
}

export function boolData(values: ArrayLike<boolean>): Data<Bool> {
  const bits = new Uint8Array((values.length + 7) >> 3);
  for (let i = 0; i < values.length; i++) if (values[i]) bits[i >> 3] |= 1 << (i & 7);
  return makeData({ type: new Bool(), length: values.length, data: bits });
}

export function fixedSizeListType(width: number): FixedSizeList<Float32> {
  return new FixedSizeList(width, new Field('item', new Float32(), false));
}

/** `values` holds `rows x width` floats, row-major. */
export function fixedSizeFloat32Data(values: Float32Array, width: number): Data<FixedSizeList<Float32>> {
  const length = values.length / width;
  return makeData({ type: fixedSizeListType(width), length, child: float32Data(values) });
}

/** A `List<child>` column from a flat child and per-row counts. */
export function listData<T extends DataType>(child: Data<T>, counts: ArrayLike<number>, itemField: Field<T>): Data<List<T>> {
  const offsets = new Int32Array(counts.length + 1);
  for (let i = 0; i < counts.length; i++) offsets[i + 1] = offsets[i] + counts[i];
  return makeData({ type: new List(itemField), length: counts.length, valueOffsets: offsets, child });
}

export function structData(fields: Field[], children: Data[], length: number): Data<Struct> {
  return makeData({ type: new Struct(fields), length, children });
}

/** Assembles a record batch; children must follow the schema's field order. */
export function recordBatch(schema: Schema, children: Data[], length: number): RecordBatch {
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length, children }));
}

/** Schema-level metadata values are strings; JSON-encode the structured ones. */
export function schemaMetadata(entries: Record<string, string | number | boolean | object | null>): Map<string, string> {
  const m = new Map<string, string>();
  for (const [k, v] of Object.entries(entries)) m.set(k, typeof v === 'string' ? v : JSON.stringify(v));
  return m;
}
