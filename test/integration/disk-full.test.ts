import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, cleanup, readManifestJson, runCli, tempDir, tinyModel } from '../helpers/cli.js';

/**
 * ENOSPC during a write, on a real full filesystem: a small tmpfs. Mounting needs root
 * (CI and the dev containers have it); elsewhere the test is skipped and says why.
 */
let dir: string;
const mounts: string[] = [];
let why = '';

beforeAll(() => {
  dir = tempDir();
});
afterAll(() => {
  for (const m of mounts) execFileSync('umount', [m]);
  cleanup(dir);
});

/** A fresh 1 MiB tmpfs for one test, or null (and `why`) where mounting is not allowed. */
function smallDisk(name: string): string | null {
  const mnt = join(dir, name);
  mkdirSync(mnt);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { stdio: 'pipe' });
  } catch (err) {
    why = (err as Error).message.split('\n')[0];
    return null;
  }
  mounts.push(mnt);
  return mnt;
}

describe('disk full', () => {
  it.for(['arrow', 'parquet'])('fails cleanly with ALB_OUTPUT_DISK_FULL, keeps a valid manifest, and resumes once space is freed (%s parts)', async (format, ctx) => {
    const mnt = smallDisk(`small-disk-${format}`);
    if (!mnt) return ctx.skip(`cannot mount a tmpfs here (${why})`);
    const model = tinyModel('albert-tiny');
    const text = readFileSync(join(ROOT, 'data', 'sample.csv'), 'utf8').split('\n').slice(0, 1201).join('\n') + '\n';
    const input = join(dir, 'in.csv');
    writeFileSync(input, text);
    const args = ['--model', model, '--max-length', '64', '--window-rows', '100', '--part-rows', '200', '--output-format', format, '--quiet'];
    const ref = join(dir, `ref-${format}`);
    expect((await runCli(['embed', input, '--out', ref, ...args])).code).toBe(0);

    // 1,200 rows x 64 floats is ~330 kB of parts; leave room for about half of them.
    const filler = join(mnt, 'filler');
    writeFileSync(filler, Buffer.alloc(1024 * 1024 - 200 * 1024));
    const out = join(mnt, 'out');
    const full = await runCli(['embed', input, '--out', out, ...args]);
    expect(full.code).toBe(1);
    expect(full.stderr).toContain('ALB_OUTPUT_DISK_FULL');
    expect(full.stderr).toContain('--resume');
    const m = readManifestJson(out);
    expect(m.parts.length).toBeGreaterThan(0);
    expect(m.parts.length).toBeLessThan(6);
    for (const p of m.parts as Array<{ file: string; sha256: string }>) {
      expect(createHash('sha256').update(readFileSync(join(out, p.file))).digest('hex')).toBe(p.sha256);
    }

    rmSync(filler);
    const resumed = await runCli(['embed', input, '--out', out, ...args, '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const done = readManifestJson(out);
    expect(done.status).toBe('complete');
    expect(done.parts.map((p: { sha256: string }) => p.sha256)).toEqual(readManifestJson(ref).parts.map((p: { sha256: string }) => p.sha256));
  });

  it('a sharded run says ALB_OUTPUT_DISK_FULL too (not ALB_INTERNAL), keeps its committed shards, and finishes once space is freed', async (ctx) => {
    const mnt = smallDisk('small-disk-shards');
    if (!mnt) return ctx.skip(`cannot mount a tmpfs here (${why})`);
    const model = tinyModel('albert-tiny');
    const text = readFileSync(join(ROOT, 'data', 'sample.csv'), 'utf8').split('\n').slice(0, 1201).join('\n') + '\n';
    const input = join(dir, 'in-shards.csv');
    writeFileSync(input, text);
    const args = ['--model', model, '--max-length', '64', '--window-rows', '100', '--shard-rows', '200', '--shard-count', '1', '--shard-index', '0', '--quiet'];
    const ref = join(dir, 'ref-shards');
    expect((await runCli(['embed', input, '--out', ref, ...args])).code).toBe(0);
    expect((await runCli(['merge-manifest', ref])).code).toBe(0);

    const filler = join(mnt, 'filler');
    writeFileSync(filler, Buffer.alloc(1024 * 1024 - 200 * 1024));
    const out = join(mnt, 'out');
    const full = await runCli(['embed', input, '--out', out, ...args]);
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(/^albert: ALB_OUTPUT_DISK_FULL: no space left writing to .*small-disk-shards\/out; committed shards are kept/m);
    expect(full.stderr).not.toContain('ALB_INTERNAL');
    const committed = readdirSync(join(out, 'shards')).filter((d) => !d.startsWith('.tmp-'));
    expect(committed.length).toBeGreaterThan(0);
    expect(committed.length).toBeLessThan(6);

    rmSync(filler);
    const again = await runCli(['embed', input, '--out', out, ...args]);
    expect(again.code, again.stderr).toBe(0);
    expect((await runCli(['merge-manifest', out])).code).toBe(0);
    expect(readManifestJson(out).parts.map((p: { sha256: string }) => p.sha256)).toEqual(readManifestJson(ref).parts.map((p: { sha256: string }) => p.sha256));
  });
});
