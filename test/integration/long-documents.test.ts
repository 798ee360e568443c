import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Table } from 'apache-arrow';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlbertTokenizer } from '../../src/model/albert-tokenizer.js';
import { windowSpans } from '../../src/model/token-windows.js';
// Worker threads run compiled JavaScript, so the job runs from dist/ (npm test builds first).
import { embedTask, runJob } from '../../dist/src/index.js';
import { CLI, ROOT, cleanup, readManifestJson, readOutput, readRejects, runCli, tempDir, tinyModel, vectors } from '../helpers/cli.js';
import { tokenizerJsonText } from '../helpers/reference.js';

/**
 * `--long split|truncate|reject` end to end on the tiny HF fixture at max length 64: long
 * documents of 10 windows and more among ordinary rows, checked against the tokenizer and
 * against ONNX Runtime run directly on each window; resume, shards, a stop and kill -9 in
 * the middle of a long document give the bytes of an uninterrupted run.
 */
const MAX = 64;
const OVERLAP = 8;
const N = 600;
/** Rows holding a long document: one in the first part, two side by side, one at the end of a window. */
const LONG_ROWS = [30, 130, 131, 349, 520];
let dir: string;
let model: string;
let clsModel: string;
let corpus: string;
let texts: string[];
/** Rows over the max length: a paragraph of the sample may be too. */
let overMax: Set<number>;
const tok = AlbertTokenizer.fromJson(tokenizerJsonText(), MAX);

const csvField = (s: string) => `"${s.replace(/"/g, '""')}"`;

beforeAll(async () => {
  dir = tempDir();
  model = tinyModel('albert-tiny');
  clsModel = tinyModel('albert-tiny-cls');
  const sample = readFileSync(join(ROOT, 'data', 'sample.csv'), 'utf8');
  const paragraphs = [...sample.matchAll(/^doc-\d+,("(?:[^"]|"")*"|[^\n]*),/gm)].map((m) => (m[1].startsWith('"') ? m[1].slice(1, -1).replace(/""/g, '"') : m[1]));
  // A long document: paragraphs joined (with newlines and tabs the tokenizer collapses) to
  // at least 10 times the max length, plus a little non-ASCII for the character spans.
  const longDoc = async (k: number): Promise<string> => {
    let text = `Dokument ${k} — naïve café 🙂:`;
    for (let i = k; (await tok.encodeLong(text)).ids.length < 10 * MAX + 7 * k; i++) text += `${i % 3 ? ' ' : '\n\t'}${paragraphs[i % paragraphs.length]}`;
    return text;
  };
  texts = [];
  for (let i = 0; i < N; i++) texts.push(LONG_ROWS.includes(i) ? await longDoc(i) : i % 97 === 50 ? '' : paragraphs[(i * 7) % paragraphs.length]);
  overMax = new Set((await tok.encodeBatch(texts)).map((e, i) => (e.truncated ? i : -1)).filter((i) => i >= 0));
  corpus = join(dir, 'corpus.csv');
  writeFileSync(corpus, `id,text\n${texts.map((t, i) => `r-${i},${t === '' ? '' : csvField(t)}`).join('\n')}\n`);
});
afterAll(() => cleanup(dir));

const common = (m = model) => ['--model', m, '--max-length', String(MAX), '--window-rows', '50', '--part-rows', '100', '--workers', '2', '--threads', '1', '--quiet'];
const REJECTED = Array.from({ length: N }, (_, i) => i % 97 === 50 && !LONG_ROWS.includes(i)).filter(Boolean).length;

async function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const out = join(dir, `out-${Math.random().toString(36).slice(2)}`);
  const r = await runCli([...args.slice(0, 2), '--out', out, ...args.slice(2)], { env });
  expect(r.code, r.stderr).toBe(0);
  return out;
}

