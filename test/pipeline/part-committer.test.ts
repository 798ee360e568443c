import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256File } from '../../src/io/durable-file.js';
import { InputRanges } from '../../src/io/input-ranges.js';
import { OUTPUT_FORMATS } from '../../src/io/output-formats.js';
import { readManifest } from '../../src/pipeline/manifest.js';
import { newManifest } from '../../src/pipeline/job-summary.js';
import { PartCommitter } from '../../src/pipeline/part-committer.js';
import { finishedWindow, schema } from '../helpers/windows.js';

/** The commit protocol on a real directory: what is listed is durable and adds up, nothing else is. */
const root = mkdtempSync(join(tmpdir(), 'albert-committer-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function committer(out: string, partRows = 20, ranges: InputRanges | null = null) {
  const spec = { name: 'm', onnxSha256: 'x' } as never;
  const manifest = newManifest({ task: 'test', toolVersion: '0', fingerprint: {}, spec, ep: 'cpu', fallbackReason: null, input: '-', rerun: null });
  let writes = 0;
  const c = new PartCommitter(out, OUTPUT_FORMATS.arrow, schema, manifest, partRows, () => writes++, ranges);
  return { c, manifest, writes: () => writes };
}

describe('PartCommitter', () => {
  it('commits a part when its row range is full, and the last short one on finish', async () => {
    const out = join(root, 'parts');
    const { c, manifest } = committer(out);
    await import('node:fs/promises').then((fs) => fs.mkdir(out));
    await c.append(finishedWindow(0, 10, [3]));
    expect(readdirSync(out)).toEqual(['part-00000.arrow.tmp']);
    expect(await readManifest(out)).toBeNull();
    await c.append(finishedWindow(10, 20, [12, 19]));
    await c.append(finishedWindow(20, 25));
    await c.finish();
    await c.close();
    const m = (await readManifest(out))!;
    expect({ ...m, checksum: undefined }).toEqual(manifest);
    expect(m.parts.map((p) => [p.file, p.seqStart, p.seqEnd, p.rows, p.rejected])).toEqual([['part-00000.arrow', 0, 20, 17, 3], ['part-00001.arrow', 20, 25, 5, 0]]);
    expect({ rows_in: m.rows_in, rows_out: m.rows_out, rows_rejected: m.rows_rejected, tokens: m.tokens }).toEqual({ rows_in: 25, rows_out: 22, rows_rejected: 3, tokens: 66 });
    expect(m.next).toEqual({ seq: 25, offset: 250 });
    expect(m.counts).toEqual({ even: 12 });
    expect(m.rejects.by_code).toEqual({ ALB_ROW_EMPTY_TEXT: 3 });
    for (const p of m.parts) expect(await sha256File(join(out, p.file))).toBe(p.sha256);
    const rows = tableFromIPC(readFileSync(join(out, 'part-00000.arrow')));
    expect(rows.getChild('id')!.toArray()).toEqual(Array.from({ length: 20 }, (_, i) => `r${i}`).filter((id) => !['r3', 'r12', 'r19'].includes(id)));
    const rejects = readFileSync(join(out, 'rejects.jsonl'), 'utf8');
    expect(rejects.split('\n').filter(Boolean).map((l) => JSON.parse(l).row)).toEqual([3, 12, 19]);
    expect(Buffer.byteLength(rejects)).toBe(m.rejects.bytes);
  });

  it('interrupt commits the open part short, and the next part ends where an uninterrupted one would', async () => {
    const out = join(root, 'interrupt');
    await import('node:fs/promises').then((fs) => fs.mkdir(out));
    const first = committer(out);
    await first.c.append(finishedWindow(0, 10, [3]));
    await first.c.interrupt();
    await first.c.close();
    const stopped = (await readManifest(out))!;
    expect(stopped.parts.map((p) => [p.seqStart, p.seqEnd])).toEqual([[0, 10]]);
    expect(stopped.next).toEqual({ seq: 10, offset: 100 });
    // The resumed run continues the same manifest: its first part is short again (10..20),
    // then parts are 20 rows wide from the job's first row, as they would have been.
    const resumed = new PartCommitter(out, OUTPUT_FORMATS.arrow, schema, stopped, 20, () => undefined);
    for (let s = 10; s < 50; s += 10) await resumed.append(finishedWindow(s, s + 10));
    await resumed.finish();
    await resumed.close();
    const m = (await readManifest(out))!;
    expect(m.parts.map((p) => [p.file, p.seqStart, p.seqEnd])).toEqual([['part-00000.arrow', 0, 10], ['part-00001.arrow', 10, 20], ['part-00002.arrow', 20, 40], ['part-00003.arrow', 40, 50]]);
    expect(m.rows_in).toBe(50);
  });

  it('records each part\'s input bytes and rejects lines, contiguous, with hashes that match the files', async () => {
    const out = join(root, 'identity');
    mkdirSync(out);
    const input = join(root, 'identity-input.txt');
    // finishedWindow puts row s at byte 10*s: 25 rows of 10 bytes, then bytes no part covers.
    writeFileSync(input, Buffer.from(Array.from({ length: 260 }, (_, i) => 97 + (i % 26))));
    const { c } = committer(out, 20, InputRanges.of(input, null));
    await c.append(finishedWindow(0, 10, [3]));
    await c.append(finishedWindow(10, 20, [12, 19]));
    await c.append(finishedWindow(20, 25, [22]));
    await c.finish();
    await c.close();
    const m = (await readManifest(out))!;
    const bytes = readFileSync(input);
    const rejects = readFileSync(join(out, 'rejects.jsonl'));
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(m.parts.map((p) => [p.offsetStart, p.offsetEnd, p.input?.start, p.input?.end])).toEqual([[null, 200, 0, 200], [200, 250, 200, 250]]);
    for (const p of m.parts) {
      expect(p.input!.sha256).toBe(sha(bytes.subarray(p.input!.start, p.input!.end)));
      expect(p.rejects.sha256).toBe(sha(rejects.subarray(p.rejects.offset, p.rejects.offset + p.rejects.bytes)));
    }
    expect(m.parts[1].rejects.offset).toBe(m.parts[0].rejects.bytes);
    expect(m.rejects.sha256).toBe(sha(rejects));
  });

  it('abandon leaves only what the manifest lists as complete', async () => {
    const out = join(root, 'abandon');
    const { c } = committer(out);
    await import('node:fs/promises').then((fs) => fs.mkdir(out));
    await c.append(finishedWindow(0, 20, [5]));
    await c.append(finishedWindow(20, 30, [21]));
    await c.abandon();
    const m = (await readManifest(out))!;
    expect(m.parts.map((p) => p.file)).toEqual(['part-00000.arrow']);
    expect(m.rows_rejected).toBe(1);
    // The open part stays a temp file, never under its final name; its reject is not in rejects.jsonl.
    expect(existsSync(join(out, 'part-00001.arrow'))).toBe(false);
    expect(existsSync(join(out, 'part-00001.arrow.tmp'))).toBe(true);
    expect(readFileSync(join(out, 'rejects.jsonl'), 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('a write error is a coded OutputError naming the directory', async () => {
    const out = join(root, 'gone');
    const { c } = committer(out);
    // The directory does not exist: opening the part fails with ENOENT.
    await expect(c.append(finishedWindow(0, 5))).rejects.toMatchObject({ name: 'OutputError', code: 'ALB_OUTPUT_IO', message: expect.stringContaining(out) });
  });
});
