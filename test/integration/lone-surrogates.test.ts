import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, readOutput, readRejects, runCli, tempDir, tinyModel } from '../helpers/cli.js';

/**
 * `"\ud800"` and `"\udfaa"` are valid JSON and valid UTF-8 bytes, but each parses to a lone
 * surrogate that UTF-8 output writes as U+FFFD: without a reject, the two rows would leave
 * with one and the same id.
 */
let dir: string;
let model: string;

beforeAll(() => {
  dir = tempDir();
  model = tinyModel('albert-tiny');
});
afterAll(() => {
  cleanup(dir);
  cleanup(join(model, '..'));
});

describe('albert embed on JSONL with lone-surrogate ids', () => {
  it('rejects those rows with ALB_ROW_INVALID_UTF16 and keeps every output id distinct', async () => {
    const input = join(dir, 'in.jsonl');
    writeFileSync(input, [
      '{"id":"a","text":"The first paragraph."}',
      '{"id":"\\ud800","text":"A lone high surrogate id."}',
      '{"id":"b","text":"The second paragraph."}',
      '{"id":"\\udfaa","text":"A lone low surrogate id."}',
      '{"id":"c \\ud83d\\ude00","text":"A paired surrogate id is fine."}',
    ].join('\n') + '\n');
    const out = join(dir, 'out');
    const r = await runCli(['embed', input, '--out', out, '--model', model, '--max-length', '32', '--workers', '1', '--threads', '1', '--quiet']);
    expect(r.code, r.stderr).toBe(0);

    const rejects = readRejects(out);
    expect(rejects.map((x) => [x.row, x.stage, x.code])).toEqual([[1, 'read', 'ALB_ROW_INVALID_UTF16'], [3, 'read', 'ALB_ROW_INVALID_UTF16']]);
    expect(rejects[0].message).toContain('field "id" holds a lone surrogate (\\ud800 at index 0)');
    expect(rejects[1].message).toContain('field "id" holds a lone surrogate (\\udfaa at index 0)');

    const ids = readOutput(out).getChild('id')!.toArray() as string[];
    expect(ids).toEqual(['a', 'b', 'c 😀']);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.some((id) => id.includes('\ufffd'))).toBe(false);
  });
});
