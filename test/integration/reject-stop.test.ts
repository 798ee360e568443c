import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, outputRows, readManifestJson, readRejects, runCli, tempDir, tinyModel, writeCorpus } from '../helpers/cli.js';

/**
 * A reject stop (--on-error fail, --max-rejects) keeps the work before it: every window
 * before the stopping row's is finished and committed, whatever the machine's load, so
 * "fix the row, --resume" redoes nothing and ends as a clean run on the fixed input.
 */
let dir: string;
let model: string;
const N = 1200;

beforeAll(() => {
  dir = tempDir('albert-reject-stop-');
  model = tinyModel('albert-tiny');
});
afterAll(() => cleanup(dir));

const flags = (windowRows: number, partRows: number) => ['--model', model, '--max-length', '64', '--window-rows', String(windowRows), '--part-rows', String(partRows), '--workers', '2', '--threads', '1', '--quiet'];
const ranges = (out: string) => (readManifestJson(out).parts as Array<{ seqStart: number; seqEnd: number }>).map((p) => [p.seqStart, p.seqEnd]);

describe('a reject stop', () => {
  it('--on-error fail at row 450: rows 0-399 committed (a short last part); fixed and resumed, the rows of a clean run', async () => {
    const input = join(dir, 'fail.csv');
    writeCorpus(input, N, 'f', (i) => i === 450);
    const out = join(dir, 'fail-out');
    const stopped = await runCli(['embed', input, '--out', out, ...flags(100, 300), '--on-error', 'fail']);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain('ALB_ROW_REJECTED');
    // Windows 0-3 were whole before row 450's window 4: kept, whatever the load. Before, only
    // full parts that happened to be done were (0 or 300 rows).
    const m = readManifestJson(out);
    expect(m.status).toBe('failed');
    expect(m.next.seq).toBe(400);
    expect(ranges(out)).toEqual([[0, 300], [300, 400]]);
    expect(readRejects(out)).toEqual([]);

    // The user fixes the row (bytes after the committed ones) and resumes.
    writeFileSync(input, readFileSync(input, 'utf8').replace(/^f-450,$/m, 'f-450,the fixed text of row 450'));
    const resumed = await runCli(['embed', input, '--out', out, ...flags(100, 300), '--on-error', 'fail', '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const clean = join(dir, 'fail-clean');
    expect((await runCli(['embed', input, '--out', clean, ...flags(100, 300)])).code).toBe(0);
    expect(readManifestJson(out)).toMatchObject({ status: 'complete', rows_in: N, rows_out: N, rows_rejected: 0 });
    expect(outputRows(out)).toEqual(outputRows(clean));
  });

  it('--max-rejects 2 at the third empty row (819): the windows before its window are committed, with their rejects', async () => {
    const input = join(dir, 'many.csv');
    writeCorpus(input, N, 'm', (i) => i % 401 === 17);
    const out = join(dir, 'many-out');
    const stopped = await runCli(['embed', input, '--out', out, ...flags(250, 500), '--max-rejects', '2']);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain('ALB_TOO_MANY_REJECTS');
    expect(readManifestJson(out).next.seq).toBe(750);
    expect(ranges(out)).toEqual([[0, 500], [500, 750]]);
    expect(readRejects(out).map((r) => r.row)).toEqual([17, 418]);
    const resumed = await runCli(['embed', input, '--out', out, ...flags(250, 500), '--max-rejects', '5', '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const clean = join(dir, 'many-clean');
    expect((await runCli(['embed', input, '--out', clean, ...flags(250, 500)])).code).toBe(0);
    expect(outputRows(out)).toEqual(outputRows(clean));
    expect(readRejects(out)).toEqual(readRejects(clean));
  });
});
