import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readFile } from 'node:fs/promises';
import { isSourceReject, type SourceItem } from '../../src/io/row.js';
import { chunked, outline, readAll, rejectsOf, tempDir } from '../helpers/io-files.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir('albert-text-');
});
afterAll(() => tmp.cleanup());

async function text(content: string | Buffer, options: Record<string, unknown> = {}, name = 'in.txt'): Promise<SourceItem[]> {
  return readAll({ input: await tmp.file(name, content), ...options });
}

const texts = (items: readonly SourceItem[]): string[] => items.map((i) => (isSourceReject(i) ? i.code : i.text));

describe('one document per line', () => {
  test('each line is a row whose id is its line number', async () => {
    expect(await text('first line\nsecond, with "quotes"\n')).toEqual([
      { seq: 0, id: '0', text: 'first line', offset: 0 },
      { seq: 1, id: '1', text: 'second, with "quotes"', offset: 11 },
    ]);
  });

  test('empty lines are records: rejected as empty text, or kept with keepEmpty', async () => {
    const body = 'a\n\n \t\nb';
    expect(outline(await text(body))).toEqual([[0, 'row'], [1, 'ALB_ROW_EMPTY_TEXT'], [2, 'ALB_ROW_EMPTY_TEXT'], [3, 'row']]);
    expect(texts(await text(body, { keepEmpty: true }))).toEqual(['a', '', ' \t', 'b']);
  });

  test('LF, CRLF and CR end lines; a BOM is stripped; a final line break adds no line', async () => {
    for (const body of ['\uFEFFa\nb\nc\n', 'a\r\nb\r\nc\r\n', 'a\rb\rc', 'a\r\nb\rc\n']) {
      expect(texts(await text(body)), JSON.stringify(body)).toEqual(['a', 'b', 'c']);
    }
  });

  test('tabs, NUL, emoji and RTL text pass through unchanged', async () => {
    const line = 'tab\there nul\u0000 👩‍👩‍👧 שלום \u202Eabc';
    expect(texts(await text(`${line}\n`))).toEqual([line]);
  });
});

describe('reject codes', () => {
  test('invalid UTF-8 and over-long lines are rejected at their own seq; reading goes on', async () => {
    const body = Buffer.concat([
      Buffer.from('ok\n'),
      Buffer.from([0x62, 0x61, 0x64, 0x20, 0xc3, 0x28, 0x0a]), // bad: C3 followed by '('
      Buffer.from(`${'x'.repeat(2 * 1024 * 1024)}\r\n`),
      Buffer.from('after\n'),
    ]);
    const items = await text(body, { maxRecordBytes: 4096 });
    expect(outline(items)).toEqual([[0, 'row'], [1, 'ALB_ROW_INVALID_UTF8'], [2, 'ALB_ROW_TOO_LARGE'], [3, 'row']]);
    const [bad, large] = rejectsOf(items);
    expect(bad).toMatchObject({ id: '1', offset: 3, stage: 'read', excerpt: 'bad \\xc3(' });
    expect(large.excerpt?.length).toBe(80);
    expect(items[3]).toMatchObject({ text: 'after', offset: 3 + 7 + 2 * 1024 * 1024 + 2 });
  });

  test('a line of exactly maxRecordBytes bytes is a row; one byte more is too large', async () => {
    const items = await text(`${'é'.repeat(5)}\n${'a'.repeat(10)}\n${'a'.repeat(11)}\n`, { maxRecordBytes: 10 });
    expect(outline(items)).toEqual([[0, 'row'], [1, 'row'], [2, 'ALB_ROW_TOO_LARGE']]);
  });
});

describe('offsets, chunks and resume', () => {
  test('offsets point at each line; chunking and reading from any offset change nothing', async () => {
    const body = Buffer.concat([
      Buffer.from('\uFEFFalpha\r\n\r\nbeta\rgamma 😀\n'),
      Buffer.from([0xff, 0x0a]),
      Buffer.from(`${'long '.repeat(30)}\nlast`),
    ]);
    const input = await tmp.file('chunks.txt', body);
    const bytes = await readFile(input);
    const full = await readAll({ input, maxRecordBytes: 64 });
    expect(outline(full)).toEqual([[0, 'row'], [1, 'ALB_ROW_EMPTY_TEXT'], [2, 'row'], [3, 'row'], [4, 'ALB_ROW_INVALID_UTF8'], [5, 'ALB_ROW_TOO_LARGE'], [6, 'row']]);
    for (const item of full) {
      if (!isSourceReject(item)) expect(bytes.subarray(item.offset!, item.offset! + Buffer.byteLength(item.text)).toString()).toBe(item.text);
    }
    for (const size of [1, 2, 3, 16]) {
      expect(await readAll({ input: chunked(body, size), format: 'text', maxRecordBytes: 64 }), `chunks of ${size}`).toEqual(full);
    }
    for (let k = 0; k < full.length; k++) {
      expect(await readAll({ input, maxRecordBytes: 64, startOffset: full[k].offset, firstSeq: full[k].seq }), `from ${k}`).toEqual(full.slice(k));
    }
  });
});
