import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Worker threads run compiled JavaScript, so the job runs from dist/ (npm test builds first).
import { embedTask, readSource, runJob } from '../../dist/src/index.js';
import { cleanup, readManifestJson, readOutput, readRejects, runCli, tempDir, tinyModel, writeCorpus } from '../helpers/cli.js';

/**
 * Inputs people have: gzip-compressed files, folders and globs of files, and a TSV named
 * `.csv`. Each gives the rows, bytes and resume behaviour of the plain single file.
 */
let dir: string;
let model: string;
let corpus: string;
let jsonlLines: string[];
let csvRef: string;
let jsonlRef: string;
const N = 1200;
const PER_FILE = 400;
const WINDOW_ROWS = 50;
const PART_ROWS = 200;

const jobOptions = () => ({ model, maxLength: 64, batchTokens: 512, windowRows: WINDOW_ROWS, partRows: PART_ROWS, workers: 2, threads: 1, quiet: true });
const flags = () => ['--model', model, '--max-length', '64', '--batch-tokens', '512', '--window-rows', String(WINDOW_ROWS), '--part-rows', String(PART_ROWS), '--workers', '2', '--threads', '1', '--quiet'];

async function embed(input: string, out: string, extra: string[] = []): Promise<void> {
  const r = await runCli(['embed', input, '--out', out, ...flags(), ...extra]);
  expect(r.code, r.stderr).toBe(0);
}

/** The job's rows as bytes: ids and embeddings of all parts, in order. */
function rowsOf(out: string): { ids: string[]; embedding: Buffer } {
  const t = readOutput(out);
  const ids = t.getChild('id')!.toArray() as string[];
  const chunks = t.getChild('embedding')!.data.map((d) => {
    const values = d.children[0].values as Float32Array;
    return Buffer.from(values.buffer, values.byteOffset + d.offset * d.type.listSize * 4, d.length * d.type.listSize * 4);
  });
  return { ids, embedding: Buffer.concat(chunks) };
}

function expectSameRows(out: string, ref: string): void {
  const got = rowsOf(out);
  const want = rowsOf(ref);
  expect(got.ids).toEqual(want.ids);
  expect(got.embedding.equals(want.embedding)).toBe(true);
  // Rejects carry byte offsets, which a compressed input has not: compare the rest.
  const strip = (rs: Array<Record<string, unknown>>) => rs.map(({ offset, ...r }) => (void offset, r));
  expect(strip(readRejects(out))).toEqual(strip(readRejects(ref)));
}

beforeAll(async () => {
  dir = tempDir();
  model = tinyModel('albert-tiny');
  corpus = join(dir, 'corpus.csv');
  // Some empty rows, so rejects must come out the same too.
  writeCorpus(corpus, N, 'row', (i) => i % 89 === 40);
  // The same texts as JSONL without ids: a row's id is then its seq, which shows that seq
  // runs on across the files of a folder.
  jsonlLines = [];
  for await (const item of readSource({ input: corpus, keepEmpty: true })) jsonlLines.push(JSON.stringify({ text: (item as { text: string }).text }));
  writeFileSync(join(dir, 'corpus.jsonl'), `${jsonlLines.join('\n')}\n`);
  csvRef = join(dir, 'csv-ref');
  jsonlRef = join(dir, 'jsonl-ref');
  await embed(corpus, csvRef);
  await embed(join(dir, 'corpus.jsonl'), jsonlRef);
});
afterAll(() => cleanup(dir));

/** The corpus's JSONL lines in 3 files of a new folder; `gz` names the files to compress. */
function jsonlFolder(name: string, gz: number[] = []): string {
  const folder = join(dir, name);
  mkdirSync(folder);
  for (let f = 0; f < 3; f++) {
    const body = `${jsonlLines.slice(f * PER_FILE, (f + 1) * PER_FILE).join('\n')}\n`;
    if (gz.includes(f)) writeFileSync(join(folder, `part-${f + 1}.jsonl.gz`), gzipSync(body));
    else writeFileSync(join(folder, `part-${f + 1}.jsonl`), body);
  }
  return folder;
}

