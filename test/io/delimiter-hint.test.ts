import { afterAll, beforeAll, expect, test } from 'vitest';
import { AlbertError } from '../../src/errors.js';
import { readSource, type ReadSourceOptions } from '../../src/io/read-source.js';
import { tempDir } from '../helpers/io-files.js';

/** A header read as one column that the other delimiter would split says so; the format never changes by itself. */
let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir('albert-sniff-');
});
afterAll(() => tmp.cleanup());

async function openError(options: ReadSourceOptions): Promise<AlbertError> {
  const err = await readSource(options).open().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AlbertError);
  return err as AlbertError;
}

test('a TSV named .csv: the missing column error says to pass --format tsv', async () => {
  const input = await tmp.file('tabs.csv', 'id\ttext\tsource\n1\thello\tweb\n');
  const err = await openError({ input });
  expect(err.code).toBe('ALB_INPUT_MISSING_COLUMN');
  expect(err.message).toContain('["id\\ttext\\tsource"]');
  expect(err.message).toContain('looks tab-separated: pass --format tsv');
});

test('a CSV read with --format tsv: the error says to pass --format csv', async () => {
  const input = await tmp.file('commas.tsv', 'id,text\n1,hello\n');
  const err = await openError({ input, format: 'tsv' });
  expect(err.message).toContain('looks comma-separated: pass --format csv');
});

test('no hint when the header is just missing the column', async () => {
  for (const [name, body] of [['one.csv', 'body\nx\n'], ['two.csv', 'id,body\n1,x\n'], ['both.csv', 'a\tb,c\n1\n']] as const) {
    const err = await openError({ input: await tmp.file(name, body) });
    expect(err.code).toBe('ALB_INPUT_MISSING_COLUMN');
    expect(err.message).not.toContain('pass --format');
  }
});
