import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readFile } from 'node:fs/promises';
import { InputError } from '../../src/errors.js';
import { readSource } from '../../src/io/read-source.js';
import { isSourceReject, type SourceItem } from '../../src/io/row.js';
import { hostileCsv, type HostileCsv } from '../fixtures/hostile.js';
import { chunked, outline, readAll, rejectsOf, rowsOf, tempDir } from '../helpers/io-files.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir('albert-csv-');
});
afterAll(() => tmp.cleanup());

async function csv(content: string | Buffer, options: Record<string, unknown> = {}, name = 'in.csv'): Promise<SourceItem[]> {
  const input = await tmp.file(name, content);
  return readAll({ input, ...options });
}

async function inputError(content: string, options: Record<string, unknown> = {}): Promise<InputError> {
  const input = await tmp.file('bad.csv', content);
  const err = await readAll({ input, ...options }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InputError);
  return err as InputError;
}

/** Checks items against the fixture's expectations, record by record. */
function expectHostile(items: readonly SourceItem[], h: HostileCsv): void {
  expect(items.length).toBe(h.records.length);
  h.records.forEach((want, k) => {
    const got = items[k];
    const where = `record ${k} (${want.note})`;
    expect(got.seq, where).toBe(want.seq);
    expect(got.offset, where).toBe(want.offset);
    if (want.kind === 'row') {
      expect(isSourceReject(got), `${where}: ${isSourceReject(got) ? got.code + ' ' + got.message : ''}`).toBe(false);
      expect(got).toMatchObject({ id: want.id, text: want.text });
    } else {
      expect(isSourceReject(got) ? got.code : 'row', where).toBe(want.code);
    }
  });
}

describe('hostile CSV', () => {
  const h = hostileCsv();

  test('every record is the expected row or reject, at the expected seq and offset', async () => {
    const items = await csv(h.bytes, h.readOptions, 'hostile.csv');
    expectHostile(items, h);
    expect(rowsOf(items).length + rejectsOf(items).length).toBe(h.records.length);
    expect(h.records.length).toBeGreaterThan(300);
    expect(Object.keys(h.counts.byCode).sort()).toEqual(
      ['ALB_ROW_COLUMN_COUNT', 'ALB_ROW_CSV_PARSE', 'ALB_ROW_EMPTY_TEXT', 'ALB_ROW_INVALID_UTF8', 'ALB_ROW_TOO_LARGE'].sort(),
    );
  });

  test('__proto__, constructor and prototype columns and ids pollute nothing', async () => {
    const items = await csv(h.bytes, { ...h.readOptions, textColumn: '__proto__' }, 'hostile-proto.csv');
    const proto = rowsOf(items).find((r) => r.id === '__proto__');
    expect(proto?.text).toBe('{"polluted":1}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(Object.keys(Object.prototype)).toEqual([]);
  });

  test('rejects carry printable excerpts of at most 80 characters', async () => {
    const items = await csv(h.bytes, h.readOptions, 'hostile.csv');
    for (const r of rejectsOf(items)) {
      expect(r.stage).toBe('read');
      expect(r.excerpt).toBeDefined();
      expect(r.excerpt!.length).toBeLessThanOrEqual(80);
      expect(r.excerpt).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\ufffd]/);
    }
  });

  test('chunk boundaries change nothing (stream in 1, 2, 3, 7 and 4096-byte pieces)', async () => {
    const small = hostileCsv(1);
    for (const size of [1, 2, 3, 7, 4096]) {
      const items = await readAll({ input: chunked(small.bytes, size), ...small.readOptions });
      expectHostile(items, small);
    }
  });

  test('reading from any record offset gives the tail of a full read', async () => {
    const small = hostileCsv(2);
    const input = await tmp.file('hostile-resume.csv', small.bytes);
    const full = await readAll({ input, ...small.readOptions });
    for (let k = 0; k < full.length; k++) {
      const tail = await readAll({ input, ...small.readOptions, startOffset: full[k].offset, firstSeq: full[k].seq });
      expect(tail, `from record ${k}`).toEqual(full.slice(k));
    }
  });

  test('a byte range [a, b) yields exactly the records that start in it', async () => {
    const small = hostileCsv(2);
    const input = await tmp.file('hostile-range.csv', small.bytes);
    const full = await readAll({ input, ...small.readOptions });
    for (const [i, j] of [[0, 5], [3, 40], [10, 11], [20, full.length - 1], [7, 7]]) {
      const part = await readAll({ input, ...small.readOptions, startOffset: full[i].offset, endOffset: full[j].offset, firstSeq: full[i].seq });
      expect(part, `[${i}, ${j})`).toEqual(full.slice(i, j));
    }
    // Ranges that tile the file cover every record once.
    const cuts = [0, 9, 33, 60, full.length];
    const tiled: SourceItem[] = [];
    for (let c = 0; c + 1 < cuts.length; c++) {
      const start = full[cuts[c]].offset!;
      const end = cuts[c + 1] < full.length ? full[cuts[c + 1]].offset : undefined;
      tiled.push(...(await readAll({ input, ...small.readOptions, startOffset: c === 0 ? 0 : start, endOffset: end, firstSeq: full[cuts[c]].seq })));
    }
    expect(tiled).toEqual(full);
  });
});

