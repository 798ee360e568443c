import { describe, expect, test } from 'vitest';
import { RecordSplitter, type RecordSpan, type SplitterOptions } from '../../src/io/record-splitter.js';

function split(input: string | Buffer, chunk: number, options: Partial<SplitterOptions> = {}): [string, number, number, string][] {
  const bytes = typeof input === 'string' ? Buffer.from(input) : input;
  const splitter = new RecordSplitter({ startOffset: 0, maxRecordBytes: 64, quote: true, delimiter: 0x2c, keepBlankLines: false, ...options });
  const spans: RecordSpan[] = [];
  for (let i = 0; i < bytes.length; i += chunk) spans.push(...splitter.push(bytes.subarray(i, i + chunk)));
  spans.push(...splitter.end());
  expect(splitter.consumed).toBe(bytes.length);
  return spans.map((s) => [s.buf.toString('latin1', s.start, s.end), s.offset, s.next, s.flaw ?? '']);
}

describe('RecordSplitter', () => {
  test('cuts the same records whatever the chunk size', () => {
    const input = '\uFEFFa,b\r\n1,"x\r\ny"\r2,"q""q"\n\n3,"a"b\n4,c"d\r\n5,"open\n6,e';
    const want = split(input, input.length);
    expect(want).toEqual([
      ['a,b', 3, 8, ''],
      ['1,"x\r\ny"', 8, 17, ''],
      ['2,"q""q"', 17, 26, ''],
      ['3,"a"b', 27, 34, 'quote'],
      ['4,c"d', 34, 41, 'quote'],
      ['5,"open', 41, 49, 'stray-quote'],
      ['6,e', 49, 52, ''],
    ]);
    for (const chunk of [1, 2, 3, 5, 8]) expect(split(input, chunk), `chunks of ${chunk}`).toEqual(want);
  });

  test('a record over the limit is emitted once, truncated, and the rest of its line skipped', () => {
    const input = `ok\n${'x'.repeat(200)}\r\nnext`;
    for (const chunk of [1, 7, 1000]) {
      const spans = split(input, chunk, { maxRecordBytes: 10 });
      expect(spans).toEqual([
        ['ok', 0, 3, ''],
        ['x'.repeat(11), 3, -1, 'too-large'],
        ['next', 205, 209, ''],
      ]);
    }
  });

  test('keepBlankLines emits empty lines; without quote, quotes are bytes', () => {
    expect(split('a\n\n"b\r\r\n', 2, { keepBlankLines: true, quote: false })).toEqual([
      ['a', 0, 2, ''],
      ['', 2, 3, ''],
      ['"b', 3, 6, ''],
      ['', 6, 8, ''],
    ]);
  });
});
