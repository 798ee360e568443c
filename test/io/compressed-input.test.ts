import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as zlib from 'node:zlib';
import { gzipSync } from 'node:zlib';
import { AlbertError, OptionError } from '../../src/errors.js';
import { compressionOfName } from '../../src/io/compression.js';
import { formatOfName } from '../../src/io/input-formats.js';
import { readSource, type ReadSourceOptions } from '../../src/io/read-source.js';
import type { SourceItem } from '../../src/io/row.js';
import { chunked, outline, readAll, tempDir } from '../helpers/io-files.js';

/** gzip (and zstd, where Node has it) inputs read as their plain bytes would, streaming. */
let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir('albert-gz-');
});
afterAll(() => tmp.cleanup());

const bodies = {
  csv: 'id,text\n1,"a, b"\n2,\n3,third\n',
  tsv: 'id\ttext\n1\ta "b"\n2\t\n3\tthird\n',
  jsonl: '{"id":"1","text":"a"}\n\n{"id":"2","text":""}\nnot json\n{"id":"3","text":"c"}\n',
  text: 'a\n\nthird line\n',
} as const;

/** The items of a plain read, without offsets: what a compressed read gives. */
const withoutOffsets = (items: SourceItem[]) => items.map(({ offset, ...rest }) => (void offset, rest));
const noOffsets = (items: SourceItem[]) => items.every((i) => i.offset === undefined);

async function failure(run: () => Promise<unknown>): Promise<AlbertError> {
  const err = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AlbertError);
  return err as AlbertError;
}

describe('names', () => {
  test('the format is read through the compression extension', () => {
    expect(['a.csv.gz', 'A.TSV.GZ', 'a.jsonl.gz', 'a.ndjson.zst', 'a.txt.zstd', 'a.gz', 'a.csv'].map(formatOfName)).toEqual(['csv', 'tsv', 'jsonl', 'jsonl', 'text', undefined, 'csv']);
    expect(compressionOfName('dir.gz/a.csv')).toEqual({ compression: null, inner: 'dir.gz/a.csv' });
  });
});