describe('columns and ids', () => {
  test('ids come from the id column, text from the text column, in any column order', async () => {
    const items = await csv('source,text,id\nweb,hello,a1\nbook,world,b2\n');
    expect(items).toEqual([
      { seq: 0, id: 'a1', text: 'hello', offset: 15 },
      { seq: 1, id: 'b2', text: 'world', offset: 28 },
    ]);
  });

  test('without an id column the id is the row number, from firstSeq', async () => {
    expect((await csv('text\nx\ny\n')).map((r) => r.id)).toEqual(['0', '1']);
    expect((await csv('text\nx\ny\n', { firstSeq: 10 })).map((r) => [r.seq, r.id])).toEqual([[10, '10'], [11, '11']]);
  });

  test('custom text, id and text-b columns', async () => {
    const items = await csv('key,premise,hypothesis\nk1,A man sleeps.,Someone rests.\nk2,It rains.,  \n', {
      textColumn: 'premise',
      textBColumn: 'hypothesis',
      idColumn: 'key',
    });
    expect(items[0]).toEqual({ seq: 0, id: 'k1', text: 'A man sleeps.', textB: 'Someone rests.', offset: 23 });
    expect(items[1]).toMatchObject({ seq: 1, id: 'k2', code: 'ALB_ROW_EMPTY_TEXT_B', stage: 'read' });
  });

  test('a header without the text column is ALB_INPUT_MISSING_COLUMN naming --text-column and the columns found', async () => {
    const err = await inputError('id,body\n1,x\n');
    expect(err.code).toBe('ALB_INPUT_MISSING_COLUMN');
    expect(err.message).toContain('--text-column');
    expect(err.message).toContain('"text"');
    expect(err.message).toContain('["id","body"]');
    expect(err.details).toMatchObject({ column: 'text', option: '--text-column', columns: ['id', 'body'] });
  });

  test('a missing text-b column, or an explicitly named id column, is required too', async () => {
    expect((await inputError('id,text\n1,x\n', { textBColumn: 'pair' })).details).toMatchObject({ option: '--text-b-column', column: 'pair' });
    expect((await inputError('id,text\n1,x\n', { idColumn: 'doc_id' })).details).toMatchObject({ option: '--id-column', column: 'doc_id' });
  });

  test('a duplicated column in use is ALB_INPUT_DUPLICATE_COLUMN; an empty file has no header', async () => {
    expect((await inputError('text,id,text\nx,1,y\n')).code).toBe('ALB_INPUT_DUPLICATE_COLUMN');
    expect((await inputError('')).code).toBe('ALB_INPUT_MISSING_COLUMN');
    expect((await inputError('id,"te\xff"xt\n')).code).toBe('ALB_INPUT_BAD_HEADER');
  });

  test('a header alone is zero items', async () => {
    expect(await csv('id,text\n')).toEqual([]);
    expect(await csv('\uFEFFid,text')).toEqual([]);
  });
});

