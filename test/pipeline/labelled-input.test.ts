import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { afterAll, describe, expect, test } from 'vitest';
import { readLabels } from '../../src/pipeline/labelled-input.js';
import { cleanup, tempDir } from '../helpers/cli.js';

const dir = tempDir('albert-labels-');
afterAll(() => cleanup(dir));

describe('readLabels', () => {
  test('plain text has no label column: ALB_INPUT_MISSING_COLUMN naming --label-column, not each line as its own label', async () => {
    const txt = join(dir, 'docs.txt');
    writeFileSync(txt, 'the first line\nthe second line\n');
    for (const read of [{}, { format: 'text' as const }]) {
      await expect(readLabels({ input: txt, read, labelColumn: 'label', separator: null })).rejects.toMatchObject({
        code: 'ALB_INPUT_MISSING_COLUMN',
        message: expect.stringMatching(/is plain text .*no label column "label" \(--label-column\)/),
        details: expect.objectContaining({ option: '--label-column', format: 'text' }),
      });
    }
    // A folder of .txt files too.
    const folder = join(dir, 'texts');
    mkdirSync(folder);
    writeFileSync(join(folder, 'a.txt'), 'one\n');
    await expect(readLabels({ input: folder, read: {}, labelColumn: 'label', separator: null })).rejects.toMatchObject({ code: 'ALB_INPUT_MISSING_COLUMN' });
  });

  test('an Arrow label column of integers is ALB_INPUT_COLUMN_TYPE naming --label-column, not --text-column', async () => {
    const file = join(dir, 'labelled.arrow');
    writeFileSync(file, tableToIPC(tableFromArrays({ text: ['a doc', 'a readme'], label: Int32Array.from([0, 1]) }), 'file'));
    const err = await readLabels({ input: file, read: {}, labelColumn: 'label', separator: null }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ALB_INPUT_COLUMN_TYPE', details: expect.objectContaining({ option: '--label-column', column: 'label' }) });
    expect((err as Error).message).toMatch(/column "label" \(--label-column\) is .*store the column as strings/);
    expect((err as Error).message).not.toMatch(/--text-column/);
    // A string label column reads as before.
    const ok = join(dir, 'ok.arrow');
    writeFileSync(ok, tableToIPC(tableFromArrays({ text: ['a doc', 'a readme'], label: ['docs', 'readme'] }), 'file'));
    const labels = await readLabels({ input: ok, read: {}, labelColumn: 'label', separator: null });
    expect([...labels.bySeq.values()]).toEqual([['docs'], ['readme']]);
  });
});