describe('gzip', () => {
  test.each(Object.keys(bodies) as (keyof typeof bodies)[])('a gzipped %s file gives the items of the plain file, without offsets; progress counts compressed bytes', async (format) => {
    const plain = await tmp.file(`p.${format === 'text' ? 'txt' : format}`, bodies[format]);
    const gz = gzipSync(bodies[format]);
    const input = await tmp.file(`p.${format === 'text' ? 'txt' : format}.gz`, gz);
    const want = await readAll({ input: plain });
    const source = readSource({ input });
    const got: SourceItem[] = [];
    for await (const item of source) got.push(item);
    expect(source.compression).toBe('gzip');
    expect(got).toEqual(withoutOffsets(want));
    expect(noOffsets(got)).toBe(true);
    expect(outline(got).some(([, code]) => code !== 'row')).toBe(true);
    expect(source.totalBytes).toBe(gz.length);
    expect(source.bytesRead()).toBe(gz.length);
  });

  test('gzip bytes under a plain name are found by their magic bytes and inflated', async () => {
    const input = await tmp.file('misleading.csv', gzipSync(bodies.csv));
    const plain = await tmp.file('plain.csv', bodies.csv);
    const source = readSource({ input });
    await source.open();
    expect(source.compression).toBe('gzip');
    expect(await readAll({ input })).toEqual(withoutOffsets(await readAll({ input: plain })));
  });

  test('a stream of gzip bytes (stdin) is inflated too, whatever its chunk sizes', async () => {
    const gz = gzipSync(bodies.jsonl);
    const plain = await readAll({ input: await tmp.file('s.jsonl', bodies.jsonl) });
    for (const size of [1, 3, 4096]) {
      const got = await readAll({ input: chunked(gz, size), format: 'jsonl' });
      expect(got).toEqual(withoutOffsets(plain));
      expect(noOffsets(got)).toBe(true);
    }
  });

  test('concatenated gzip members read as one input (what `cat a.gz b.gz` makes)', async () => {
    const input = await tmp.file('two.txt.gz', Buffer.concat([gzipSync('a\nb\n'), gzipSync('c\n')]));
    expect((await readAll({ input })).map((i) => (i as { text: string }).text)).toEqual(['a', 'b', 'c']);
  });

  test('a large input streams in many batches, and progress moves with it', async () => {
    const lines = Array.from({ length: 60_000 }, (_, i) => JSON.stringify({ id: `r${i}`, text: `row ${i} ${'x'.repeat(i % 50)}` }));
    const gz = gzipSync(`${lines.join('\n')}\n`);
    const input = await tmp.file('large.jsonl.gz', gz);
    const source = readSource({ input });
    let rows = 0;
    const progress: number[] = [];
    for await (const batch of source.batches()) {
      rows += batch.length;
      progress.push(source.bytesRead());
    }
    expect(rows).toBe(lines.length);
    expect(progress.length).toBeGreaterThan(5);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(gz.length);
  });

  test('a name that says .gz over bytes that are not gzip, and truncated or corrupt data, are ALB_INPUT_COMPRESSED_INVALID naming the input', async () => {
    const gz = gzipSync(bodies.csv.repeat(50));
    const corrupt = Buffer.from(gz);
    corrupt.fill(0x55, 20, 40);
    const cases = {
      'plain.csv.gz': Buffer.from(bodies.csv),
      'empty.csv.gz': Buffer.alloc(0),
      'cut.csv.gz': gz.subarray(0, gz.length - 12),
      'corrupt.csv.gz': corrupt,
    };
    for (const [name, bytes] of Object.entries(cases)) {
      const input = await tmp.file(name, bytes);
      const err = await failure(() => readAll({ input }));
      expect(err.code, name).toBe('ALB_INPUT_COMPRESSED_INVALID');
      expect(err.message).toContain(name);
    }
  });

  test('byte ranges cannot cut a compressed stream: --start-offset and --end-offset are refused, a range of the whole file is the file', async () => {
    const gz = gzipSync(bodies.csv);
    const input = await tmp.file('range.csv.gz', gz);
    for (const [range, option] of [[{ startOffset: 8 }, '--start-offset'], [{ endOffset: 10 }, '--end-offset']] as const) {
      const err = await failure(() => readSource({ input, ...range } as ReadSourceOptions).open());
      expect(err).toBeInstanceOf(OptionError);
      expect(err.details.option).toBe(option);
      expect(err.message).toContain('gzip-compressed');
      expect(err.message).toContain('range.csv.gz');
    }
    expect(await readAll({ input, endOffset: gz.length, firstSeq: 10 })).toHaveLength(3);
    expect((await readAll({ input, endOffset: gz.length, firstSeq: 10 }))[0].seq).toBe(10);
  });
});

describe('zstd', () => {
  const zstdCompress = (zlib as unknown as { zstdCompressSync?: (b: Buffer) => Buffer }).zstdCompressSync;
  // Magic bytes of a zstd frame; enough for the check that this Node cannot inflate it.
  const frame = zstdCompress ? zstdCompress(Buffer.from(bodies.text)) : Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]);

  test.runIf(zstdCompress === undefined)('without zlib zstd (Node < 22.15) a .zst input is ALB_INPUT_COMPRESSION_UNSUPPORTED, naming the input and the Node.js it needs', async () => {
    for (const name of ['z.txt.zst', 'z-by-magic.txt']) {
      const input = await tmp.file(name, frame);
      const err = await failure(() => readAll({ input }));
      expect(err.code).toBe('ALB_INPUT_COMPRESSION_UNSUPPORTED');
      expect(err.message).toContain(name);
      expect(err.message).toContain('22.15');
    }
  });

  test.runIf(zstdCompress !== undefined)('with zlib zstd a .zst input reads as its plain bytes', async () => {
    const input = await tmp.file('z.txt.zst', frame);
    expect(await readAll({ input })).toEqual(withoutOffsets(await readAll({ input: await tmp.file('z.txt', bodies.text) })));
  });
});
