import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { execFile } from 'node:child_process';
import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { AlbertError, InputError, OptionError } from '../../src/errors.js';
import { readSource, resolveReadSource, type ReadSourceOptions } from '../../src/io/read-source.js';
import { hostileCsv } from '../fixtures/hostile.js';
import { readAll, tempDir } from '../helpers/io-files.js';
import { transpileForChild } from '../helpers/transpile-for-child.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let childEntry: Promise<string> | undefined;
beforeAll(async () => {
  tmp = await tempDir('albert-source-');
});
afterAll(() => tmp.cleanup());

function optionErrorOf(options: unknown): OptionError {
  try {
    resolveReadSource(options as ReadSourceOptions);
  } catch (err) {
    expect(err).toBeInstanceOf(OptionError);
    return err as OptionError;
  }
  throw new Error(`accepted ${JSON.stringify(options)}`);
}

async function failure(promise: Promise<unknown>): Promise<AlbertError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AlbertError);
  return err as AlbertError;
}

describe('options', () => {
  test('defaults are filled in and frozen', () => {
    const resolved = resolveReadSource({ input: 'docs.CSV' });
    expect(resolved).toEqual({
      input: 'docs.CSV',
      format: 'csv',
      textColumn: 'text',
      textBColumn: undefined,
      idColumn: 'id',
      idColumnRequired: false,
      keepEmpty: false,
      maxRecordBytes: 1024 * 1024,
      startOffset: 0,
      endOffset: undefined,
      firstSeq: 0,
    });
    expect(Object.isFrozen(resolved)).toBe(true);
  });

  test('the format comes from the extension', () => {
    const formats = ['a.csv', 'a.tsv', 'a.jsonl', 'a.ndjson', 'a.txt', 'dir.v2/A.JSONL'].map((input) => resolveReadSource({ input }).format);
    expect(formats).toEqual(['csv', 'tsv', 'jsonl', 'jsonl', 'text', 'jsonl']);
    expect(resolveReadSource({ input: 'data.bin', format: 'text' }).format).toBe('text');
  });

  test('no inferable format is ALB_INPUT_FORMAT_UNKNOWN naming --format', () => {
    for (const input of ['-', 'data.json', 'noext', Readable.from([])]) {
      let err: unknown;
      try {
        resolveReadSource({ input });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).code).toBe('ALB_INPUT_FORMAT_UNKNOWN');
      expect((err as InputError).message).toContain('--format');
    }
  });

  test('every invalid option is ALB_OPTION_INVALID naming the option and the value', () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ input: '' }, 'input', '""'],
      [{ input: 42 }, 'input', '42'],
      [{ input: 'a.csv', format: 'xml' }, '--format', '"xml"'],
      [{ input: 'a.csv', textColumn: '' }, '--text-column', '""'],
      [{ input: 'a.csv', idColumn: 7 }, '--id-column', '7'],
      [{ input: 'a.csv', textBColumn: 'text' }, '--text-b-column', '"text"'],
      [{ input: 'a.txt', textBColumn: 'b' }, '--text-b-column', '"b"'],
      [{ input: 'a.csv', keepEmpty: 'yes' }, '--keep-empty', '"yes"'],
      [{ input: 'a.csv', maxRecordBytes: 0 }, '--max-record-bytes', '0'],
      [{ input: 'a.csv', maxRecordBytes: 1.5 }, '--max-record-bytes', '1.5'],
      [{ input: 'a.csv', maxRecordBytes: '1024' }, '--max-record-bytes', '"1024"'],
      [{ input: 'a.csv', startOffset: -1 }, '--start-offset', '-1'],
      [{ input: 'a.csv', startOffset: 10, endOffset: 5 }, '--end-offset', '5'],
      [{ input: 'a.csv', firstSeq: -5 }, '--first-seq', '-5'],
      [{ input: '-', format: 'csv', startOffset: 5 }, '--start-offset', '5'],
      [{ input: Readable.from([]), format: 'csv', endOffset: 5 }, '--end-offset', '5'],
    ];
    for (const [options, option, got] of cases) {
      const err = optionErrorOf(options);
      expect(err.code, JSON.stringify(options)).toBe('ALB_OPTION_INVALID');
      expect(err.details.option).toBe(option);
      expect(err.message).toContain(`got ${got}`);
    }
  });

  test('a key no read option has is ALB_OPTION_UNKNOWN, naming the nearest', () => {
    const err = optionErrorOf({ input: 'a.csv', textcolumn: 'body' });
    expect(err.code).toBe('ALB_OPTION_UNKNOWN');
    expect(err.details.option).toBe('textcolumn');
    expect(err.message).toContain('did you mean "textColumn"?');
  });
});