/** `[CLS] ids [SEP]` of each window through ONNX Runtime directly: mean of last_hidden_state, or softmax of logits. */
async function direct(file: string, windows: Int32Array[], what: 'mean' | 'probs'): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(file);
  try {
    const out: Float32Array[] = [];
    for (const ids of windows) {
      const S = ids.length;
      const feeds = {
        input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, S]),
        attention_mask: new ort.Tensor('int64', new BigInt64Array(S).fill(1n), [1, S]),
        token_type_ids: new ort.Tensor('int64', new BigInt64Array(S), [1, S]),
      };
      if (what === 'mean') {
        const h = (await session.run(feeds, ['last_hidden_state'])).last_hidden_state;
        const H = h.dims[2];
        const data = h.data as Float32Array;
        out.push(Float32Array.from({ length: H }, (_, k) => Array.from({ length: S }, (_, s) => data[s * H + k]).reduce((a, b) => a + b, 0) / S));
      } else {
        const l = (await session.run(feeds, ['logits'])).logits.data as Float32Array;
        const m = Math.max(...l);
        const e = Array.from(l, (x) => Math.exp(x - m));
        const z = e.reduce((a, b) => a + b, 0);
        out.push(Float32Array.from(e, (x) => x / z));
      }
    }
    return out;
  } finally {
    await session.release();
  }
}

async function windowsOf(text: string): Promise<{ ids: Int32Array[]; spans: Array<[number, number]>; n: number }> {
  const { ids } = await tok.encodeLong(text);
  const spans = windowSpans(ids.length, MAX, OVERLAP);
  return { ids: spans.map(([s, e]) => Int32Array.of(tok.special.cls, ...ids.subarray(s, e), tok.special.sep)), spans, n: ids.length };
}

