import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OutputError } from '../../src/errors.js';
import { MANIFEST_FORMAT, type Manifest } from '../../src/pipeline/manifest.js';
import { EMPTY_SHA256 } from '../../src/pipeline/job-summary.js';
import { prepareOutputDir } from '../../src/pipeline/output-dir.js';

const root = mkdtempSync(join(tmpdir(), 'albert-output-dir-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
/** A fresh directory under `root` holding `files` (name -> content). */
function dirWith(files: Record<string, string | Buffer> = {}): string {
  const dir = join(root, `case-${n++}`);
  mkdirSync(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

const listing = (dir: string): string[] => readdirSync(dir).sort();

const FRESH = { resume: false, overwrite: false };
const RESUME = { resume: true, overwrite: false };
const OVERWRITE = { resume: false, overwrite: true };

/** A minimal manifest that passes readManifest's checks. */
function manifest(parts: string[], rejectsBytes = 0): Manifest {
  return {
    format: MANIFEST_FORMAT,
    tool: { name: 'albert-pipeline', version: '0.1.0' },
    task: 'embed',
    status: 'interrupted',
    fingerprint: { pooling: 'mean' },
    model: { name: 'albert-tiny', sha256: '0'.repeat(64), execution_provider: 'cpu', fallback_reason: null },
    input: { path: 'corpus.csv', bytes: 1000 },
    parts: parts.map((file, i) => ({
      file,
      seqStart: i * 10,
      seqEnd: (i + 1) * 10,
      offsetStart: i === 0 ? null : i * 100,
      offsetEnd: (i + 1) * 100,
      rows: 10,
      rejected: 0,
      bytes: 8,
      sha256: 'f'.repeat(64),
      input: { start: i * 100, end: (i + 1) * 100, sha256: 'e'.repeat(64) },
      rejects: { file: 'rejects.jsonl', offset: 0, bytes: 0, sha256: EMPTY_SHA256 },
    })),
    next: { seq: parts.length * 10, offset: null },
    rejects: { file: 'rejects.jsonl', bytes: rejectsBytes, sha256: EMPTY_SHA256, by_code: {} },
    rows_in: parts.length * 10,
    rows_out: parts.length * 10,
    rows_rejected: 0,
    tokens: 0,
    counts: {},
    elapsed_s: 1,
    docs_per_s: 0,
    tokens_per_s: 0,
    stages_ms: { readMs: 0, tokenizeMs: 0, queueMs: 0, inferMs: 0, postMs: 0, writeMs: 0 },
    started_at: '2024-01-01T00:00:00.000Z',
    updated_at: '2024-01-01T00:00:01.000Z',
    rerun: null,
  };
}

const json = (m: Manifest): string => `${JSON.stringify(m, null, 2)}\n`;

/** The OutputError `prepareOutputDir` rejects with (fails the test if it resolves). */
async function refusal(out: string, mode: { resume: boolean; overwrite: boolean }): Promise<OutputError> {
  const err = await prepareOutputDir(out, mode).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, 'prepareOutputDir should have refused').toBeInstanceOf(OutputError);
  return err as OutputError;
}

describe('prepareOutputDir: a fresh --out', () => {
  it('creates a missing --out (parents too) and returns null', async () => {
    const out = join(root, 'missing', 'nested', 'out');
    expect(existsSync(out)).toBe(false);
    await expect(prepareOutputDir(out, FRESH)).resolves.toBeNull();
    expect(lstatSync(out).isDirectory()).toBe(true);
    expect(readdirSync(out)).toEqual([]);
  });

  it('accepts an existing empty directory and returns null', async () => {
    const out = dirWith();
    await expect(prepareOutputDir(out, FRESH)).resolves.toBeNull();
    expect(readdirSync(out)).toEqual([]);
  });

  it('refuses a non-empty directory with ALB_OUTPUT_NOT_EMPTY, naming it and its first entries', async () => {
    const out = dirWith({ 'a.txt': 'a', 'b.txt': 'b', 'c.txt': 'c', 'd.txt': 'd' });
    const err = await refusal(out, FRESH);
    expect(err.code).toBe('ALB_OUTPUT_NOT_EMPTY');
    expect(err.message).toContain(`--out ${out} is not empty (`);
    // readdir order is not guaranteed: three of the four names, then an ellipsis.
    const named = /is not empty \((.*)\)/.exec(err.message)![1]!.split(', ');
    expect(named).toHaveLength(4);
    expect(named[3]).toBe('...');
    for (const name of named.slice(0, 3)) expect(['a.txt', 'b.txt', 'c.txt', 'd.txt']).toContain(name);
    expect(err.message).toContain('pass --resume to continue it or --overwrite to replace it');
    expect(err.details).toMatchObject({ option: '--out', out });
    expect(listing(out)).toEqual(['a.txt', 'b.txt', 'c.txt', 'd.txt']);
  });

  it('names a single entry without an ellipsis', async () => {
    const out = dirWith({ 'notes.txt': 'mine' });
    const err = await refusal(out, FRESH);
    expect(err.code).toBe('ALB_OUTPUT_NOT_EMPTY');
    expect(err.message).toBe(`--out ${out} is not empty (notes.txt); pass --resume to continue it or --overwrite to replace it`);
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('says a directory holding manifest.json "already holds a job"', async () => {
    const out = dirWith({ 'manifest.json': json(manifest(['part-00000.arrow'])), 'part-00000.arrow': 'ARROW1' });
    const err = await refusal(out, FRESH);
    expect(err.code).toBe('ALB_OUTPUT_NOT_EMPTY');
    expect(err.message).toBe(`--out ${out} already holds a job; pass --resume to continue it or --overwrite to replace it`);
    expect(listing(out)).toEqual(['manifest.json', 'part-00000.arrow']);
  });
});

describe('prepareOutputDir: what --out is', () => {
  it.each([
    ['fresh', FRESH],
    ['--resume', RESUME],
    ['--overwrite', OVERWRITE],
  ])('refuses a symlinked --out with ALB_OUTPUT_SYMLINK (%s) and writes nothing through it', async (_name, mode) => {
    // The link's target looks like a job, so each mode would otherwise write or delete there.
    const real = dirWith({ 'manifest.json': json(manifest(['part-00000.arrow'])), 'part-00000.arrow': 'ARROW1', 'part-00001.arrow': 'stray', 'x.tmp': 'tmp' });
    const before = Object.fromEntries(listing(real).map((f) => [f, readFileSync(join(real, f), 'utf8')]));
    const link = join(root, `link-${n++}`);
    symlinkSync(real, link);
    const err = await refusal(link, mode);
    expect(err.code).toBe('ALB_OUTPUT_SYMLINK');
    expect(err.message).toContain(`--out ${link} is a symlink`);
    expect(Object.fromEntries(listing(real).map((f) => [f, readFileSync(join(real, f), 'utf8')]))).toEqual(before);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });

  it('refuses a symlink to a missing directory without creating it', async () => {
    const target = join(root, `nowhere-${n++}`);
    const link = join(root, `dangling-${n++}`);
    symlinkSync(target, link);
    const err = await refusal(link, FRESH);
    expect(err.code).toBe('ALB_OUTPUT_SYMLINK');
    expect(existsSync(target)).toBe(false);
  });

  it('refuses a regular file at --out with ALB_OUTPUT_NOT_DIR and leaves it alone', async () => {
    const file = join(root, `file-${n++}`);
    writeFileSync(file, 'not a dir');
    for (const mode of [FRESH, RESUME, OVERWRITE]) {
      const err = await refusal(file, mode);
      expect(err.code).toBe('ALB_OUTPUT_NOT_DIR');
      expect(err.message).toBe(`--out ${file} exists and is not a directory`);
    }
    expect(readFileSync(file, 'utf8')).toBe('not a dir');
  });
});

describe('prepareOutputDir: --overwrite', () => {
  it("removes only the job's own files (and their .tmp) and keeps foreign ones", async () => {
    const out = dirWith({
      'manifest.json': json(manifest(['part-00000.arrow'])),
      'manifest.json.tmp': '{',
      'rejects.jsonl': '{"row":1}\n',
      'rejects.jsonl.tmp': '{"row":1}\n{"row"',
      'part-00000.arrow': 'ARROW1',
      'part-00001.arrow': 'ARROW1',
      'part-00002.arrow.tmp': 'half',
      'notes.txt': 'keep me',
      'part-00000.arrow.bak': 'a backup the user made',
      'other.tmp': 'not ours',
      'manifest.json.orig': 'not ours either',
    });
    await expect(prepareOutputDir(out, OVERWRITE)).resolves.toBeNull();
    expect(listing(out)).toEqual(['manifest.json.orig', 'notes.txt', 'other.tmp', 'part-00000.arrow.bak']);
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('keep me');
    expect(readFileSync(join(out, 'part-00000.arrow.bak'), 'utf8')).toBe('a backup the user made');
  });

  it('--overwrite on a missing --out creates it', async () => {
    const out = join(root, `over-missing-${n++}`);
    await expect(prepareOutputDir(out, OVERWRITE)).resolves.toBeNull();
    expect(readdirSync(out)).toEqual([]);
  });
});

describe('prepareOutputDir: --resume without a manifest', () => {
  it('starts afresh in an empty directory', async () => {
    const out = dirWith();
    await expect(prepareOutputDir(out, RESUME)).resolves.toBeNull();
    expect(readdirSync(out)).toEqual([]);
  });

  it('starts afresh in a missing directory (the job died before creating it)', async () => {
    const out = join(root, `resume-missing-${n++}`);
    await expect(prepareOutputDir(out, RESUME)).resolves.toBeNull();
    expect(readdirSync(out)).toEqual([]);
  });

  it('starts afresh when only job .tmp files are left, and removes them', async () => {
    const out = dirWith({ 'part-00000.arrow.tmp': 'half a part', 'manifest.json.tmp': '{"format"', 'rejects.jsonl.tmp': '' });
    await expect(prepareOutputDir(out, RESUME)).resolves.toBeNull();
    expect(readdirSync(out)).toEqual([]);
  });

  it('refuses a directory with foreign files and no manifest with ALB_RESUME_NO_JOB, deleting nothing', async () => {
    const out = dirWith({ 'notes.txt': 'mine', 'part-00000.arrow.tmp': 'half' });
    const err = await refusal(out, RESUME);
    expect(err.code).toBe('ALB_RESUME_NO_JOB');
    expect(err.message).toBe(`--resume: ${out} has no manifest.json but holds notes.txt; there is no job to resume (use --overwrite, or another --out)`);
    expect(err.details).toMatchObject({ option: '--resume', out });
    expect(listing(out)).toEqual(['notes.txt', 'part-00000.arrow.tmp']);
  });

  it('takes a lone part-00000 without a manifest for what it is, a part renamed just before the first manifest: starts afresh', async () => {
    const out = dirWith({ 'part-00000.arrow': 'ARROW1', 'part-00001.arrow.tmp': 'half' });
    await expect(prepareOutputDir(out, RESUME)).resolves.toBeNull();
    expect(listing(out)).toEqual([]);
  });

  it('takes part-00000 and rejects.jsonl without a manifest for a kill just before the first manifest: starts afresh', async () => {
    // The committer appends the first part's rejects (fsynced) before it writes the first
    // manifest; a kill -9 in between left this, and --resume refused it (ALB_RESUME_NO_JOB).
    const out = dirWith({ 'part-00000.arrow': 'ARROW1', 'rejects.jsonl': '{"row":3}\n' });
    await expect(prepareOutputDir(out, RESUME)).resolves.toBeNull();
    expect(listing(out)).toEqual([]);
  });

  it('counts any other part without a manifest as foreign (ALB_RESUME_NO_JOB), deleting nothing', async () => {
    const out = dirWith({ 'part-00000.arrow': 'ARROW1', 'part-00001.arrow': 'ARROW1' });
    const err = await refusal(out, RESUME);
    expect(err.code).toBe('ALB_RESUME_NO_JOB');
    expect(err.message).toContain('holds part-00001.arrow');
    expect(listing(out)).toEqual(['part-00000.arrow', 'part-00001.arrow']);
  });
});

describe('prepareOutputDir: --resume with a manifest', () => {
  it('returns the manifest, drops unlisted parts and every .tmp, and keeps listed parts byte for byte', async () => {
    const m = manifest(['part-00000.arrow', 'part-00001.arrow']);
    const part0 = Buffer.from([0x41, 0x52, 0x52, 0x4f, 0x57, 0x31, 0x00, 0x00, 0xff, 0x01]);
    const part1 = Buffer.from('ARROW1\0\0second part');
    const out = dirWith({
      'manifest.json': json(m),
      'manifest.json.tmp': '{"half":',
      'part-00000.arrow': part0,
      'part-00001.arrow': part1,
      // Renamed just before the crash, but the manifest never listed it.
      'part-00002.arrow': 'ARROW1 uncommitted',
      'part-00003.arrow.tmp': 'half a part',
      // A .tmp of a listed part is not the part.
      'part-00001.arrow.tmp': 'stale',
      'rejects.jsonl.tmp': 'x',
      'notes.txt': 'keep me',
    });
    const got = await prepareOutputDir(out, RESUME);
    expect(got).toEqual(m);
    expect(listing(out)).toEqual(['manifest.json', 'notes.txt', 'part-00000.arrow', 'part-00001.arrow']);
    expect(readFileSync(join(out, 'part-00000.arrow')).equals(part0)).toBe(true);
    expect(readFileSync(join(out, 'part-00001.arrow')).equals(part1)).toBe(true);
    expect(readFileSync(join(out, 'manifest.json'), 'utf8')).toBe(json(m));
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('keep me');
  });

  it('truncates rejects.jsonl back to manifest.rejects.bytes', async () => {
    const committed = '{"row":3,"code":"ALB_EMPTY_TEXT"}\n{"row":9,"code":"ALB_EMPTY_TEXT"}\n';
    const uncommitted = '{"row":12,"code":"ALB_EMPTY_TEXT"}\n{"row":15,"co';
    const bytes = Buffer.byteLength(committed);
    const m = manifest(['part-00000.arrow'], bytes);
    const out = dirWith({ 'manifest.json': json(m), 'part-00000.arrow': 'ARROW1', 'rejects.jsonl': committed + uncommitted });
    expect(readFileSync(join(out, 'rejects.jsonl')).length).toBeGreaterThan(bytes);
    await expect(prepareOutputDir(out, RESUME)).resolves.toEqual(m);
    const after = readFileSync(join(out, 'rejects.jsonl'));
    expect(after.length).toBe(bytes);
    expect(after.toString('utf8')).toBe(committed);
    expect(listing(out)).toEqual(['manifest.json', 'part-00000.arrow', 'rejects.jsonl']);
  });

  it('truncates rejects.jsonl to empty when the manifest committed no rejects', async () => {
    const m = manifest([], 0);
    const out = dirWith({ 'manifest.json': json(m), 'rejects.jsonl': '{"row":1}\n' });
    await expect(prepareOutputDir(out, RESUME)).resolves.toEqual(m);
    expect(readFileSync(join(out, 'rejects.jsonl')).length).toBe(0);
  });

  it('accepts a missing rejects.jsonl when the manifest committed no rejects', async () => {
    const m = manifest(['part-00000.arrow'], 0);
    const out = dirWith({ 'manifest.json': json(m), 'part-00000.arrow': 'ARROW1' });
    await expect(prepareOutputDir(out, RESUME)).resolves.toEqual(m);
    expect(listing(out)).toEqual(['manifest.json', 'part-00000.arrow']);
  });

  it('refuses a manifest.json that is not valid JSON with ALB_MANIFEST_INVALID, deleting nothing', async () => {
    const out = dirWith({ 'manifest.json': '{"format": "albert-pipeline/manifest@1", "parts": [', 'part-00000.arrow': 'ARROW1', 'part-00001.arrow.tmp': 'half' });
    const err = await refusal(out, RESUME);
    expect(err.code).toBe('ALB_MANIFEST_INVALID');
    expect(err.message).toContain(`${join(out, 'manifest.json')}: not valid JSON: `);
    expect(err.message).toContain('the job in this folder cannot be resumed (use --overwrite to start over)');
    expect(listing(out)).toEqual(['manifest.json', 'part-00000.arrow', 'part-00001.arrow.tmp']);
  });

  it('refuses valid JSON that is not an albert-pipeline manifest with ALB_MANIFEST_INVALID', async () => {
    const out = dirWith({ 'manifest.json': JSON.stringify({ format: 'something-else@1', parts: [] }) });
    const err = await refusal(out, RESUME);
    expect(err.code).toBe('ALB_MANIFEST_INVALID');
    expect(err.message).toContain('format must be "albert-pipeline/manifest@2", got "something-else@1"');
  });
});