describe('gzip inputs', () => {
  it('a .csv.gz and a .jsonl.gz give the ids and embedding bytes of the plain files; progress counts compressed bytes', async () => {
    const csvGz = join(dir, 'corpus.csv.gz');
    writeFileSync(csvGz, gzipSync(readFileSync(corpus)));
    const out = join(dir, 'csv-gz');
    await embed(csvGz, out);
    expectSameRows(out, csvRef);
    expect(readManifestJson(out).input.bytes).toBe(readFileSync(csvGz).length);

    const jsonlGz = join(dir, 'corpus.jsonl.gz');
    writeFileSync(jsonlGz, gzipSync(readFileSync(join(dir, 'corpus.jsonl'))));
    const out2 = join(dir, 'jsonl-gz');
    await embed(jsonlGz, out2);
    expectSameRows(out2, jsonlRef);
  });

  it('gzip bytes under a plain .csv name are found by their magic bytes', async () => {
    const input = join(dir, 'really-gzip.csv');
    writeFileSync(input, gzipSync(readFileSync(corpus)));
    const out = join(dir, 'magic');
    await embed(input, out);
    expectSameRows(out, csvRef);
  });

  it('an interrupted .csv.gz resumes by re-reading from the start and skipping the committed rows, byte-identical', async () => {
    const input = join(dir, 'corpus.csv.gz');
    const out = join(dir, 'gz-resume');
    const controller = new AbortController();
    const s = await runJob(embedTask, { input, out, ...jobOptions(), signal: controller.signal, onProgress: (p) => p.rowsDone >= 500 && controller.abort() });
    expect(s.status).toBe('interrupted');
    const m = readManifestJson(out);
    expect(m.next.seq).toBeGreaterThan(0);
    // A compressed input's rows have no file offsets: nothing to seek to.
    expect(m.next.offset).toBeNull();
    await embed(input, out, ['--resume']);
    expectSameRows(out, csvRef);
  });
});

