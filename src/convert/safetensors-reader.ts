/**
 * Reads safetensors files: an 8-byte little-endian header length, a JSON header
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__ }`, then the data.
 *
 * Tensors are read one at a time with positioned reads, so files larger than a Node
 * buffer (2 GiB for readFile) work, and only the tensors asked for are loaded.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { ModelError } from '../errors.js';
import { fromBfloat16Array, fromFloat16Array } from '../model/half-float.js';

export interface SafetensorsEntry {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  /** Byte offsets relative to the start of the data section. */
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsHeader {
  readonly entries: ReadonlyMap<string, SafetensorsEntry>;
  readonly metadata: Readonly<Record<string, string>>;
  /** Absolute offset of the data section in the file (8 + header length). */
  readonly dataOffset: number;
}

/** What a model builder needs from a weights file; float tensors come back as float32. */
export interface TensorSource {
  /** A name for messages: the file path. */
  readonly source: string;
  names(): string[];
  has(name: string): boolean;
  shape(name: string): readonly number[];
  dtype(name: string): string;
  read(name: string): Float32Array;
}

const DTYPE_BYTES: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1, U16: 2, U32: 4, U64: 8,
  F8_E4M3: 1, F8_E5M2: 1,
};

// A header beyond this is a corrupt length field, not a real model (HF caps it at 100 MB).
const MAX_HEADER_BYTES = 100_000_000;

function invalid(source: string, what: string): ModelError {
  return new ModelError('ALB_SAFETENSORS_INVALID', `${source}: not a valid safetensors file (${what})`, { source });
}

/**
 * Reads the header length from the first 8 bytes.
 *
 * @example
 * ```ts
 * safetensorsHeaderLength(bytes.subarray(0, 8), 'model.safetensors'); // e.g. 12344
 * ```
 */
export function safetensorsHeaderLength(first8: Uint8Array, source = '<bytes>'): number {
  if (first8.length < 8) throw invalid(source, `file has ${first8.length} bytes, fewer than the 8-byte header length`);
  const n = Number(new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true));
  if (n < 2 || n > MAX_HEADER_BYTES) throw invalid(source, `header length ${n} is out of range`);
  return n;
}

/**
 * Parses the JSON header (the bytes after the 8-byte length) and checks every entry's
 * dtype, shape and offsets against each other and against the data size.
 *
 * @example
 * ```ts
 * const header = parseSafetensorsHeader(headerBytes, fileSize - 8 - headerBytes.length, 'model.safetensors');
 * header.entries.get('pooler.weight')?.shape; // [768, 768]
 * ```
 */
