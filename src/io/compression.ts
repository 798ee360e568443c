import { extname } from 'node:path';
import { pipeline, Readable, type Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import { InputError } from '../errors.js';
import { InputErrorCode, unreadable } from './read-errors.js';

/**
 * Compressed inputs: which compressions there are, how each is recognised (extension and
 * magic bytes) and how its bytes are inflated, as a stream, a chunk at a time, so a
 * compressed input is never whole in memory either.
 */
export interface CompressionEntry {
  /** Extensions (lower case, with the dot) that name the compression: `docs.csv.gz`. */
  readonly extensions: readonly string[];
  /** The first bytes of every stream of this compression. */
  readonly magic: readonly number[];
  /** A fresh decompressor, or null when this Node.js has none (zstd before 22.15). */
  decompressor(): Transform | null;
  /** Why `decompressor()` is null, for the error that says so. */
  readonly unavailable: string;
}

/** zlib's output chunk: the input chunk size of the readers, so records split as seldom as in a plain file. */
const CHUNK_BYTES = 128 * 1024;

type ZstdFactory = (options?: zlib.ZlibOptions) => Transform;
/** Node 22.15+/23.8+ only; @types/node for Node 20 does not declare it, hence the lookup. */
const createZstd = (zlib as unknown as { createZstdDecompress?: ZstdFactory }).createZstdDecompress;

export const COMPRESSIONS = Object.freeze({
  gzip: { extensions: ['.gz'], magic: [0x1f, 0x8b], decompressor: () => zlib.createGunzip({ chunkSize: CHUNK_BYTES }), unavailable: '' },
  zstd: {
    extensions: ['.zst', '.zstd'],
    magic: [0x28, 0xb5, 0x2f, 0xfd],
    decompressor: () => (createZstd ? createZstd({ chunkSize: CHUNK_BYTES }) : null),
    unavailable: `zstd needs Node.js 22.15 or later (zlib.createZstdDecompress); this is Node.js ${process.versions.node}: decompress it first (zstd -d) or pipe it in (zstd -dc FILE | albert … -)`,
  },
} satisfies Record<string, CompressionEntry>);

export type Compression = keyof typeof COMPRESSIONS;

const COMPRESSION_NAMES = Object.keys(COMPRESSIONS) as Compression[];

/** Every compression extension, for messages and directory listings. */
export const COMPRESSION_EXTENSIONS: readonly string[] = COMPRESSION_NAMES.flatMap((c) => COMPRESSIONS[c].extensions);

/**
 * The compression a file name's last extension names, and the name without it (whose
 * extension then says the format: `docs.csv.gz` is gzip of `docs.csv`).
 *
 * @example
 * ```ts
 * compressionOfName('in/docs.CSV.gz'); // { compression: 'gzip', inner: 'in/docs.CSV' }
 * compressionOfName('docs.csv');       // { compression: null, inner: 'docs.csv' }
 * ```
 */
export function compressionOfName(name: string): { compression: Compression | null; inner: string } {
  const ext = extname(name).toLowerCase();
  const compression = COMPRESSION_NAMES.find((c) => (COMPRESSIONS[c].extensions as readonly string[]).includes(ext)) ?? null;
  return { compression, inner: compression === null ? name : name.slice(0, name.length - ext.length) };
}

/** The compression whose magic bytes `head` starts with, if any. */
export function compressionOfMagic(head: Buffer): Compression | null {
  return COMPRESSION_NAMES.find((c) => COMPRESSIONS[c].magic.every((b, i) => head[i] === b)) ?? null;
}

/** The most magic bytes any compression has: how much of an input to look at. */
export const MAGIC_BYTES = Math.max(...COMPRESSION_NAMES.map((c) => COMPRESSIONS[c].magic.length));

/**
 * Decides how an input is compressed from what its name says and what its first bytes
 * are. The bytes decide; a name that promises a compression the bytes do not have is an
 * error, never read as plain text (that would turn every record into a reject).
 */
export function decideCompression(name: string, named: Compression | null, head: Buffer): Compression | null {
  const found = compressionOfMagic(head);
  if (named !== null && found !== named) {
    const what = head.length === 0 ? 'it is empty' : found !== null ? `its bytes are ${found}` : `it starts with bytes ${[...head.subarray(0, MAGIC_BYTES)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`;
    throw new InputError(InputErrorCode.COMPRESSED_INVALID, `input ${name} is not ${named} data, though its name says so: ${what}`, { input: name, compression: named });
  }
  if (found !== null && COMPRESSIONS[found].decompressor() === null) {
    throw new InputError(InputErrorCode.COMPRESSION_UNSUPPORTED, `input ${name} is ${found}-compressed: ${COMPRESSIONS[found].unavailable}`, { input: name, compression: found });
  }
  return found;
}

/**
 * Inflates `compressed` as it is iterated. `counted(n)` is told the compressed bytes taken
 * from the input so far, which is what progress measures a compressed input in. Corrupt
 * or truncated data is `ALB_INPUT_COMPRESSED_INVALID`, naming the input.
 */
export async function* decompressChunks(compressed: AsyncIterable<Buffer>, compression: Compression, name: string, counted: (n: number) => void): AsyncGenerator<Buffer> {
  const inflater = COMPRESSIONS[compression].decompressor();
  if (inflater === null) throw new InputError(InputErrorCode.COMPRESSION_UNSUPPORTED, `input ${name} is ${compression}-compressed: ${COMPRESSIONS[compression].unavailable}`, { input: name, compression });
  let taken = 0;
  async function* counting(): AsyncGenerator<Buffer> {
    for await (const chunk of compressed) {
      taken += chunk.length;
      counted(taken);
      yield chunk;
    }
  }
  const source = Readable.from(counting());
  // pipeline() destroys the inflater with an error of either side, so the loop below sees it.
  pipeline(source, inflater, () => undefined);
  try {
    for await (const chunk of inflater) yield chunk as Buffer;
  } catch (err) {
    if (err instanceof InputError) throw err;
    const zcode = (err as { code?: unknown })?.code;
    if (typeof zcode === 'string' && zcode.startsWith('Z_')) {
      const why = zcode === 'Z_BUF_ERROR' ? `${(err as Error).message} (truncated?)` : (err as Error).message;
      throw new InputError(InputErrorCode.COMPRESSED_INVALID, `input ${name} is not valid ${compression} data: ${why}`, { input: name, compression, zlibCode: zcode }, { cause: err });
    }
    throw unreadable(name, err);
  } finally {
    source.destroy();
    inflater.destroy();
  }
}
