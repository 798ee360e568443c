import { open } from 'node:fs/promises';

const MAGIC = Buffer.from('ARROW1');

/**
 * Whether `path` ends as a complete Arrow IPC file does: the magic at both ends and a
 * footer length that fits the file. A part cut short, or grown by stray bytes, fails
 * here without reading the whole file; a byte flipped inside needs the sha256 (`--verify full`).
 * Returns what is wrong, or null.
 *
 * @example
 * ```ts
 * await checkArrowFile('out/part-00000.arrow'); // null, or 'it does not end with the Arrow footer magic'
 * ```
 */
export async function checkArrowFile(path: string): Promise<string | null> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    if (size < 2 * MAGIC.length + 8) return `it is ${size} bytes, too short for an Arrow file`;
    const head = Buffer.alloc(MAGIC.length);
    await fh.read(head, 0, head.length, 0);
    if (!head.equals(MAGIC)) return 'it does not start with the Arrow file magic';
    const tail = Buffer.alloc(4 + MAGIC.length);
    await fh.read(tail, 0, tail.length, size - tail.length);
    if (!tail.subarray(4).equals(MAGIC)) return 'it does not end with the Arrow footer magic (cut short?)';
    const footer = tail.readInt32LE(0);
    if (footer <= 0 || footer > size - 2 * MAGIC.length - 6) return `its footer length (${footer}) does not fit its ${size} bytes`;
    return null;
  } finally {
    await fh.close();
  }
}
