import { cpSync, existsSync, readFileSync, readdirSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Worker threads run compiled JavaScript, so the job runs from dist/ (npm test builds first).
import { embedTask, runJob } from '../../dist/src/index.js';
import { cleanup, readManifestJson, readOutput, runCli, tempDir, tinyModel, writeCorpus } from '../helpers/cli.js';

/**
 * --resume trusts nothing it has not checked: the input's committed bytes, every committed
 * part and the rejects lines are proven before a row is added, and what is damaged is
 * refused with the code and the command that repairs it. Each case here is one of the
 * findings of issue 15, run as a user would.
 */
let dir: string;
let model: string;
let corpus: string;
let ref: string;
/** An interrupted job on `corpus`: some parts committed, the rest to do. */
let partial: string;
const N = 1200;
const flags = () => ['--model', model, '--max-length', '64', '--batch-tokens', '512', '--window-rows', '50', '--part-rows', '200', '--workers', '1', '--threads', '1', '--quiet'];
const jobOptions = () => ({ model, maxLength: 64, batchTokens: 512, windowRows: 50, partRows: 200, workers: 1, threads: 1, quiet: true });
const empty = (i: number) => i % 97 === 13;

beforeAll(async () => {
  dir = tempDir();
  model = tinyModel('albert-tiny');
  corpus = join(dir, 'corpus.csv');
  writeCorpus(corpus, N, 'doc', empty);
  ref = join(dir, 'ref');
  expect((await runJob(embedTask, { input: corpus, out: ref, ...jobOptions() })).status).toBe('complete');
  partial = join(dir, 'partial');
  const controller = new AbortController();
  const s = await runJob(embedTask, { input: corpus, out: partial, ...jobOptions(), signal: controller.signal, onProgress: (p) => p.rowsDone >= 650 && controller.abort() });
  expect(s.status).toBe('interrupted');
  expect(s.parts).toBeGreaterThanOrEqual(2);
}, 120_000);
afterAll(() => cleanup(dir));

let n = 0;
/** A copy of the interrupted job (and of its input), to damage. */
function copyOf(src: string): { out: string; input: string } {
  const out = join(dir, `case-${n++}`);
  cpSync(src, out, { recursive: true });
  const input = join(dir, `input-${n}.csv`);
  cpSync(corpus, input);
  return { out, input };
}

/** A partial job whose manifest names `input` (its own copy of the corpus). */
async function partialOn(): Promise<{ out: string; input: string }> {
  const input = join(dir, `own-${n++}.csv`);
  cpSync(corpus, input);
  const out = join(dir, `case-${n++}`);
  const controller = new AbortController();
  await runJob(embedTask, { input, out, ...jobOptions(), signal: controller.signal, onProgress: (p) => p.rowsDone >= 650 && controller.abort() });
  return { out, input };
}

const ids = (out: string) => readOutput(out).getChild('id')!.toArray() as string[];
const noStack = (stderr: string) => expect(stderr).not.toMatch(/^\s+at /m);

function expectSameAsRef(out: string, refOut = ref): void {
  const a = readOutput(out);
  const b = readOutput(refOut);
  expect(a.getChild('id')!.toArray()).toEqual(b.getChild('id')!.toArray());
  const ea = a.getChild('embedding')!.data.map((d) => Buffer.from((d.children[0].values as Float32Array).slice(d.offset * d.type.listSize, (d.offset + d.length) * d.type.listSize).buffer));
  const eb = b.getChild('embedding')!.data.map((d) => Buffer.from((d.children[0].values as Float32Array).slice(d.offset * d.type.listSize, (d.offset + d.length) * d.type.listSize).buffer));
  expect(Buffer.concat(ea).equals(Buffer.concat(eb))).toBe(true);
  expect(readFileSync(join(out, 'rejects.jsonl')).equals(readFileSync(join(refOut, 'rejects.jsonl')))).toBe(true);
}

describe('finding 1: an input changed before --resume', () => {
  it.each([
    ['a row before the resume point shortened by 2 bytes', (t: string) => t.replace(/^(doc-10,)(..)/m, '$1')],
    ['8 bytes added before the resume point', (t: string) => t.replace(/^(doc-20,)/m, '$1ABCDEFGH')],
    ['a row inserted at the start', (t: string) => t.replace('id,text\n', 'id,text\nnew-0,an inserted row\n')],
  ])('%s: ALB_RESUME_INPUT_CHANGED names the file and the range; nothing is written', async (_what, edit) => {
    const { out, input } = await partialOn();
    const before = readFileSync(join(out, 'manifest.json'), 'utf8');
    writeFileSync(input, edit(readFileSync(input, 'utf8')));
    const r = await runCli(['embed', input, '--out', out, '--resume', ...flags()]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('ALB_RESUME_INPUT_CHANGED');
    expect(r.stderr).toContain(input);
    expect(r.stderr).toMatch(/bytes \d+-\d+ \(rows 0-199, committed in part-00000\.arrow\)/);
    noStack(r.stderr);
    expect(readFileSync(join(out, 'manifest.json'), 'utf8')).toBe(before);
  }, 120_000);

  it('rows appended at the end are new rows: the resume goes on, and gives what a clean run on the longer input gives', async () => {
    const { out, input } = await partialOn();
    writeFileSync(input, `${readFileSync(input, 'utf8')}extra-1,an appended row\nextra-2,another appended row\n`);
    const r = await runCli(['embed', input, '--out', out, '--resume', ...flags()]);
    expect(r.code, r.stderr).toBe(0);
    const clean = join(dir, `clean-${n++}`);
    expect((await runCli(['embed', input, '--out', clean, ...flags()])).code).toBe(0);
    expectSameAsRef(out, clean);
    expect(ids(out).slice(-2)).toEqual(['extra-1', 'extra-2']);
  }, 120_000);

  it('--trust-input skips the re-hash and says so', async () => {
    const { out, input } = await partialOn();
    const r = await runCli(['embed', input, '--out', out, '--resume', '--trust-input', ...flags().filter((f) => f !== '--quiet')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/--trust-input: not re-reading the \d+ committed bytes/);
  }, 120_000);
});

describe('finding 2: committed parts are verified', () => {
  it('a truncated part: --resume refuses with ALB_OUTPUT_CORRUPT and the repair command; albert repair redoes it; the resume then matches a clean run', async () => {
    const { out } = copyOf(partial);
    const file = join(out, 'part-00001.arrow');
    truncateSync(file, 1000);
    const r = await runCli(['embed', corpus, '--out', out, '--resume', ...flags()]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('ALB_OUTPUT_CORRUPT');
    expect(r.stderr).toContain('part-00001.arrow is 1000 bytes');
    expect(r.stderr).toContain(`albert repair ${out}`);
    noStack(r.stderr);
    const fix = await runCli(['repair', out]);
    expect(fix.code, fix.stderr).toBe(0);
    expect(fix.stderr).toContain('redid part-00001.arrow');
    expect((await runCli(['verify', out])).code).toBe(0);
    const again = await runCli(['embed', corpus, '--out', out, '--resume', ...flags()]);
    expect(again.code, again.stderr).toBe(0);
    expectSameAsRef(out);
  }, 180_000);

  it('a byte flipped inside a part: found by --verify full and by albert verify, not passed over', async () => {
    const { out } = copyOf(partial);
    const file = join(out, 'part-00000.arrow');
    const bytes = readFileSync(file);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    writeFileSync(file, bytes);
    const r = await runCli(['embed', corpus, '--out', out, '--resume', '--verify', 'full', ...flags()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ALB_OUTPUT_CORRUPT');
    expect(r.stderr).toContain('part-00000.arrow has the recorded size, but its sha256 differs');
    const v = await runCli(['verify', out, '--json']);
    expect(v.code).toBe(1);
    expect(JSON.parse(v.stdout).damage).toEqual([expect.objectContaining({ file: 'part-00000.arrow', part: 0 })]);
    expect((await runCli(['repair', out])).code).toBe(0);
    expect((await runCli(['embed', corpus, '--out', out, '--resume', ...flags()])).code).toBe(0);
    expectSameAsRef(out);
  }, 180_000);

  it('a deleted part of a complete job: --resume no longer says "nothing to do"', async () => {
    const { out } = copyOf(ref);
    unlinkSync(join(out, 'part-00002.arrow'));
    const r = await runCli(['embed', corpus, '--out', out, '--resume', ...flags()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('part-00002.arrow is missing');
    expect((await runCli(['repair', out, '--quiet'])).code).toBe(0);
    expectSameAsRef(out);
    const done = await runCli(['embed', corpus, '--out', out, '--resume', ...flags().filter((f) => f !== '--quiet')]);
    expect(done.stderr).toContain('nothing to do');
  }, 180_000);
});

describe('finding 3: a truncated rejects.jsonl', () => {
  it('is refused, never padded with NUL bytes, and albert repair rebuilds it', async () => {
    const { out } = copyOf(partial);
    const rejects = join(out, 'rejects.jsonl');
    const size = readFileSync(rejects).length;
    expect(size).toBeGreaterThan(0);
    truncateSync(rejects, Math.floor(size / 2));
    const r = await runCli(['embed', corpus, '--out', out, '--resume', ...flags()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ALB_OUTPUT_CORRUPT');
    expect(r.stderr).toContain('rejects.jsonl');
    expect(readFileSync(rejects).includes(0)).toBe(false);
    expect((await runCli(['repair', out, '--quiet'])).code).toBe(0);
    expect((await runCli(['embed', corpus, '--out', out, '--resume', ...flags()])).code).toBe(0);
    expectSameAsRef(out);
  }, 180_000);
});

describe('finding 5: a manifest of the wrong shape', () => {
  const edits: Array<[string, (m: Record<string, any>) => unknown, RegExp]> = [
    ['null', () => null, /not a JSON object/],
    ['"rejects": null', (m) => ({ ...m, rejects: null }), /rejects/],
    ['next missing', ({ next: _next, ...m }) => m, /next is missing/],
    ['parts missing', ({ parts: _parts, ...m }) => m, /parts is missing/],
    ['parts replaced by a bogus entry', (m) => ({ ...m, parts: [{ file: 'bogus' }] }), /parts\[0\]/],
  ];
  it.each(edits)('%s: ALB_MANIFEST_INVALID naming the field, no TypeError, no file deleted', async (_what, edit, names) => {
    const { out } = copyOf(partial);
    const m = readManifestJson(out);
    delete m.checksum;
    writeFileSync(join(out, 'manifest.json'), JSON.stringify(edit(m)));
    const listing = readdirSync(out).sort();
    const r = await runCli(['embed', corpus, '--out', out, '--resume', ...flags()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ALB_MANIFEST_INVALID');
    expect(r.stderr).toMatch(names);
    expect(r.stderr).not.toContain('TypeError');
    noStack(r.stderr);
    expect(readdirSync(out).sort()).toEqual(listing);
  }, 60_000);

  it('a manifest edited in place (its checksum no longer matches) is refused', async () => {
    const { out } = copyOf(partial);
    const text = readFileSync(join(out, 'manifest.json'), 'utf8');
    writeFileSync(join(out, 'manifest.json'), text.replace(/"rows_out": (\d+)/, (_m, v) => `"rows_out": ${Number(v)}`).replace(/"offset": (\d+)/, (_m, v) => `"offset": ${Number(v) + 1}`));
    const r = await runCli(['embed', corpus, '--out', out, '--resume', ...flags()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ALB_MANIFEST_INVALID');
    expect(r.stderr).toContain('checksum');
  }, 60_000);
});

describe('finding 8: --overwrite removes only what a job writes', () => {
  it("keeps a user's part-1.arrow and notes.txt, and removes the job's listed files", async () => {
    const { out } = copyOf(partial);
    writeFileSync(join(out, 'part-1.arrow'), 'my own file');
    writeFileSync(join(out, 'notes.txt'), 'mine too');
    const r = await runCli(['embed', corpus, '--out', out, '--overwrite', ...flags()]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(out, 'part-1.arrow'), 'utf8')).toBe('my own file');
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('mine too');
    expectSameAsRef(out);
    expect(existsSync(join(out, 'albert.lock'))).toBe(false);
  }, 120_000);
});