/** Every row's id, vector bytes and windows (spans and vector bytes), in order. */
function contentOf(out: string): string[] {
  const t = readOutput(out);
  // toArray() is a view into the whole part's buffer: copy the vector's own floats.
  const hex = (v: unknown) => Buffer.from(Float32Array.from((v as { toArray(): Float32Array }).toArray()).buffer).toString('hex');
  return [...t].map((r) => JSON.stringify([r!.id, hex(r!.embedding), r!.n_tokens, [...r!.chunks].map((c) => [c!.chunk, c!.token_start, c!.token_end, c!.char_start, c!.char_end, hex(c!.embedding)])]));
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
const rowOf = (t: Table, id: string) => (t.getChild('id')!.toArray() as string[]).indexOf(id);

describe('embed --long split', () => {
  let split: Table;
  let splitOut: string;
  beforeAll(async () => {
    splitOut = await run(['embed', corpus, ...common(), '--long', 'split', '--chunks', '--no-normalize']);
    split = readOutput(splitOut);
  });

  it('cuts a document of 10x the max length into windows whose token spans cover it exactly, overlapping by 8', async () => {
    for (const seq of LONG_ROWS) {
      const row = rowOf(split, `r-${seq}`);
      const chunks = [...split.getChild('chunks')!.get(row)!];
      const { n, spans } = await windowsOf(texts[seq]);
      expect(n).toBeGreaterThanOrEqual(10 * MAX);
      expect(split.getChild('n_tokens')!.get(row)).toBe(n + 2);
      expect(chunks.map((c) => [c!.token_start, c!.token_end])).toEqual(spans);
      expect(chunks.map((c) => c!.chunk)).toEqual(spans.map((_, i) => i));
      expect(chunks.length).toBeGreaterThanOrEqual(11);
      expect(chunks[0]!.token_start).toBe(0);
      expect(chunks.at(-1)!.token_end).toBe(n);
      for (let i = 1; i < chunks.length; i++) expect(chunks[i]!.token_start).toBe(chunks[i - 1]!.token_end - OVERLAP);
      // Character spans: the first window starts at the text's start, the last ends at its end
      // (code points), and the windows move forward through the text.
      const cps = Array.from(texts[seq]);
      expect(chunks[0]!.char_start).toBe(0);
      expect(chunks.at(-1)!.char_end).toBe(cps.length);
      for (let i = 1; i < chunks.length; i++) {
        expect(chunks[i]!.char_start).toBeGreaterThan(chunks[i - 1]!.char_start);
        expect(chunks[i]!.char_start).toBeLessThan(chunks[i - 1]!.char_end);
      }
    }
  });

  it("writes a document's vector as the token-weighted mean of its windows' (1e-6), each window as ONNX Runtime computes it (1e-5)", async () => {
    const seq = LONG_ROWS[1];
    const row = rowOf(split, `r-${seq}`);
    const chunks = [...split.getChild('chunks')!.get(row)!];
    const doc = Float32Array.from(split.getChild('embedding')!.get(row) as Iterable<number>);
    const H = doc.length;
    const mean = new Float64Array(H);
    let total = 0;
    for (const c of chunks) {
      const w = c!.token_end - c!.token_start + 2;
      const v = c!.embedding.toArray() as Float32Array;
      for (let h = 0; h < H; h++) mean[h] += w * v[h];
      total += w;
    }
    expect(maxDiff(doc, mean.map((x) => x / total))).toBeLessThan(1e-6);
    const { ids } = await windowsOf(texts[seq]);
    const want = await direct(join(model, 'model.onnx'), ids, 'mean');
    chunks.forEach((c, i) => expect(maxDiff(c!.embedding.toArray() as Float32Array, want[i]), `window ${i}`).toBeLessThan(1e-5));
  });

  it('leaves short rows as truncate does, and counts rows, windows and rejects in the manifest', async () => {
    const truncated = readOutput(await run(['embed', corpus, ...common(), '--no-normalize']));
    const ids = truncated.getChild('id')!.toArray() as string[];
    expect(split.getChild('id')!.toArray()).toEqual(ids);
    const a = vectors(split, 'embedding');
    const b = vectors(truncated, 'embedding');
    let worst = 0;
    let compared = 0;
    ids.forEach((id, i) => {
      if (overMax.has(Number(id.slice(2)))) return;
      worst = Math.max(worst, maxDiff(a[i], b[i]));
      compared++;
    });
    expect(compared).toBeGreaterThan(200);
    expect(worst).toBeLessThan(1e-6);
    // Rows that fit are one window each.
    expect([...split.getChild('chunks')!].filter((c) => c!.length === 1)).toHaveLength(N - REJECTED - overMax.size);
    const m = readManifestJson(splitOut);
    const windows = [...split.getChild('chunks')!].filter((c) => c!.length > 1).reduce((s, c) => s + c!.length, 0);
    expect(m).toMatchObject({ rows_in: N, rows_out: N - REJECTED, rows_rejected: REJECTED });
    expect(m.counts).toEqual({ 'long.rows_split': overMax.size, 'long.windows': windows, 'long.rows_truncated': 0, 'long.rows_rejected': 0 });
    expect(m.fingerprint).toMatchObject({ long: 'split', chunk_tokens: MAX, chunk_overlap: OVERLAP, chunks: true });
    expect(split.schema.metadata.get('albert.long')).toBe('split');
  });

  it("--pooling max: a document's vector is the element-wise maximum of its windows' (max pooling over every token seen)", async () => {
    // The windows' mean was written for every pooling before: a mean of maxima is no max pooling.
    const maxed = readOutput(await run(['embed', corpus, ...common(), '--long', 'split', '--chunks', '--no-normalize', '--pooling', 'max']));
    for (const seq of LONG_ROWS) {
      const row = rowOf(maxed, `r-${seq}`);
      const chunks = [...maxed.getChild('chunks')!.get(row)!].map((c) => c!.embedding.toArray() as Float32Array);
      expect(chunks.length).toBeGreaterThan(1);
      const doc = Float32Array.from(maxed.getChild('embedding')!.get(row) as Iterable<number>);
      const want = doc.map((_, h) => Math.max(...chunks.map((v) => v[h])));
      expect(maxDiff(doc, want)).toBe(0);
      // Not the mean of the windows' maxima (which it was), by far more than rounding.
      const mean = doc.map((_, h) => chunks.reduce((a, v) => a + v[h], 0) / chunks.length);
      expect(maxDiff(doc, mean)).toBeGreaterThan(1e-3);
    }
  });

  it('normalizes after averaging: the document vector is the unit vector of the un-normalized mean', async () => {
    const normalized = readOutput(await run(['embed', corpus, ...common(), '--long', 'split', '--chunks']));
    const unit = (v: Float32Array) => {
      const norm = Math.hypot(...v);
      return v.map((x) => x / norm);
    };
    const a = vectors(normalized, 'embedding');
    const b = vectors(split, 'embedding');
    for (const seq of LONG_ROWS) {
      const row = rowOf(split, `r-${seq}`);
      expect(maxDiff(a[row], unit(b[row]))).toBeLessThan(1e-6);
      const chunk = normalized.getChild('chunks')!.get(row)!.get(3)!.embedding.toArray() as Float32Array;
      expect(Math.hypot(...chunk)).toBeCloseTo(1, 5);
    }
  });

  it('gives identical parts from static shards and from a run stopped mid-document and resumed', async () => {
    const ref = readManifestJson(splitOut).parts.map((p: { sha256: string }) => p.sha256);
    const sharded = join(dir, 'sharded');
    const args = ['embed', corpus, '--out', sharded, ...common(), '--long', 'split', '--chunks', '--no-normalize', '--shard-count', '2', '--shard-rows', '100'];
    const runs = await Promise.all([0, 1].map((i) => runCli([...args, '--shard-index', String(i)])));
    runs.forEach((r) => expect(r.code, r.stderr).toBe(0));
    expect((await runCli(['merge-manifest', sharded])).code).toBe(0);
    expect(readManifestJson(sharded).parts.map((p: { sha256: string }) => p.sha256)).toEqual(ref);
    expect(readManifestJson(sharded).counts).toEqual(readManifestJson(splitOut).counts);

    // A stop once rows past the first long documents are done: the windows in flight then
    // include the long ones, and the resumed job forms the same windows and batches.
    const stopped = join(dir, 'stopped');
    const controller = new AbortController();
    const options = { input: corpus, out: stopped, model, maxLength: MAX, windowRows: 50, partRows: 100, workers: 2, threads: 1, quiet: true, long: 'split', chunks: true, normalize: false } as const;
    const s = await runJob(embedTask, { ...options, signal: controller.signal, onProgress: (p: { rowsDone: number }) => p.rowsDone >= 120 && controller.abort() });
    expect(s.status).toBe('interrupted');
    expect(s.rows_in).toBeLessThan(N);
    const resumed = await runJob(embedTask, { ...options, resume: true });
    expect(resumed).toMatchObject({ status: 'complete', rows_in: N });
    // The stop left a short part; the rows, their windows and vectors are the same bytes.
    expect(contentOf(stopped)).toEqual(contentOf(splitOut));
    expect(readManifestJson(stopped).counts).toEqual(readManifestJson(splitOut).counts);
  });

  it('kill -9 while a long document is in the workers, then --resume: the bytes of an uninterrupted run', async () => {
    const ref = readManifestJson(splitOut);
    const out = join(dir, 'killed');
    const args = ['embed', corpus, '--out', out, ...common(), '--long', 'split', '--chunks', '--no-normalize'];
    // The long document at row 130 hangs its worker: its window (rows 100-149) is in flight,
    // some of its windows done, when the process is killed.
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: 'ignore', env: { ...process.env, ALBERT_FAULT_HANG_ROW: String(LONG_ROWS[1]) } });
    const closed = new Promise((res) => child.on('close', res));
    for (;;) {
      try {
        if (readManifestJson(out).parts.length >= 1) break;
      } catch {
        /* not yet */
      }
      await new Promise((res) => setTimeout(res, 20));
    }
    await new Promise((res) => setTimeout(res, 300));
    child.kill('SIGKILL');
    await closed;
    const atKill = readManifestJson(out);
    expect(atKill.next.seq).toBeLessThanOrEqual(LONG_ROWS[1]);
    const r = await runCli([...args, '--resume']);
    expect(r.code, r.stderr).toBe(0);
    const m = readManifestJson(out);
    expect(m.parts.map((p: { sha256: string }) => p.sha256)).toEqual(ref.parts.map((p: { sha256: string }) => p.sha256));
    for (const p of m.parts) expect(readFileSync(join(out, p.file)).equals(readFileSync(join(splitOut, p.file)))).toBe(true);
    expect(readFileSync(join(out, 'rejects.jsonl')).equals(readFileSync(join(splitOut, 'rejects.jsonl')))).toBe(true);
    expect(m).toMatchObject({ status: 'complete', rows_in: N, rows_out: N - REJECTED, counts: ref.counts });
    expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('rejects a long document once when its windows crash the worker, and keeps the accounting', async () => {
    const out = await run(['embed', corpus, ...common(), '--long', 'split'], { ALBERT_FAULT_THROW_ROW: String(LONG_ROWS[2]) });
    const rejects = readRejects(out).filter((x) => x.stage === 'infer');
    expect(rejects).toEqual([expect.objectContaining({ row: LONG_ROWS[2], id: `r-${LONG_ROWS[2]}`, code: 'ALB_WORKER_FAILED' })]);
    expect(readManifestJson(out)).toMatchObject({ rows_in: N, rows_out: N - REJECTED - 1, rows_rejected: REJECTED + 1 });
    expect(readOutput(out).getChild('id')!.toArray()).not.toContain(`r-${LONG_ROWS[2]}`);
  });

  it('refuses to resume a job with other --long options', async () => {
    const r = await runCli(['embed', corpus, '--out', splitOut, ...common(), '--long', 'split', '--chunks', '--no-normalize', '--chunk-overlap', '4', '--resume']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ALB_RESUME_MISMATCH: .*chunk_overlap=8, this run has chunk_overlap=4/);
  });
});

describe('label --long split', () => {
  it("averages the windows' probabilities by their tokens, each as ONNX Runtime computes it", async () => {
    const out = await run(['label', corpus, ...common(clsModel), '--long', 'split']);
    const t = readOutput(out);
    const seq = LONG_ROWS[0];
    const row = rowOf(t, `r-${seq}`);
    const { ids } = await windowsOf(texts[seq]);
    const probs = await direct(join(clsModel, 'model.onnx'), ids, 'probs');
    const total = ids.reduce((s, w) => s + w.length, 0);
    const want = probs[0].map((_, k) => probs.reduce((s, p, i) => s + ids[i].length * p[k], 0) / total);
    const got = t.getChild('probs')!.get(row)!.toArray() as Float32Array;
    expect(maxDiff(got, want)).toBeLessThan(1e-5);
    const names = JSON.parse(t.schema.metadata.get('albert.labels')!) as string[];
    expect(t.getChild('label')!.get(row)).toBe(names[want.indexOf(Math.max(...want))]);
    const m = readManifestJson(out);
    expect(names.reduce((s, n) => s + (m.counts[n] ?? 0), 0)).toBe(N - REJECTED);
    expect(m.counts['long.rows_split']).toBe(overMax.size);
  });

  it('is refused by tasks that cannot merge windows', async () => {
    const r = await runCli(['fill-mask', corpus, '--out', join(dir, 'fm'), '--model', tinyModel('albert-tiny-mlm'), '--long', 'split']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ALB_OPTION_CONFLICT: option --long split: `fill-mask` cannot merge/);
  });
});

describe('--long reject and truncate', () => {
  it('reject: rows over the max length become ALB_ROW_TOO_LONG rejects, counted', async () => {
    const out = await run(['embed', corpus, ...common(), '--long', 'reject']);
    const rejects = readRejects(out).filter((x) => x.code === 'ALB_ROW_TOO_LONG');
    const tooLong = (await tok.encodeBatch(texts)).map((e, i) => (e.truncated ? i : -1)).filter((i) => i >= 0);
    expect(rejects.map((x) => x.row)).toEqual(tooLong);
    expect(tooLong).toEqual(expect.arrayContaining(LONG_ROWS));
    const m = readManifestJson(out);
    expect(m.counts).toMatchObject({ 'long.rows_rejected': tooLong.length, 'long.rows_truncated': 0 });
    expect(m.rows_in).toBe(m.rows_out + m.rows_rejected);
    expect(m.fingerprint.long).toBe('reject');
  });

  it('truncate reads only the first pieces of a text over 64K characters, with the ids and offsets of a whole-text encode', async () => {
    const huge = join(dir, 'huge.jsonl');
    const text = `Start — naïve 🙂 ${texts[LONG_ROWS[0]]} `.repeat(30);
    expect(text.length).toBeGreaterThan(1 << 16);
    writeFileSync(huge, `${JSON.stringify({ id: 'huge', text })}\n${JSON.stringify({ id: 'small', text: 'a small one' })}\n`);
    const out = await run(['embed', huge, '--model', model, '--max-length', String(MAX), '--pooling', 'none', '--quiet']);
    const t = readOutput(out);
    const [want] = await tok.encodeBatch([text], undefined, { offsets: true });
    expect(Array.from(t.getChild('token_ids')!.get(0)!.toArray() as Int32Array)).toEqual([...want.ids]);
    expect([...t.getChild('offsets')!.get(0)!].flatMap((o) => [o!.start, o!.end])).toEqual([...want.offsets!]);
    expect(t.getChild('truncated')!.get(0)).toBe(true);
    expect(readManifestJson(out).counts['long.rows_truncated']).toBe(1);
  });
});

