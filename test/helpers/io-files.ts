import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { readSource, type ReadSourceOptions } from '../../src/io/read-source.js';
import { isSourceReject, type SourceItem, type SourceReject, type SourceRow } from '../../src/io/row.js';

/** A temp directory for one test file; `cleanup` in afterAll. */
export async function tempDir(prefix = 'albert-io-'): Promise<{ dir: string; file: (name: string, content: string | Buffer) => Promise<string>; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return {
    dir,
    file: async (name, content) => {
      const path = join(dir, name);
      await writeFile(path, content);
      return path;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export async function readAll(options: ReadSourceOptions): Promise<SourceItem[]> {
  const items: SourceItem[] = [];
  for await (const item of readSource(options)) items.push(item);
  return items;
}

export const rowsOf = (items: readonly SourceItem[]): SourceRow[] => items.filter((i): i is SourceRow => !isSourceReject(i));
export const rejectsOf = (items: readonly SourceItem[]): SourceReject[] => items.filter(isSourceReject);

/** `[seq, code]` of each reject, or `[seq, 'row']`: compact to assert on. */
export const outline = (items: readonly SourceItem[]): [number, string][] => items.map((i) => [i.seq, isSourceReject(i) ? i.code : 'row']);

/** A stream that hands out `bytes` in pieces of `size`, to test chunk boundaries. */
export function chunked(bytes: Buffer, size: number): Readable {
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) pieces.push(Buffer.from(bytes.subarray(i, i + size)));
  // Object mode keeps the pieces apart; a byte stream would merge what is buffered.
  return Readable.from(pieces);
}

/** The bytes at a record's offset start with what it should start with. */
export function bytesAt(file: Buffer, offset: number, length: number): string {
  return file.subarray(offset, offset + length).toString('latin1');
}
