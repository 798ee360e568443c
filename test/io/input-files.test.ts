import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdir } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { AlbertError, InputError, OptionError } from '../../src/errors.js';
import { expandInput, filesDifference } from '../../src/io/input-files.js';
import { readSource } from '../../src/io/read-source.js';
import type { SourceItem, SourceRow } from '../../src/io/row.js';
import { bytesAt, readAll, tempDir } from '../helpers/io-files.js';

/** A folder or a glob as one input: its files in byte order, seq running on across them. */
let tmp: Awaited<ReturnType<typeof tempDir>>;
let data: string;
const files = {
  'a.jsonl': '{"text":"a0"}\n{"text":"a1"}\n',
  'B.jsonl': '{"text":"B0"}\n',
  'c.jsonl.gz': gzipSync('{"text":"c0"}\n{"text":"c1"}\n'),
  '10.jsonl': '{"text":"ten"}\n',
  '2.jsonl': '{"text":"two"}\n',
  '.hidden.jsonl': '{"text":"hidden"}\n',
  'README.md': '# not an input\n',
};

beforeAll(async () => {
  tmp = await tempDir('albert-files-');
  data = join(tmp.dir, 'data');
  await mkdir(data);
  await mkdir(join(data, 'sub.jsonl'));
  for (const [name, body] of Object.entries(files)) await tmp.file(join('data', name), body);
});
afterAll(() => tmp.cleanup());

function thrown(run: () => unknown): AlbertError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(AlbertError);
    return err as AlbertError;
  }
  throw new Error('did not throw');
}

const texts = (items: SourceItem[]) => items.map((i) => (i as SourceRow).text);

describe('listing', () => {
  test('a folder gives its input files in byte order; hidden files, other extensions and subfolders are not read', () => {
    const set = expandInput(data, null)!;
    expect(set.files.map((f) => f.name)).toEqual(['10.jsonl', '2.jsonl', 'B.jsonl', 'a.jsonl', 'c.jsonl.gz']);
    expect(set.files[0]).toEqual({ path: join(data, '10.jsonl'), name: '10.jsonl', bytes: Buffer.byteLength(files['10.jsonl']) });
    expect(set).toMatchObject({ dir: resolve(data), format: 'jsonl', bytes: set.files.reduce((a, f) => a + f.bytes, 0) });
    expect(expandInput(`${data}/`, null)!.files).toHaveLength(5);
  });

  test('a glob matches * and ? in its last part, hidden files only with a leading dot', () => {
    expect(expandInput(join(data, '*.jsonl'), null)!.files.map((f) => f.name)).toEqual(['10.jsonl', '2.jsonl', 'B.jsonl', 'a.jsonl']);
    expect(expandInput(join(data, '?.jsonl*'), null)!.files.map((f) => f.name)).toEqual(['2.jsonl', 'B.jsonl', 'a.jsonl', 'c.jsonl.gz']);
    expect(expandInput(join(data, '.*'), null)!.files.map((f) => f.name)).toEqual(['.hidden.jsonl']);
    expect(expandInput(join(data, 'a.jsonl'), null)).toBeNull();
    expect(expandInput('-', null)).toBeNull();
  });

  test('a file whose name has a * is that file', async () => {
    const odd = await tmp.file('odd*.txt', 'x\n');
    expect(expandInput(odd, null)).toBeNull();
    expect(texts(await readAll({ input: odd }))).toEqual(['x']);
  });

  test('no files is ALB_INPUT_NO_FILES naming the input and what was looked for', async () => {
    const empty = join(tmp.dir, 'empty');
    await mkdir(empty);
    const cases = [empty, join(empty, '*.csv'), join(tmp.dir, 'nowhere', '*.csv')];
    for (const input of cases) {
      const err = thrown(() => expandInput(input, null));
      expect(err).toBeInstanceOf(InputError);
      expect(err.code).toBe('ALB_INPUT_NO_FILES');
      expect(err.message).toContain(JSON.stringify(input));
    }
    expect(thrown(() => expandInput(empty, null)).message).toContain('*.csv, *.tsv, *.jsonl, *.ndjson, *.txt, *.parquet, *.arrow, *.feather and .gz');
    expect(thrown(() => readSource({ input: empty })).code).toBe('ALB_INPUT_NO_FILES');
  });

  test('wildcards outside the last part are an option error', () => {
    const err = thrown(() => expandInput(join(tmp.dir, '*', 'x.csv'), null));
    expect(err).toBeInstanceOf(OptionError);
    expect(err.details.option).toBe('input');
  });

  test('files of more than one format need --format', async () => {
    const mixed = join(tmp.dir, 'mixed');
    await mkdir(mixed);
    await tmp.file('mixed/a.csv', 'id,text\n1,x\n');
    await tmp.file('mixed/b.jsonl', '{"text":"y"}\n');
    const err = thrown(() => expandInput(mixed, null));
    expect(err.code).toBe('ALB_INPUT_FORMAT_MIXED');
    expect(err.message).toContain('"a.csv" is csv');
    expect(err.message).toContain('pass --format');
    expect(expandInput(mixed, 'text')!.format).toBe('text');
    const log = await tmp.file('mixed/c.log', 'z\n');
    expect(thrown(() => expandInput(join(mixed, 'c.*'), null)).code).toBe('ALB_INPUT_FORMAT_UNKNOWN');
    expect(expandInput(join(mixed, 'c.*'), 'text')!.files.map((f) => f.path)).toEqual([log]);
  });
});