export function parseSafetensorsHeader(headerBytes: Uint8Array, dataBytes: number, source = '<bytes>'): SafetensorsHeader {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (err) {
    throw invalid(source, `header is not JSON: ${(err as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw invalid(source, 'header is not a JSON object');
  const entries = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = Object.freeze({ ...(value as Record<string, string>) });
      continue;
    }
    const v = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const width = typeof v.dtype === 'string' ? DTYPE_BYTES[v.dtype] : undefined;
    if (width === undefined) throw invalid(source, `tensor ${name} has unknown dtype ${JSON.stringify(v.dtype)}`);
    if (!Array.isArray(v.shape) || !v.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw invalid(source, `tensor ${name} has shape ${JSON.stringify(v.shape)}`);
    }
    const offs = v.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isInteger(o) && o >= 0) || offs[0] > offs[1] || offs[1] > dataBytes) {
      throw invalid(source, `tensor ${name} has data_offsets ${JSON.stringify(offs)} outside the ${dataBytes} data bytes`);
    }
    const count = (v.shape as number[]).reduce((a, b) => a * b, 1);
    if ((offs[1] - offs[0]) !== count * width) {
      throw invalid(source, `tensor ${name} spans ${offs[1] - offs[0]} bytes but ${v.dtype}${JSON.stringify(v.shape)} needs ${count * width}`);
    }
    entries.set(name, Object.freeze({ name, dtype: v.dtype as string, shape: Object.freeze([...(v.shape as number[])]), begin: offs[0], end: offs[1] }));
  }
  return Object.freeze({ entries, metadata, dataOffset: 8 + headerBytes.length });
}

/**
 * Decodes one tensor's raw little-endian bytes to float32 (F32 copied, F16/BF16/F64 converted).
 *
 * @throws ModelError `ALB_SAFETENSORS_DTYPE` for non-float tensors
 */
export function tensorBytesToFloat32(entry: SafetensorsEntry, raw: Uint8Array, source = '<bytes>'): Float32Array {
  // Copy into a fresh, aligned buffer: file offsets need not be multiples of 4.
  const aligned = new Uint8Array(raw.length);
  aligned.set(raw);
  switch (entry.dtype) {
    case 'F32': return new Float32Array(aligned.buffer);
    case 'F16': return fromFloat16Array(new Uint16Array(aligned.buffer));
    case 'BF16': return fromBfloat16Array(new Uint16Array(aligned.buffer));
    case 'F64': return Float32Array.from(new Float64Array(aligned.buffer));
    default:
      throw new ModelError('ALB_SAFETENSORS_DTYPE',
        `${source}: tensor ${entry.name} has dtype ${entry.dtype}; expected a float dtype (F32, F16, BF16, F64)`, { source, tensor: entry.name });
  }
}

abstract class HeaderSource implements TensorSource {
  constructor(readonly source: string, protected readonly header: SafetensorsHeader) {}
  names(): string[] { return [...this.header.entries.keys()]; }
  has(name: string): boolean { return this.header.entries.has(name); }
  shape(name: string): readonly number[] { return this.entry(name).shape; }
  dtype(name: string): string { return this.entry(name).dtype; }
  get metadata(): Readonly<Record<string, string>> { return this.header.metadata; }
  read(name: string): Float32Array {
    const e = this.entry(name);
    return tensorBytesToFloat32(e, this.rawBytes(e), this.source);
  }
  protected abstract rawBytes(entry: SafetensorsEntry): Uint8Array;
  protected entry(name: string): SafetensorsEntry {
    const e = this.header.entries.get(name);
    if (!e) throw new ModelError('ALB_SAFETENSORS_NO_TENSOR', `${this.source}: no tensor named ${JSON.stringify(name)}`, { source: this.source, tensor: name });
    return e;
  }
}

class MemorySource extends HeaderSource {
  constructor(source: string, header: SafetensorsHeader, private readonly bytes: Uint8Array) { super(source, header); }
  protected rawBytes(e: SafetensorsEntry): Uint8Array {
    return this.bytes.subarray(this.header.dataOffset + e.begin, this.header.dataOffset + e.end);
  }
}

/**
 * Parses a whole safetensors file held in memory (pure).
 *
 * @example
 * ```ts
 * const st = parseSafetensors(bytes, 'model.safetensors');
 * const w = st.read('pooler.weight'); // Float32Array
 * ```
 */
export function parseSafetensors(bytes: Uint8Array, source = '<bytes>'): TensorSource & { readonly metadata: Readonly<Record<string, string>> } {
  const n = safetensorsHeaderLength(bytes, source);
  if (bytes.length < 8 + n) throw invalid(source, `header length ${n} exceeds the ${bytes.length}-byte file`);
  const header = parseSafetensorsHeader(bytes.subarray(8, 8 + n), bytes.length - 8 - n, source);
  return new MemorySource(source, header, bytes);
}

/** A safetensors file opened for positioned reads; call `close()` when done. */
export class SafetensorsFile extends HeaderSource {
  private fd: number | undefined;

  private constructor(source: string, header: SafetensorsHeader, fd: number) {
    super(source, header);
    this.fd = fd;
  }

  /**
   * Opens a file and reads its header.
   *
   * @example
   * ```ts
   * const st = SafetensorsFile.open('model/model.safetensors');
   * try { console.log(st.names().length); } finally { st.close(); }
   * ```
   */
  static open(path: string): SafetensorsFile {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      const first = Buffer.alloc(8);
      readSync(fd, first, 0, Math.min(8, size), 0);
      const n = safetensorsHeaderLength(size < 8 ? first.subarray(0, size) : first, path);
      if (size < 8 + n) throw invalid(path, `header length ${n} exceeds the ${size}-byte file`);
      const headerBytes = Buffer.alloc(n);
      readSync(fd, headerBytes, 0, n, 8);
      return new SafetensorsFile(path, parseSafetensorsHeader(headerBytes, size - 8 - n, path), fd);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  protected rawBytes(e: SafetensorsEntry): Uint8Array {
    if (this.fd === undefined) throw new ModelError('ALB_SAFETENSORS_CLOSED', `${this.source}: read after close`, { source: this.source });
    const buf = Buffer.alloc(e.end - e.begin);
    let done = 0;
    // readSync may return fewer bytes than asked for large reads; loop until the span is in.
    while (done < buf.length) {
      const got = readSync(this.fd, buf, done, Math.min(buf.length - done, 1 << 30), this.header.dataOffset + e.begin + done);
      if (got === 0) throw invalid(this.source, `file ends inside tensor ${e.name}`);
      done += got;
    }
    return buf;
  }
}

/**
 * Joins the shards of a sharded checkpoint (model.safetensors.index.json) into one source.
 *
 * @throws ModelError `ALB_SAFETENSORS_INVALID` when two shards hold the same tensor name
 */
export function combineTensorSources(sources: readonly TensorSource[], source: string): TensorSource {
  const owner = new Map<string, TensorSource>();
  for (const s of sources) {
    for (const n of s.names()) {
      if (owner.has(n)) throw invalid(source, `tensor ${n} is in both ${owner.get(n)!.source} and ${s.source}`);
      owner.set(n, s);
    }
  }
  const of = (name: string): TensorSource => {
    const s = owner.get(name);
    if (!s) throw new ModelError('ALB_SAFETENSORS_NO_TENSOR', `${source}: no tensor named ${JSON.stringify(name)}`, { source, tensor: name });
    return s;
  };
  return {
    source,
    names: () => [...owner.keys()],
    has: (n) => owner.has(n),
    shape: (n) => of(n).shape(n),
    dtype: (n) => of(n).dtype(n),
    read: (n) => of(n).read(n),
  };
}