describe('whole-input errors', () => {
  // A folder is an input of its own (its files, one after another): see input-files.test.ts.
  test('a missing file and an unreadable file are ALB_INPUT_UNREADABLE, at open() and at the first item', async () => {
    const missing = join(tmp.dir, 'missing.csv');
    const cases: [string, string][] = [[missing, 'ENOENT']];
    if (process.getuid?.() !== 0) {
      const locked = await tmp.file('locked.csv', 'id,text\n1,x\n');
      await chmod(locked, 0o000);
      cases.push([locked, 'EACCES']);
    }
    for (const [input, osCode] of cases) {
      const atOpen = await failure(readSource({ input }).open());
      expect(atOpen).toBeInstanceOf(InputError);
      expect(atOpen).toMatchObject({ code: 'ALB_INPUT_UNREADABLE', details: { osCode } });
      expect(atOpen.message).toContain(input);
      expect((await failure(readAll({ input }))).code).toBe('ALB_INPUT_UNREADABLE');
    }
  });

  test('header problems surface at open(), before any item', async () => {
    const input = await tmp.file('nocol.csv', 'id,body\n1,x\n');
    const err = await failure(readSource({ input }).open());
    expect(err.code).toBe('ALB_INPUT_MISSING_COLUMN');
  });

  test('offsets must lie in the file and after the CSV header', async () => {
    const input = await tmp.file('small.csv', 'id,text\n1,x\n');
    expect((await failure(readSource({ input, startOffset: 100 }).open())).details.option).toBe('--start-offset');
    expect((await failure(readSource({ input, startOffset: 3 }).open())).message).toContain('header (byte 8)');
    expect(await readAll({ input, startOffset: 12 })).toEqual([]);
    expect(await readAll({ input, endOffset: 0 })).toEqual([]);
    expect(await readAll({ input, endOffset: 9 })).toEqual([{ seq: 0, id: '1', text: 'x', offset: 8 }]);
  });
});

describe('sources', () => {
  test('a Readable works like the file, once', async () => {
    const h = hostileCsv(1);
    const input = await tmp.file('h.csv', h.bytes);
    const fromFile = await readAll({ input, ...h.readOptions });
    const source = readSource({ input: Readable.from([h.bytes]), ...h.readOptions });
    const fromStream = [];
    for await (const item of source.items) fromStream.push(item);
    expect(fromStream).toEqual(fromFile);
    expect(source.totalBytes).toBeUndefined();
    expect(source.bytesRead()).toBe(h.bytes.length);
    const again = await failure((async () => {
      for await (const item of source) void item;
    })());
    expect(again.code).toBe('ALB_SOURCE_REUSED');
  });

  test('a stream error is ALB_INPUT_UNREADABLE', async () => {
    const broken = new Readable({
      read() {
        this.destroy(new Error('disk on fire'));
      },
    });
    const err = await failure(readAll({ input: broken, format: 'text' }));
    expect(err).toMatchObject({ code: 'ALB_INPUT_UNREADABLE' });
    expect(err.message).toContain('disk on fire');
  });

  test('breaking out early closes the source; close() is idempotent', async () => {
    const input = await tmp.file('many.txt', 'line\n'.repeat(100_000));
    const source = readSource({ input });
    let n = 0;
    for await (const item of source) {
      void item;
      if (++n === 10) break;
    }
    await source.close();
    await source.close();
    expect(n).toBe(10);
    expect(source.bytesRead()).toBeLessThan(source.totalBytes!);
  });

  test('progress over a byte range counts only the range', async () => {
    const body = 'a\nbb\nccc\ndddd\n';
    const input = await tmp.file('range.txt', body);
    const source = readSource({ input, startOffset: 2, endOffset: 9, firstSeq: 1 });
    const items = [];
    for await (const item of source) items.push(item);
    expect(items.map((i) => i.id)).toEqual(['1', '2']);
    expect(source.totalBytes).toBe(7);
    expect(source.bytesRead()).toBe(7);
  });

  test.each(['csv', 'tsv', 'jsonl', 'text'] as const)('stdin ("-") reads %s in a child process', async (format) => {
    const bodies = {
      csv: '\uFEFFid,text\r\n1,"a, b"\r\n2,\r\n',
      tsv: 'id\ttext\n1\ta "b"\n2\t\n',
      jsonl: '{"id":"1","text":"a"}\n\n{"id":"2","text":""}\n',
      text: 'a\n\n',
    };
    childEntry ??= transpileForChild('src/io/read-source.ts', join(tmp.dir, 'child'));
    const entry = await childEntry;
    const script = `
      const { readSource } = await import(${JSON.stringify(`file://${entry}`)});
      const items = [];
      for await (const item of readSource({ input: '-', format: ${JSON.stringify(format)} })) items.push(item);
      process.stdout.write(JSON.stringify(items));`;
    const file = await tmp.file(`stdin.${format}`, bodies[format]);
    // A pipe for CSV, a redirected file (whose size is known) for the others.
    const command = format === 'csv' ? `cat "${file}" | "${process.execPath}" --input-type=module -e "$SCRIPT"` : `"${process.execPath}" --input-type=module -e "$SCRIPT" < "${file}"`;
    const child = promisify(execFile)('/bin/sh', ['-c', command], {
      env: { ...process.env, SCRIPT: script },
    });
    const { stdout } = await child;
    expect(JSON.parse(stdout)).toEqual(await readAll({ input: file, format }));
    expect(JSON.parse(stdout).map((i: { code?: string }) => i.code ?? 'row')).toEqual(['row', 'ALB_ROW_EMPTY_TEXT']);
  });
});