describe('reading', () => {
  test('seq runs on across the files; offsets are positions in the files laid end to end', async () => {
    const items = await readAll({ input: data });
    expect(texts(items)).toEqual(['ten', 'two', 'B0', 'a0', 'a1', 'c0', 'c1']);
    expect(items.map((i) => i.seq)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(items.map((i) => i.id)).toEqual(['0', '1', '2', '3', '4', '5', '6']);
    const set = expandInput(data, null)!;
    const laid = Buffer.concat(set.files.map((f) => readFileSync(f.path)));
    for (const item of items.slice(0, 5)) expect(bytesAt(laid, item.offset!, 9)).toBe(`{"text":"`);
    // The compressed file's rows have no offsets.
    expect(items.slice(5).map((i) => i.offset)).toEqual([undefined, undefined]);
  });

  test('reading from an offset (a resume) starts in the right file, with progress counting from there', async () => {
    const all = await readAll({ input: data });
    const at = all[3];
    const source = readSource({ input: data, startOffset: at.offset!, firstSeq: at.seq });
    const tail: SourceItem[] = [];
    for await (const item of source) tail.push(item);
    expect(tail).toEqual(all.slice(3));
    const set = expandInput(data, null)!;
    expect(source.totalBytes).toBe(set.bytes - at.offset!);
    expect(source.bytesRead()).toBe(source.totalBytes);
  });

  test('CSV files each have their header; a file without the column fails naming it', async () => {
    const csv = join(tmp.dir, 'csv');
    await mkdir(csv);
    await tmp.file('csv/1.csv', 'id,text\na,x\n');
    await tmp.file('csv/2.csv.gz', gzipSync('text,id\ny,b\n'));
    expect((await readAll({ input: csv })).map((i) => [i.seq, i.id, (i as SourceRow).text])).toEqual([[0, 'a', 'x'], [1, 'b', 'y']]);
    await tmp.file('csv/3.csv', 'id,body\nc,z\n');
    const err = await readAll({ input: csv }).then(
      () => undefined,
      (e: unknown) => e as AlbertError,
    );
    expect(err?.code).toBe('ALB_INPUT_MISSING_COLUMN');
    expect(err?.message).toContain(`${JSON.stringify(join(csv, '3.csv'))} (file 3 of 3`);
  });

  test('a byte range is of one file: --end-offset on a folder is refused', () => {
    const err = thrown(() => readSource({ input: data, endOffset: 10 }));
    expect(err.details.option).toBe('--end-offset');
  });
});

describe('filesDifference', () => {
  test('says what changed, or null', () => {
    const was = [{ name: 'a', bytes: 1 }, { name: 'b', bytes: 2 }];
    expect(filesDifference(was, was)).toBeNull();
    expect(filesDifference(was, [{ name: 'a', bytes: 3 }, { name: 'c', bytes: 2 }])).toBe('"a" was 1 bytes, is 3; "b" is gone; "c" is new');
  });
});
