import { open, type FileHandle } from 'node:fs/promises';
import { fstatSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { InputError } from '../errors.js';
import { decideCompression, decompressChunks, MAGIC_BYTES, type Compression } from './compression.js';
import { InputErrorCode, unreadable } from './read-errors.js';

/**
 * The bytes of one input, as chunks. Files are read with positioned reads into fresh
 * buffers (never reused, so records the readers hand out may point into them); a file
 * can be read more than once, from any offset (the CSV header from 0, then records from
 * `startOffset`). Streams (stdin, a `Readable`) are read once, from their start.
 */
export interface InputBytes {
  /** What to call the input in messages: its path, `stdin` or `stream`. */
  readonly name: string;
  /** Size in bytes when the input is a regular file (stdin redirected from a file counts). */
  readonly size: number | undefined;
  /** Whether `chunks` accepts an offset other than 0. */
  readonly seekable: boolean;
  /** The compression `chunks` inflates (its offsets are then of the inflated bytes), or null. */
  readonly compression: Compression | null;
  chunks(from: number): AsyncIterable<Buffer>;
  /** The open file, for formats read by position from their footer (Parquet, Arrow); a plain regular file only. */
  readonly file?: FileHandle;
  /** Bytes of the input itself (compressed bytes, when it is compressed) taken by `chunks` so far. */
  inputBytesRead?(): number;
  close(): Promise<void>;
}

const CHUNK_BYTES = 128 * 1024;

export async function openFileInput(path: string): Promise<InputBytes> {
  const name = JSON.stringify(path);
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw unreadable(name, err);
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) {
      throw new InputError(InputErrorCode.UNREADABLE, `cannot read input ${name}: EISDIR: it is a directory`, {
        input: name,
        osCode: 'EISDIR',
      });
    }
    const regular = stat.isFile();
    return {
      name,
      size: regular ? stat.size : undefined,
      seekable: regular,
      compression: null,
      chunks: (from) => fileChunks(handle, name, regular ? from : null),
      file: regular ? handle : undefined,
      close: () => handle.close().catch(() => undefined),
    };
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err instanceof InputError ? err : unreadable(name, err);
  }
}

/** A pipe, FIFO or character device has no positions: `position` null reads on. */
async function* fileChunks(handle: FileHandle, name: string, position: number | null): AsyncGenerator<Buffer> {
  let pos = position;
  for (;;) {
    const buf = Buffer.allocUnsafe(CHUNK_BYTES);
    let bytesRead: number;
    try {
      ({ bytesRead } = await handle.read(buf, 0, CHUNK_BYTES, pos));
    } catch (err) {
      throw unreadable(name, err);
    }
    if (bytesRead === 0) return;
    if (pos !== null) pos += bytesRead;
    yield bytesRead < CHUNK_BYTES ? buf.subarray(0, bytesRead) : buf;
  }
}

/** stdin, with its size when it is redirected from a regular file. */
export function stdinInput(): InputBytes {
  let size: number | undefined;
  try {
    const stat = fstatSync(0);
    if (stat.isFile()) size = stat.size;
  } catch {
    // No fd 0 (a detached process): reading will report it.
  }
  return { ...streamInput(process.stdin, 'stdin'), size };
}

export function streamInput(stream: Readable | AsyncIterable<unknown>, name = 'stream'): InputBytes {
  let used = false;
  return {
    name,
    size: undefined,
    seekable: false,
    compression: null,
    chunks: (from) => {
      if (from !== 0 || used) throw new Error(`input ${name} can be read once, from its start`);
      used = true;
      return streamChunks(stream, name);
    },
    close: async () => {
      const destroy = (stream as Partial<Readable>).destroy;
      // Leave process.stdin to the process; end any other stream we stopped reading.
      if (typeof destroy === 'function' && stream !== process.stdin) destroy.call(stream);
    },
  };
}

async function* streamChunks(stream: AsyncIterable<unknown>, name: string): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of stream) {
      if (Buffer.isBuffer(chunk)) yield chunk;
      else if (chunk instanceof Uint8Array) yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      else if (typeof chunk === 'string') yield Buffer.from(chunk, 'utf8');
      else throw new InputError(InputErrorCode.UNREADABLE, `cannot read input ${name}: it yielded a ${typeof chunk}, not bytes`, { input: name });
    }
  } catch (err) {
    throw err instanceof InputError ? err : unreadable(name, err);
  }
}

/**
 * The input as its bytes say: inflated when they are gzip (or zstd), whatever the name
 * says (`named`, from the extension, must agree with the bytes). Looks at the first bytes
 * of a file with a read at offset 0; a pipe's first chunks are kept and handed out again.
 * A compressed input can be read from its start only (a compressed stream has no record
 * offsets to seek to), as many times as a file can.
 */
export async function withDecompression(raw: InputBytes, named: Compression | null): Promise<InputBytes> {
  const head: Buffer[] = [];
  let rest: AsyncIterator<Buffer> | undefined;
  const first = raw.chunks(0)[Symbol.asyncIterator]();
  let got = 0;
  while (got < MAGIC_BYTES) {
    const next = await first.next();
    if (next.done) break;
    head.push(next.value);
    got += next.value.length;
  }
  if (raw.seekable) await first.return?.(undefined);
  else rest = first;
  const compression = decideCompression(raw.name, named, Buffer.concat(head));
  // A pipe was read from already: its chunks start with the ones looked at.
  let replayed = false;
  const fromStart = (): AsyncIterable<Buffer> => {
    if (raw.seekable) return raw.chunks(0);
    if (replayed) throw new Error(`input ${raw.name} can be read once, from its start`);
    replayed = true;
    return replay(head, rest as AsyncIterator<Buffer>);
  };
  if (compression === null) {
    if (raw.seekable) return raw;
    return { ...raw, chunks: (from) => (from === 0 ? fromStart() : raw.chunks(from)) };
  }
  let taken = 0;
  return {
    name: raw.name,
    size: raw.size,
    seekable: false,
    compression,
    chunks: (from) => {
      if (from !== 0) throw new Error(`input ${raw.name} is ${compression}-compressed: it can be read from its start only`);
      return decompressChunks(fromStart(), compression, raw.name, (n) => (taken = n));
    },
    inputBytesRead: () => taken,
    close: () => raw.close(),
  };
}

async function* replay(head: readonly Buffer[], rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield* head;
  try {
    for (;;) {
      const next = await rest.next();
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await rest.return?.(undefined);
  }
}
