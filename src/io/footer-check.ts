import { open } from 'node:fs/promises';

/** How a file format ends: its magic at both ends, a footer whose length sits just before the end magic. */
interface FooterLayout {
  /** `an Arrow file`, for messages. */
  readonly file: string;
  readonly name: string;
  /** What its first bytes are called. */
  readonly startMagic: string;
  readonly magic: Buffer;
  readonly minSize: number;
  /** Bytes besides the footer that a complete file has at least (magics, length, padding). */
  readonly overhead: number;
  readonly readLength: (b: Buffer) => number;
}

const ARROW: FooterLayout = { file: 'an Arrow file', name: 'Arrow', startMagic: 'the Arrow file magic', magic: Buffer.from('ARROW1'), minSize: 20, overhead: 18, readLength: (b) => b.readInt32LE(0) };
const PARQUET: FooterLayout = { file: 'a Parquet file', name: 'Parquet', startMagic: 'the Parquet magic', magic: Buffer.from('PAR1'), minSize: 12, overhead: 12, readLength: (b) => b.readUInt32LE(0) };

/**
 * Whether `path` ends as a complete Arrow IPC file does: the magic at both ends and a
 * footer length that fits the file. A part cut short, or grown by stray bytes, fails
 * here without reading the whole file; a byte flipped inside needs the sha256 (`--verify full`).
 * Returns what is wrong, or null.
 *
 * @example
 * ```ts
 * await checkArrowFile('out/part-00000.arrow'); // null, or 'it does not end with the Arrow footer magic (cut short?)'
 * ```
 */
export function checkArrowFile(path: string): Promise<string | null> {
  return checkFooter(path, ARROW);
}

/** {@link checkArrowFile} for a Parquet file: `PAR1` at both ends, a footer length that fits. */
export function checkParquetFile(path: string): Promise<string | null> {
  return checkFooter(path, PARQUET);
}

async function checkFooter(path: string, f: FooterLayout): Promise<string | null> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const m = f.magic.length;
    if (size < f.minSize) return `it is ${size} bytes, too short for ${f.file}`;
    const head = Buffer.alloc(m);
    await fh.read(head, 0, m, 0);
    if (!head.equals(f.magic)) return `it does not start with ${f.startMagic}`;
    const tail = Buffer.alloc(4 + m);
    await fh.read(tail, 0, tail.length, size - tail.length);
    if (!tail.subarray(4).equals(f.magic)) return `it does not end with the ${f.name} footer magic (cut short?)`;
    const footer = f.readLength(tail);
    if (footer <= 0 || footer > size - f.overhead) return `its footer length (${footer}) does not fit its ${size} bytes`;
    return null;
  } finally {
    await fh.close();
  }
}
