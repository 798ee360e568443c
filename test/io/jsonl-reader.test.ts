import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readFile } from 'node:fs/promises';
import { isSourceReject, type SourceItem } from '../../src/io/row.js';
import { chunked, outline, readAll, rejectsOf, rowsOf, tempDir } from '../helpers/io-files.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir('albert-jsonl-');
});
afterAll(() => tmp.cleanup());

async function jsonl(content: string | Buffer, options: Record<string, unknown> = {}, name = 'in.jsonl'): Promise<SourceItem[]> {
  return readAll({ input: await tmp.file(name, content), ...options });
}

const lines = (...values: unknown[]): string => values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join('\n') + '\n';

describe('rows and ids', () => {
  test('string and number ids are used; absent or null ids are the row number', async () => {
    const items = await jsonl(lines({ id: 'a', text: 'x' }, { id: 7, text: 'y' }, { text: 'z' }, { id: null, text: 'w' }, { id: -1.5, text: 'v' }));
    expect(items.map((r) => [r.seq, r.id])).toEqual([[0, 'a'], [1, '7'], [2, '2'], [3, '3'], [4, '-1.5']]);
    expect(rowsOf(items).map((r) => r.text)).toEqual(['x', 'y', 'z', 'w', 'v']);
  });

  test('custom fields, text B, unicode escapes and extra fields', async () => {
    const items = await jsonl(lines({ doc: 'd1', a: 'caf\u00e9 \ud83d\ude00', b: 'second', meta: { x: 1 } }), { idColumn: 'doc', textColumn: 'a', textBColumn: 'b' });
    expect(items).toEqual([{ seq: 0, id: 'd1', text: 'café 😀', textB: 'second', offset: 0 }]);
  });

  test('__proto__ and constructor are ordinary fields and pollute nothing', async () => {
    const body = '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}, "text": "hi"}\n{"__proto__": "as text"}\n';
    const items = await jsonl(body);
    expect(items[0]).toMatchObject({ text: 'hi' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const proto = await jsonl(body, { textColumn: '__proto__' }, 'proto.jsonl');
    expect(outline(proto)).toEqual([[0, 'ALB_ROW_MISSING_TEXT'], [1, 'row']]);
    expect(proto[1]).toMatchObject({ text: 'as text' });
    // A text field absent from the object must not be found on Object.prototype.
    expect(outline(await jsonl(lines({ id: 1 }), { textColumn: 'toString' }, 'tostring.jsonl'))).toEqual([[0, 'ALB_ROW_MISSING_TEXT']]);
  });
});

describe('reject codes', () => {
  test('each defect gets its own code at its own seq, and reading goes on', async () => {
    const body = Buffer.concat([
      Buffer.from(lines(
        { id: 'ok', text: 'fine' }, // 0
        '{"id": "broken", "text": ', // 1
        '[1, 2]', // 2
        '42', // 3
        'null', // 4
        { id: 'no-text' }, // 5
        { id: 'num-text', text: 5 }, // 6
        { id: 'empty', text: ' \u3000 ' }, // 7
        { id: true, text: 'bool id' }, // 8
        { id: 2 ** 60, text: 'big id' }, // 9
      )),
      Buffer.from('{"id": "bad", "text": "caf\xe9"}\n', 'latin1'), // 10
      Buffer.from(`${JSON.stringify({ id: 'big', text: 'x'.repeat(500) })}\n`), // 11
      Buffer.from(lines({ id: 'last', text: 'end' })), // 12
    ]);
    const items = await jsonl(body, { maxRecordBytes: 300 });
    expect(outline(items)).toEqual([
      [0, 'row'],
      [1, 'ALB_ROW_INVALID_JSON'],
      [2, 'ALB_ROW_NOT_OBJECT'],
      [3, 'ALB_ROW_NOT_OBJECT'],
      [4, 'ALB_ROW_NOT_OBJECT'],
      [5, 'ALB_ROW_MISSING_TEXT'],
      [6, 'ALB_ROW_MISSING_TEXT'],
      [7, 'ALB_ROW_EMPTY_TEXT'],
      [8, 'ALB_ROW_INVALID_ID'],
      [9, 'ALB_ROW_INVALID_ID'],
      [10, 'ALB_ROW_INVALID_UTF8'],
      [11, 'ALB_ROW_TOO_LARGE'],
      [12, 'row'],
    ]);
    const rejects = rejectsOf(items);
    expect(rejects.find((r) => r.seq === 5)).toMatchObject({ id: 'no-text', stage: 'read' });
    expect(rejects.find((r) => r.seq === 10)?.excerpt).toBe('{"id": "bad", "text": "caf\\xe9"}');
    expect(rejects.find((r) => r.seq === 9)?.message).toContain('2^53');
  });

  test('text B: absent or not a string, and empty', async () => {
    const items = await jsonl(lines({ text: 'a', b: 'b' }, { text: 'a' }, { text: 'a', b: 1 }, { text: 'a', b: '' }), { textBColumn: 'b' });
    expect(outline(items)).toEqual([[0, 'row'], [1, 'ALB_ROW_MISSING_TEXT_B'], [2, 'ALB_ROW_MISSING_TEXT_B'], [3, 'ALB_ROW_EMPTY_TEXT_B']]);
    const kept = await jsonl(lines({ text: '', b: ' ' }), { textBColumn: 'b', keepEmpty: true }, 'keep.jsonl');
    expect(kept).toEqual([{ seq: 0, id: '0', text: '', textB: ' ', offset: 0 }]);
  });

  test('a lone surrogate in the id, text or text B field is ALB_ROW_INVALID_UTF16, naming the field', async () => {
    // Escapes in the JSON (the bytes are valid UTF-8); JSON.parse turns them into lone surrogates.
    const body = [
      '{"id":"\\ud800","text":"a","b":"x"}', // 0: lone high surrogate id
      '{"id":"\\udfaa","text":"b","b":"x"}', // 1: lone low surrogate id
      '{"id":"ok","text":"caf\\u00e9 \\ud83d\\ude00","b":"x"}', // 2: a pair is fine
      '{"id":"t","text":"ab\\ud83d","b":"x"}', // 3: text ends in half a pair
      '{"id":"tb","text":"c","b":"\\ude00z"}', // 4: text B starts with the other half
      '{"id":"n","text":"d","b":"x"}', // 5
    ].join('\n') + '\n';
    const items = await jsonl(body, { textBColumn: 'b' }, 'surrogates.jsonl');
    expect(outline(items)).toEqual([[0, 'ALB_ROW_INVALID_UTF16'], [1, 'ALB_ROW_INVALID_UTF16'], [2, 'row'], [3, 'ALB_ROW_INVALID_UTF16'], [4, 'ALB_ROW_INVALID_UTF16'], [5, 'row']]);
    const rejects = rejectsOf(items);
    expect(rejects.map((r) => r.message)).toEqual([
      'field "id" holds a lone surrogate (\\ud800 at index 0), which UTF-8 output cannot keep',
      'field "id" holds a lone surrogate (\\udfaa at index 0), which UTF-8 output cannot keep',
      'field "text" holds a lone surrogate (\\ud83d at index 2), which UTF-8 output cannot keep',
      'field "b" holds a lone surrogate (\\ude00 at index 0), which UTF-8 output cannot keep',
    ]);
    // The bad id is not carried into the reject; a good id is.
    expect(rejects.map((r) => r.id)).toEqual([undefined, undefined, 't', 'tb']);
    // The excerpt is the line's bytes, with its backslash escaped as excerpts do.
    expect(rejects[0]).toMatchObject({ stage: 'read', excerpt: '{"id":"\\\\ud800","text":"a","b":"x"}' });
    expect(rowsOf(items).map((r) => [r.id, r.text])).toEqual([['ok', 'café 😀'], ['n', 'd']]);
    // Custom field names are the ones named in the message.
    const custom = await jsonl('{"doc":"d","body":"\\udbff"}\n', { idColumn: 'doc', textColumn: 'body' }, 'custom.jsonl');
    expect(rejectsOf(custom).map((r) => [r.code, r.message])).toEqual([['ALB_ROW_INVALID_UTF16', 'field "body" holds a lone surrogate (\\udbff at index 0), which UTF-8 output cannot keep']]);
  });

  test('a giant line is skipped to its end and the next line is read', async () => {
    const giant = JSON.stringify({ id: 'giant', text: 'g'.repeat(3 * 1024 * 1024) });
    const first = lines({ id: 'a', text: 'a' });
    const items = await jsonl(`${first}${giant}\n${lines({ id: 'b', text: 'b' })}`, { maxRecordBytes: 1024 });
    expect(outline(items)).toEqual([[0, 'row'], [1, 'ALB_ROW_TOO_LARGE'], [2, 'row']]);
    expect(items[2]).toMatchObject({ id: 'b', offset: first.length + giant.length + 1 });
    expect((items[1] as { excerpt: string }).excerpt).toMatch(/^\{"id":"giant","text":"g+…$/);
  });
});

describe('bytes and line endings', () => {
  test('blank and space-only lines are not records; BOM, CRLF and CR work', async () => {
    const body = '\uFEFF{"text":"a"}\r\n\r\n  \t \r\n{"text":"b"}\r{"text":"c"}\n\n';
    const items = await jsonl(body);
    expect(items.map((r) => [r.seq, isSourceReject(r) ? r.code : r.text])).toEqual([[0, 'a'], [1, 'b'], [2, 'c']]);
  });

  test('offsets point at each line, which parses on its own', async () => {
    const input = await tmp.file('offsets.jsonl', '\uFEFF{"id":"1","text":"é"}\r\n\n{"id":"2","text":"😀"}\r{"id":"3","text":"z"}');
    const bytes = await readFile(input);
    const items = await readAll({ input });
    expect(items).toHaveLength(3);
    for (const item of items) {
      const rest = bytes.subarray(item.offset!).toString();
      const line = rest.split(/\r\n|\r|\n/)[0];
      expect(JSON.parse(line).id).toBe(item.id);
    }
  });

  test('chunk boundaries change nothing, and reading from any offset gives the tail', async () => {
    const body = Buffer.concat([
      Buffer.from('\uFEFF'),
      Buffer.from(lines(...Array.from({ length: 40 }, (_, k) => ({ id: `k${k}`, text: `row ${k} ${'é'.repeat(k)}` })))),
      Buffer.from('{"text": "bad \xff"}\r\n\r\n[]\r{"text": ""}\n', 'latin1'),
      Buffer.from(`${JSON.stringify({ text: 'L'.repeat(400) })}\n{"text":"end"}`),
    ]);
    const input = await tmp.file('chunks.jsonl', body);
    const full = await readAll({ input, maxRecordBytes: 200 });
    expect(full).toHaveLength(45);
    for (const size of [1, 2, 5, 64]) {
      expect(await readAll({ input: chunked(body, size), format: 'jsonl', maxRecordBytes: 200 }), `chunks of ${size}`).toEqual(full);
    }
    for (let k = 0; k < full.length; k++) {
      expect(await readAll({ input, maxRecordBytes: 200, startOffset: full[k].offset, firstSeq: full[k].seq }), `from ${k}`).toEqual(full.slice(k));
      expect(await readAll({ input, maxRecordBytes: 200, endOffset: full[k].offset }), `to ${k}`).toEqual(full.slice(0, k));
    }
  });
});
