import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reference, referenceArray } from '../helpers/reference.js';
import { cleanup, readManifestJson, readOutput, runCli, tempDir, tinyModel, vectors } from '../helpers/cli.js';

/**
 * The HF transformers reference (pooler_output, last_hidden_state) through the real CLI:
 * reader, tokenizer, batcher, worker pool, writer.
 */
let dir: string;
let input: string;
let model: string;
const ids = reference.texts.map((_, i) => `t${String(i).padStart(2, '0')}`);

beforeAll(() => {
  dir = tempDir();
  input = join(dir, 'texts.jsonl');
  writeFileSync(input, reference.texts.map((text, i) => JSON.stringify({ id: ids[i], text })).join('\n') + '\n');
  model = tinyModel('albert-tiny');
});
afterAll(() => cleanup(dir));

function maskedMeans(): Float32Array[] {
  const { data: hidden, shape } = referenceArray('last_hidden_state');
  const { data: mask } = referenceArray('attention_mask');
  const [B, S, H] = shape;
  return Array.from({ length: B }, (_, b) => {
    const acc = new Float64Array(H);
    let n = 0;
    for (let t = 0; t < S; t++) {
      if ((mask as BigInt64Array)[b * S + t] === 0n) continue;
      n++;
      for (let h = 0; h < H; h++) acc[h] += (hidden as Float32Array)[(b * S + t) * H + h];
    }
    return Float32Array.from(acc, (x) => x / n);
  });
}

function expectClose(actual: Float32Array[], expected: Float32Array[], tol: number): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  actual.forEach((row, i) => {
    expect(row.length).toBe(expected[i].length);
    row.forEach((v, h) => (worst = Math.max(worst, Math.abs(v - expected[i][h]))));
  });
  expect(worst).toBeLessThan(tol);
  return worst;
}

async function embed(args: string[]): Promise<ReturnType<typeof readOutput>> {
  const out = join(dir, `out-${Math.random().toString(36).slice(2)}`);
  const r = await runCli(['embed', input, '--out', out, '--model', model, '--max-length', String(reference.max_length), '--keep-empty', '--quiet', ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toBe('');
  const m = readManifestJson(out);
  expect(m).toMatchObject({ status: 'complete', rows_in: 24, rows_out: 24, rows_rejected: 0 });
  return readOutput(out);
}

describe('albert embed on the HF fixture', () => {
  const pooler = () => {
    const { data, shape } = referenceArray('pooler_output');
    return Array.from({ length: shape[0] }, (_, b) => (data as Float32Array).slice(b * shape[1], (b + 1) * shape[1]));
  };

  it('--pooling pooler --no-normalize is within 1e-4 of pooler_output, in input order', async () => {
    const t = await embed(['--pooling', 'pooler', '--no-normalize']);
    expect(t.getChild('id')!.toArray()).toEqual(ids);
    expectClose(vectors(t, 'embedding'), pooler(), 1e-4);
    const truncated = [...t.getChild('truncated')!].map(Boolean);
    expect(truncated.filter(Boolean).length).toBe(2);
    expect([...t.getChild('n_tokens')!].map(Number)).toEqual(reference.ids_unpadded.map((x) => Math.min(x.length, reference.max_length)));
    const meta = t.schema.metadata;
    expect(meta.get('albert.pooling')).toBe('pooler');
    expect(meta.get('albert.normalize')).toBe('false');
    expect(meta.get('albert.model_sha256')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('--pooling mean is within 1e-4 of the attention-masked mean of last_hidden_state', async () => {
    const t = await embed(['--pooling', 'mean', '--no-normalize']);
    expectClose(vectors(t, 'embedding'), maskedMeans(), 1e-4);
  });

  it('normalizes by default', async () => {
    const t = await embed([]);
    const expected = maskedMeans().map((v) => {
      const norm = Math.hypot(...v);
      return v.map((x) => x / norm);
    });
    expectClose(vectors(t, 'embedding'), expected, 1e-4);
  });

  it.each([
    ['1 worker, budget 64', ['--workers', '1', '--batch-tokens', '64']],
    ['2 workers, budget 200', ['--workers', '2', '--batch-tokens', '200', '--threads', '1']],
    ['2 workers, budget 100000', ['--workers', '2', '--batch-tokens', '100000', '--threads', '1']],
    ['tiny windows and parts', ['--window-rows', '5', '--part-rows', '10']],
  ])('gives the same values with %s', async (_name, args) => {
    const t = await embed(['--pooling', 'pooler', '--no-normalize', ...args]);
    expect(t.getChild('id')!.toArray()).toEqual(ids);
    expectClose(vectors(t, 'embedding'), pooler(), 1e-4);
  });

  it('works from a folder holding only spiece.model', async () => {
    const spm = tinyModel('albert-tiny', { spieceOnly: true });
    const r = await runCli(['tokenize', input, '--model', spm, '--keep-empty']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.input_ids)).toEqual(reference.ids_unpadded);
    expect(lines.map((l) => l.tokens)).toEqual(reference.tokens);
    expect(lines.map((l) => l.id)).toEqual(ids);
  });
});

describe('stdin and errors', () => {
  it('reads stdin with --format jsonl; without --format it says which option to pass', async () => {
    const out = join(dir, 'stdin');
    const text = reference.texts.slice(0, 3).map((t, i) => JSON.stringify({ id: ids[i], text: t })).join('\n');
    const r = await runCli(['embed', '-', '--format', 'jsonl', '--out', out, '--model', model, '--quiet'], { stdin: text });
    expect(r.code, r.stderr).toBe(0);
    expect(readOutput(out).getChild('id')!.toArray()).toEqual(ids.slice(0, 3));
    const bad = await runCli(['embed', '-', '--out', join(dir, 'stdin2'), '--model', model], { stdin: text });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/ALB_INPUT_FORMAT_UNKNOWN: .*--format/);
  });

  it('names the missing text column and the columns found', async () => {
    const csv = join(dir, 'cols.csv');
    writeFileSync(csv, 'id,body\n1,hello\n');
    const r = await runCli(['embed', csv, '--out', join(dir, 'cols'), '--model', model]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ALB_INPUT_MISSING_COLUMN: .*"text".*--text-column.*body/);
  });

  it('names a missing model file', async () => {
    const r = await runCli(['embed', input, '--out', join(dir, 'nomodel'), '--model', join(dir, 'nowhere')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ALB_MODEL_NOT_FOUND: --model');
  });
});

describe('albert tokenize', () => {
  it('prints the reference ids for all 24 texts as JSON lines', async () => {
    const r = await runCli(['tokenize', input, '--model', model, '--keep-empty']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.input_ids)).toEqual(reference.ids_unpadded);
  });
});
