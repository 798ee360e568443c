import { Type, type Field, type Schema } from 'apache-arrow';

/**
 * How an Arrow schema is laid out as a Parquet schema: the schema elements of the footer,
 * and for each leaf (primitive) column the path that leads to it from its top-level Arrow
 * column. Lists (variable and fixed size) take the standard three-level LIST shape
 * (`<name> (LIST) { repeated group list { element } }`) with 32-bit Arrow offsets behind
 * them, so DuckDB, polars and pyarrow read `FixedSizeList<Float32>[H]` as a list of float
 * (pyarrow and polars restore the fixed size from the `ARROW:schema` metadata).
 */

/** Parquet physical types (parquet.thrift `Type`). */
export const PhysicalType = { BOOLEAN: 0, INT32: 1, INT64: 2, FLOAT: 4, DOUBLE: 5, BYTE_ARRAY: 6 } as const;
const Repetition = { REQUIRED: 0, OPTIONAL: 1, REPEATED: 2 } as const;
/** parquet.thrift `ConvertedType`, the annotations older readers go by. */
const Converted = { UTF8: 0, LIST: 3, UINT_8: 11, UINT_16: 12, UINT_32: 13, UINT_64: 14, INT_8: 15, INT_16: 16 } as const;

export type LogicalType = { kind: 'string' } | { kind: 'list' } | { kind: 'int'; bitWidth: number; signed: boolean };

export interface SchemaElement {
  name: string;
  type?: number;
  repetition?: number;
  numChildren?: number;
  convertedType?: number;
  logical?: LogicalType;
}

/** How a leaf's Arrow values are written: their PLAIN encoding. */
export type LeafValues = 'bool' | 'int32' | 'int64' | 'float' | 'double' | 'bytes';

/** One step from a column's Arrow data down towards a leaf. */
export type PathStep =
  | { kind: 'struct'; nullable: boolean; child: number }
  /** A List (32-bit offsets), or a FixedSizeList of `size`: the repeated level `repLevel`. */
  | { kind: 'list'; nullable: boolean; repLevel: number; size: number | null }
  | { kind: 'leaf'; nullable: boolean };

export interface LeafColumn {
  /** The top-level Arrow column it belongs to. */
  field: number;
  /** Its path in the Parquet schema (`['embedding', 'list', 'element']`). */
  path: string[];
  physical: number;
  values: LeafValues;
  steps: PathStep[];
  maxDef: number;
  maxRep: number;
}

export interface ParquetLayout {
  /** Depth first, root first, as the footer lists them. */
  elements: SchemaElement[];
  /** In the order the footer's column chunks must follow. */
  leaves: LeafColumn[];
}

/**
 * Lays out `schema`; throws an Error naming the column and its type when a type has no
 * Parquet form here (the task types all do: Utf8, Bool, Int32, Float32, List, FixedSizeList,
 * Struct, and the other integer and float widths).
 *
 * @example
 * ```ts
 * parquetLayout(schema).leaves.map((l) => l.path.join('.')); // ['id', 'embedding.list.element', 'n_tokens', 'truncated']
 * ```
 */
export function parquetLayout(schema: Schema): ParquetLayout {
  const elements: SchemaElement[] = [{ name: 'schema', numChildren: schema.fields.length }];
  const leaves: LeafColumn[] = [];
  schema.fields.forEach((field, i) => addField(field, field.name, { field: i, path: [], steps: [], def: 0, rep: 0 }, elements, leaves, field.name));
  return { elements, leaves };
}

interface At {
  field: number;
  path: string[];
  steps: PathStep[];
  def: number;
  rep: number;
}

function addField(field: Field, name: string, at: At, elements: SchemaElement[], leaves: LeafColumn[], column: string): void {
  const nullable = field.nullable;
  const repetition = nullable ? Repetition.OPTIONAL : Repetition.REQUIRED;
  const def = at.def + (nullable ? 1 : 0);
  const path = [...at.path, name];
  const type = field.type;
  switch (type.typeId) {
    case Type.Struct: {
      const children = field.type.children as Field[];
      if (children.length === 0) throw new Error(`column ${JSON.stringify(column)}: a struct without fields has no Parquet form`);
      elements.push({ name, repetition, numChildren: children.length });
      children.forEach((child, k) => addField(child, child.name, { ...at, path, steps: [...at.steps, { kind: 'struct', nullable, child: k }], def }, elements, leaves, column));
      return;
    }
    case Type.List:
    case Type.FixedSizeList: {
      const item = (type.children as Field[])[0];
      const size = type.typeId === Type.FixedSizeList ? (type as unknown as { listSize: number }).listSize : null;
      elements.push({ name, repetition, numChildren: 1, convertedType: Converted.LIST, logical: { kind: 'list' } });
      elements.push({ name: 'list', repetition: Repetition.REPEATED, numChildren: 1 });
      const step: PathStep = { kind: 'list', nullable, repLevel: at.rep + 1, size };
      addField(item, 'element', { ...at, path: [...path, 'list'], steps: [...at.steps, step], def: def + 1, rep: at.rep + 1 }, elements, leaves, column);
      return;
    }
    default: {
      const leaf = leafOf(field, column);
      elements.push({ name, repetition, type: leaf.physical, convertedType: leaf.convertedType, logical: leaf.logical });
      leaves.push({ field: at.field, path, physical: leaf.physical, values: leaf.values, steps: [...at.steps, { kind: 'leaf', nullable }], maxDef: def, maxRep: at.rep });
    }
  }
}

function leafOf(field: Field, column: string): { physical: number; values: LeafValues; convertedType?: number; logical?: LogicalType } {
  const type = field.type as unknown as { typeId: Type; bitWidth?: number; isSigned?: boolean; precision?: number };
  switch (type.typeId) {
    case Type.Utf8:
      return { physical: PhysicalType.BYTE_ARRAY, values: 'bytes', convertedType: Converted.UTF8, logical: { kind: 'string' } };
    case Type.Binary:
      return { physical: PhysicalType.BYTE_ARRAY, values: 'bytes' };
    case Type.Bool:
      return { physical: PhysicalType.BOOLEAN, values: 'bool' };
    case Type.Int: {
      const bits = type.bitWidth as number;
      const signed = type.isSigned as boolean;
      const logical: LogicalType = { kind: 'int', bitWidth: bits, signed };
      if (bits === 64) return { physical: PhysicalType.INT64, values: 'int64', convertedType: signed ? undefined : Converted.UINT_64, logical: signed ? undefined : logical };
      if (bits === 32 && signed) return { physical: PhysicalType.INT32, values: 'int32' };
      const converted = signed ? (bits === 8 ? Converted.INT_8 : Converted.INT_16) : bits === 8 ? Converted.UINT_8 : bits === 16 ? Converted.UINT_16 : Converted.UINT_32;
      return { physical: PhysicalType.INT32, values: 'int32', convertedType: converted, logical };
    }
    case Type.Float:
      // Precision: 0 half, 1 single, 2 double.
      if (type.precision === 1) return { physical: PhysicalType.FLOAT, values: 'float' };
      if (type.precision === 2) return { physical: PhysicalType.DOUBLE, values: 'double' };
      break;
    default:
      break;
  }
  throw new Error(`column ${JSON.stringify(column)}: Arrow type ${String(field.type)} has no Parquet form here (the writer takes strings, binary, booleans, integers, float32/64, lists, fixed-size lists and structs)`);
}