describe('a folder or glob as the input', () => {
  let folder: string;
  let folderRef: string;
  beforeAll(async () => {
    folder = jsonlFolder('three');
    folderRef = join(dir, 'three-ref');
    await embed(folder, folderRef);
  });

  it('3 JSONL files give the rows of their concatenation, seq running on across them; the manifest lists the files', async () => {
    expectSameRows(folderRef, jsonlRef);
    expect(readFileSync(join(folderRef, 'rejects.jsonl')).equals(readFileSync(join(jsonlRef, 'rejects.jsonl')))).toBe(true);
    // Without an id field a row's id is its seq: every row but the rejected ones, 0 to N-1.
    expect(rowsOf(folderRef).ids).toEqual(Array.from({ length: N }, (_, i) => String(i)).filter((_, i) => i % 89 !== 40));
    const files = readdirSync(folder).sort().map((name) => ({ name, bytes: readFileSync(join(folder, name)).length }));
    const m = readManifestJson(folderRef);
    expect(m.input).toEqual({ path: folder, bytes: files.reduce((a, f) => a + f.bytes, 0), files });
    expect(m.fingerprint.input_files).toEqual(files);
  });

  it("a quoted glob ('three/*.jsonl') reads the same files", async () => {
    const out = join(dir, 'glob');
    await embed(join(folder, '*.jsonl'), out);
    expectSameRows(out, folderRef);
  });

  it('an interrupt in the second file resumes there (seeking by offset), byte-identical', async () => {
    const out = join(dir, 'three-resume');
    const controller = new AbortController();
    const s = await runJob(embedTask, { input: folder, out, ...jobOptions(), signal: controller.signal, onProgress: (p) => p.rowsDone >= PER_FILE + 60 && controller.abort() });
    expect(s.status).toBe('interrupted');
    const m = readManifestJson(out);
    expect(m.next.seq, 'the stop should land in the second file').toBeGreaterThanOrEqual(PER_FILE);
    expect(m.next.seq).toBeLessThan(2 * PER_FILE);
    expect(m.next.offset).toBeGreaterThan(readFileSync(join(folder, 'part-1.jsonl')).length - 1);
    await embed(folder, out, ['--resume']);
    expectSameRows(out, folderRef);
    expect(readFileSync(join(out, 'rejects.jsonl')).equals(readFileSync(join(folderRef, 'rejects.jsonl')))).toBe(true);
  });

  it('an interrupt in a gzip file of the folder resumes by re-reading and skipping, byte-identical', async () => {
    const mixed = jsonlFolder('with-gz', [1]);
    const ref = join(dir, 'with-gz-ref');
    await embed(mixed, ref);
    expectSameRows(ref, jsonlRef);
    const out = join(dir, 'with-gz-resume');
    const controller = new AbortController();
    const s = await runJob(embedTask, { input: mixed, out, ...jobOptions(), signal: controller.signal, onProgress: (p) => p.rowsDone >= PER_FILE + 60 && controller.abort() });
    expect(s.status).toBe('interrupted');
    const m = readManifestJson(out);
    expect(m.next.seq).toBeGreaterThanOrEqual(PER_FILE);
    expect(m.next.seq).toBeLessThan(2 * PER_FILE);
    expect(m.next.offset).toBeNull();
    await embed(mixed, out, ['--resume']);
    expectSameRows(out, ref);
    expect(readFileSync(join(out, 'rejects.jsonl')).equals(readFileSync(join(ref, 'rejects.jsonl')))).toBe(true);
  });

  it('--resume on another set of files is refused, naming what changed', async () => {
    const grown = jsonlFolder('grown');
    const out = join(dir, 'grown-out');
    const controller = new AbortController();
    await runJob(embedTask, { input: grown, out, ...jobOptions(), signal: controller.signal, onProgress: (p) => p.rowsDone >= 300 && controller.abort() });
    writeFileSync(join(grown, 'part-4.jsonl'), '{"text":"late"}\n');
    const r = await runCli(['embed', grown, '--out', out, ...flags(), '--resume']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ALB_RESUME_MISMATCH');
    expect(r.stderr).toContain('"part-4.jsonl" is new');
  });

  it('static shards over a folder: each file cut on its own, a gzip file whole in one shard; merged, the rows of one run', async () => {
    const mixed = join(dir, 'with-gz');
    const out = join(dir, 'with-gz-shards');
    const r = await runCli(['embed', mixed, '--out', out, ...flags(), '--shard-count', '1', '--shard-index', '0', '--shard-rows', '200']);
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(readFileSync(join(out, 'plan.json'), 'utf8'));
    const gzShards = plan.shards.filter((s: { input: string }) => s.input.endsWith('.gz'));
    expect(gzShards).toEqual([expect.objectContaining({ startOffset: 0, endOffset: readFileSync(join(mixed, 'part-2.jsonl.gz')).length, firstSeq: PER_FILE, rows: PER_FILE })]);
    expect(plan.shards.map((s: { firstSeq: number }) => s.firstSeq)).toEqual([0, 200, 400, 800, 1000]);
    expect((await runCli(['merge-manifest', out])).code).toBe(0);
    expect(rowsOf(out).ids).toEqual(rowsOf(join(dir, 'with-gz-ref')).ids);
    expect(rowsOf(out).embedding.equals(rowsOf(join(dir, 'with-gz-ref')).embedding)).toBe(true);
  });

  it('an empty folder is ALB_INPUT_NO_FILES, and --out stays as it was', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const out = join(dir, 'empty-out');
    const r = await runCli(['embed', empty, '--out', out, ...flags()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ALB_INPUT_NO_FILES');
    expect(r.stderr).toContain('no input files (looked for *.csv, *.tsv, *.jsonl');
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  });
});

describe('a TSV named .csv', () => {
  it('says it looks tab-separated and to pass --format tsv; with it, it reads', async () => {
    const input = join(dir, 'tabs.csv');
    writeFileSync(input, 'id\ttext\tsource\na\thello world\tweb\nb\tsecond row\tweb\n');
    const r = await runCli(['embed', input, '--out', join(dir, 'tabs-out'), ...flags()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ALB_INPUT_MISSING_COLUMN');
    expect(r.stderr).toContain('pass --format tsv');
    const ok = await runCli(['embed', input, '--out', join(dir, 'tabs-tsv'), ...flags(), '--format', 'tsv']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(rowsOf(join(dir, 'tabs-tsv')).ids).toEqual(['a', 'b']);
  });
});