describe('reject codes', () => {
  test('each defect gets its own code at its own seq, and reading goes on', async () => {
    const file = Buffer.concat([
      Buffer.from('id,text,src\n'),
      Buffer.from('1,fine,a\n'), // 0 row
      Buffer.from('2,,a\n'), // 1 empty
      Buffer.from('3, \t ,a\n'), // 2 whitespace
      Buffer.from('4,bad \xff byte,a\n', 'latin1'), // 3 invalid UTF-8
      Buffer.from(`5,${'x'.repeat(300)},a\n`), // 4 too large
      Buffer.from('6,two\n'), // 5 column count
      Buffer.from('7,a "quoted" word,a\n'), // 6 csv parse
      Buffer.from('8,"fine, quoted",a\n'), // 7 row
    ]);
    const items = await csv(file, { maxRecordBytes: 200 });
    expect(outline(items)).toEqual([
      [0, 'row'],
      [1, 'ALB_ROW_EMPTY_TEXT'],
      [2, 'ALB_ROW_EMPTY_TEXT'],
      [3, 'ALB_ROW_INVALID_UTF8'],
      [4, 'ALB_ROW_TOO_LARGE'],
      [5, 'ALB_ROW_COLUMN_COUNT'],
      [6, 'ALB_ROW_CSV_PARSE'],
      [7, 'row'],
    ]);
    const rejects = rejectsOf(items);
    expect(rejects.map((r) => r.id)).toEqual(['2', '3', '4', undefined, '6', undefined]);
    expect(rejects[2].excerpt).toBe('4,bad \\xff byte,a');
    expect(rejects[2].message).toContain('UTF-8');
  });

  test('keepEmpty turns empty texts into rows', async () => {
    const items = await csv('id,text\n1,\n2,  \n', { keepEmpty: true });
    expect(items.map((i) => (isSourceReject(i) ? i.code : i.text))).toEqual(['', '  ']);
  });

  test('a record over maxRecordBytes is skipped to its line end without losing the next record', async () => {
    const big = `2,${'y'.repeat(5 * 1024 * 1024)},a\n`;
    const items = await csv(`id,text,src\n1,a,a\n${big}3,c,a\n`);
    expect(outline(items)).toEqual([[0, 'row'], [1, 'ALB_ROW_TOO_LARGE'], [2, 'row']]);
    expect(items[2]).toMatchObject({ id: '3', offset: 12 + 6 + big.length });
  });

  test('a stray quote costs its own record, not the rest of the file', async () => {
    const lines = Array.from({ length: 60_000 }, (_, k) => `${k + 2},plain row ${k},a\n`).join('');
    const items = await csv(`id,text,src\n1,"stray quote,a\n${lines}`);
    expect(items.length).toBe(60_001);
    expect(outline(items.slice(0, 2))).toEqual([[0, 'ALB_ROW_CSV_PARSE'], [1, 'row']]);
    expect(rejectsOf(items)).toHaveLength(1);
    expect(rejectsOf(items)[0].message).toContain('stray quote');
  });

  test('a quoted field may hold line breaks and doubled quotes; junk after a closing quote is a parse error', async () => {
    const items = await csv('id,text\n1,"a\r\nb ""c"""\n2,"x"y\n3,z\n');
    expect(items[0]).toMatchObject({ id: '1', text: 'a\r\nb "c"' });
    expect(outline(items)).toEqual([[0, 'row'], [1, 'ALB_ROW_CSV_PARSE'], [2, 'row']]);
  });
});

describe('bytes and line endings', () => {
  test('LF, CRLF, CR and a mix of them read alike; a BOM is stripped; blank lines are not records', async () => {
    const want = [['1', 'a'], ['2', 'b b'], ['3', 'c']];
    for (const [name, body] of [
      ['lf', 'id,text\n1,a\n2,b b\n3,c\n'],
      ['crlf', 'id,text\r\n1,a\r\n2,b b\r\n3,c\r\n'],
      ['cr', 'id,text\r1,a\r2,b b\r3,c'],
      ['mixed', '\uFEFFid,text\r\n1,a\n\n2,b b\r\r3,c\r\n\r\n'],
    ]) {
      const items = await csv(body, {}, `${name}.csv`);
      expect(items.map((r) => [r.id, isSourceReject(r) ? r.code : r.text]), name).toEqual(want);
      expect(items.map((r) => r.seq), name).toEqual([0, 1, 2]);
    }
  });

  test('each offset is the byte where its record starts', async () => {
    const body = '\uFEFFid,text\r\n1,héllo\r\n\r\n2,"multi\nline"\n3,😀\r4,x';
    const input = await tmp.file('offsets.csv', body);
    const bytes = await readFile(input);
    const items = await readAll({ input });
    expect(items).toHaveLength(4);
    for (const item of items) {
      const id = isSourceReject(item) ? '' : item.id;
      expect(bytes.subarray(item.offset!, item.offset! + id.length + 1).toString()).toBe(`${id},`);
    }
  });

  test('TSV splits on tabs and keeps quotes as text', async () => {
    const items = await csv('id\ttext\n1\tsay "hi", ok\n2\t"quoted"\n3\tbad\textra\n', {}, 'in.tsv');
    expect(items.map((r) => (isSourceReject(r) ? r.code : r.text))).toEqual(['say "hi", ok', '"quoted"', 'ALB_ROW_COLUMN_COUNT']);
  });

  test('progress: bytesRead reaches totalBytes', async () => {
    const body = `id,text\n${Array.from({ length: 50_000 }, (_, k) => `${k},row ${k}\n`).join('')}`;
    const input = await tmp.file('progress.csv', body);
    const source = readSource({ input });
    await source.open();
    expect(source.totalBytes).toBe(Buffer.byteLength(body));
    const seen: number[] = [];
    for await (const batch of source.batches()) seen.push(source.bytesRead(), batch.length);
    expect(source.bytesRead()).toBe(Buffer.byteLength(body));
    expect(seen.length).toBeGreaterThan(2);
  });
});
