/**
 * The Thrift compact protocol, write side only, for the few structs a Parquet file needs
 * (page headers and the footer). A struct is written as a sequence of `field*()` calls
 * between {@link ThriftWriter.beginStruct} and {@link ThriftWriter.endStruct}; field ids
 * must rise within a struct, as the compact protocol's deltas assume (and Parquet's
 * definitions number them so).
 *
 * @example
 * ```ts
 * const t = new ThriftWriter();
 * t.beginStruct();
 * t.fieldI32(1, 0);            // PageHeader.type = DATA_PAGE
 * t.fieldI32(2, 1024);
 * t.endStruct();
 * t.bytes();                   // Uint8Array of the encoded struct
 * ```
 */

const T_BOOL_TRUE = 1;
const T_BOOL_FALSE = 2;
const T_BYTE = 3;
const T_I32 = 5;
const T_I64 = 6;
const T_BINARY = 8;
const T_LIST = 9;
const T_STRUCT = 12;

const utf8 = new TextEncoder();

export class ThriftWriter {
  private buf = new Uint8Array(256);
  private len = 0;
  /** The last field id written, per open struct. */
  private readonly lastIds: number[] = [];

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  beginStruct(): void {
    this.lastIds.push(0);
  }

  endStruct(): void {
    this.byte(0);
    this.lastIds.pop();
  }

  fieldI32(id: number, value: number): void {
    this.header(id, T_I32);
    this.zigzag(value);
  }

  fieldI64(id: number, value: number): void {
    this.header(id, T_I64);
    this.zigzag(value);
  }

  fieldByte(id: number, value: number): void {
    this.header(id, T_BYTE);
    this.byte(value & 0xff);
  }

  fieldBool(id: number, value: boolean): void {
    this.header(id, value ? T_BOOL_TRUE : T_BOOL_FALSE);
  }

  fieldString(id: number, value: string): void {
    this.header(id, T_BINARY);
    this.binary(utf8.encode(value));
  }

  /** A struct-valued field: `write` writes its fields. */
  fieldStruct(id: number, write: () => void): void {
    this.header(id, T_STRUCT);
    this.beginStruct();
    write();
    this.endStruct();
  }

  fieldListI32(id: number, values: readonly number[]): void {
    this.header(id, T_LIST);
    this.listHeader(values.length, T_I32);
    for (const v of values) this.zigzag(v);
  }

  fieldListString(id: number, values: readonly string[]): void {
    this.header(id, T_LIST);
    this.listHeader(values.length, T_BINARY);
    for (const v of values) this.binary(utf8.encode(v));
  }

  /** A list of structs: `write(item)` writes one item's fields. */
  fieldListStruct<T>(id: number, items: readonly T[], write: (item: T) => void): void {
    this.header(id, T_LIST);
    this.listHeader(items.length, T_STRUCT);
    for (const item of items) {
      this.beginStruct();
      write(item);
      this.endStruct();
    }
  }

  private header(id: number, type: number): void {
    const last = this.lastIds[this.lastIds.length - 1];
    const delta = id - last;
    if (delta > 0 && delta <= 15) {
      this.byte((delta << 4) | type);
    } else {
      this.byte(type);
      this.zigzag(id);
    }
    this.lastIds[this.lastIds.length - 1] = id;
  }

  private listHeader(size: number, type: number): void {
    if (size < 15) {
      this.byte((size << 4) | type);
    } else {
      this.byte(0xf0 | type);
      this.varint(size);
    }
  }

  private binary(b: Uint8Array): void {
    this.varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** Zigzag, then ULEB128: exact for every safe integer (file offsets and row counts stay below 2^53). */
  private zigzag(n: number): void {
    if (!Number.isSafeInteger(n)) throw new RangeError(`thrift: ${n} is not a safe integer`);
    this.varint(n >= 0 ? n * 2 : -n * 2 - 1);
  }

  private varint(n: number): void {
    this.ensure(10);
    while (n >= 0x80) {
      this.buf[this.len++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.len++] = n;
  }

  private byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
}
