import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Table } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertModel } from '../../src/convert/convert-model.js';
import { AlbertTokenizer } from '../../src/model/albert-tokenizer.js';
import { reference, referenceArray, TINY, tokenizerJsonText } from '../helpers/reference.js';
import { cleanup, readManifestJson, readOutput, runCli, tempDir, tinyModel } from '../helpers/cli.js';

/**
 * `embed --pooling none` through the real CLI on the HF fixture: every real token's vector
 * against HF's last_hidden_state, its id and piece against the tokenizer, its offsets into
 * the original text; `--layer embeddings` on a torch export and on our converted graph.
 */
let dir: string;
let input: string;
let model: string;
let converted: string;
const ids = reference.texts.map((_, i) => `t${String(i).padStart(2, '0')}`);
const S = reference.max_length;

beforeAll(async () => {
  dir = tempDir();
  input = join(dir, 'texts.jsonl');
  writeFileSync(input, reference.texts.map((text, i) => JSON.stringify({ id: ids[i], text })).join('\n') + '\n');
  model = tinyModel('albert-tiny');
  converted = join(dir, 'converted');
  await convertModel(join(TINY, 'albert-tiny'), converted, { tokenizerDir: join(TINY, 'tokenizer') });
});
afterAll(() => cleanup(dir));

async function embed(args: string[], m = model): Promise<Table> {
  const out = join(dir, `out-${Math.random().toString(36).slice(2)}`);
  const r = await runCli(['embed', input, '--out', out, '--model', m, '--max-length', String(S), '--keep-empty', '--quiet', ...args]);
  expect(r.code, r.stderr).toBe(0);
  expect(readManifestJson(out)).toMatchObject({ status: 'complete', rows_in: 24, rows_out: 24, rows_rejected: 0 });
  return readOutput(out);
}

/** Each row's token vectors, [tokens][H]. */
function tokenVectors(t: Table, row: number): Float32Array[] {
  const list = t.getChild('token_embeddings')!.get(row)!;
  return Array.from({ length: list.length }, (_, k) => Float32Array.from(list.get(k) as Iterable<number>));
}

describe('embed --pooling none', () => {
  let t: Table;
  beforeAll(async () => {
    t = await embed(['--pooling', 'none']);
  });

  it('writes every real token of HF last_hidden_state within 1e-4, no padding, in input order', () => {
    const { data: hidden, shape } = referenceArray('last_hidden_state');
    const { data: mask } = referenceArray('attention_mask');
    const H = shape[2];
    expect(t.getChild('id')!.toArray()).toEqual(ids);
    let worst = 0;
    let tokens = 0;
    for (let b = 0; b < 24; b++) {
      const real = Array.from((mask as BigInt64Array).subarray(b * S, (b + 1) * S)).filter((m) => m === 1n).length;
      const vecs = tokenVectors(t, b);
      expect(vecs.length, `row ${b}`).toBe(real);
      vecs.forEach((v, k) => {
        expect(v.length).toBe(H);
        for (let h = 0; h < H; h++) worst = Math.max(worst, Math.abs(v[h] - (hidden as Float32Array)[(b * S + k) * H + h]));
      });
      tokens += real;
    }
    console.log(`--pooling none: ${tokens} tokens, worst |diff| vs HF last_hidden_state ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-4);
    expect(t.schema.metadata.get('albert.pooling')).toBe('none');
    expect(t.schema.metadata.get('albert.layer')).toBe('last');
  });

  it('gives the tokenizer ids and pieces (as HF tokenized them, truncated at the max length)', () => {
    const { data: inputIds } = referenceArray('input_ids');
    const vocab = AlbertTokenizer.fromJson(tokenizerJsonText(), S).vocabulary();
    for (let b = 0; b < 24; b++) {
      const got = Array.from(t.getChild('token_ids')!.get(b)!.toArray() as Int32Array);
      const want = Array.from((inputIds as BigInt64Array).subarray(b * S, b * S + got.length), Number);
      expect(got).toEqual(want);
      expect(got.length).toBe(Math.min(reference.ids_unpadded[b].length, S));
      expect(t.getChild('tokens')!.get(b)!.toArray()).toEqual(got.map((id) => vocab[id]));
      if (reference.ids_unpadded[b].length <= S) expect(t.getChild('tokens')!.get(b)!.toArray()).toEqual(reference.tokens[b]);
    }
    expect([...t.getChild('truncated')!].filter(Boolean)).toHaveLength(2);
  });

  it('gives offsets into the original text, in code points, that slice to the words', () => {
    const offsetsOf = (row: number) => [...t.getChild('offsets')!.get(row)!].map((o) => [o!.start as number, o!.end as number]);
    const slice = (text: string, [a, b]: number[]) => Array.from(text).slice(a, b).join('');
    // "God is Great! I won a lottery."
    const pieces = t.getChild('tokens')!.get(0)!.toArray() as string[];
    const spans = offsetsOf(0).map((o) => slice(reference.texts[0], o));
    expect(spans[0]).toBe('');
    expect(spans.at(-1)).toBe('');
    expect(pieces.map((p, k) => (p.startsWith('▁') ? ` ${spans[k]}` : spans[k])).join('').trim()).toBe(reference.texts[0]);
    // Emoji row: offsets count code points, so "and" is at 9-12, not at JS indices 11-14.
    const emoji = reference.texts.findIndex((x) => x.startsWith('Emoji'));
    const k = (t.getChild('tokens')!.get(emoji)!.toArray() as string[]).indexOf('▁and');
    expect(offsetsOf(emoji)[k]).toEqual([9, 12]);
    // The full-width row: NFKC's "ABC" pieces point at the full-width characters.
    const wide = reference.texts.findIndex((x) => x.startsWith('ＡＢＣ'));
    expect(slice(reference.texts[wide], offsetsOf(wide)[1])).toBe('Ａ');
  });
});

describe('embed --layer embeddings', () => {
  it('is the same on the torch export and on our converted graph, and mean pooling reads it too', async () => {
    const torch = await embed(['--pooling', 'none', '--layer', 'embeddings']);
    const ours = await embed(['--pooling', 'none', '--layer', 'embeddings'], converted);
    const pooled = await embed(['--pooling', 'mean', '--layer', 'embeddings', '--no-normalize']);
    expect(torch.schema.metadata.get('albert.layer')).toBe('embeddings');
    expect(pooled.schema.metadata.get('albert.layer')).toBe('embeddings');
    let worst = 0;
    let worstMean = 0;
    const last = await embed(['--pooling', 'none']);
    let differs = 0;
    for (let b = 0; b < 24; b++) {
      const a = tokenVectors(torch, b);
      const c = tokenVectors(ours, b);
      expect(c.length).toBe(a.length);
      a.forEach((v, k) => v.forEach((x, h) => (worst = Math.max(worst, Math.abs(x - c[k][h])))));
      const mean = Float64Array.from({ length: a[0].length }, (_, h) => a.reduce((s, v) => s + v[h], 0) / a.length);
      const p = Float32Array.from(pooled.getChild('embedding')!.get(b) as Iterable<number>);
      p.forEach((x, h) => (worstMean = Math.max(worstMean, Math.abs(x - mean[h]))));
      differs += Math.abs(tokenVectors(last, b)[1][0] - a[1][0]) > 1e-3 ? 1 : 0;
    }
    expect(worst).toBeLessThan(1e-5);
    expect(worstMean).toBeLessThan(1e-5);
    // Not the last layer's states under another name.
    expect(differs).toBeGreaterThan(20);
  });
});

describe('refusals', () => {
  it.each([
    [['--pooling', 'none', '--long', 'split'], /ALB_OPTION_CONFLICT: option --long split: --pooling none/],
    [['--pooling', 'pooler', '--layer', 'embeddings'], /ALB_OPTION_CONFLICT: option --layer embeddings/],
    [['--chunks'], /ALB_OPTION_CONFLICT: option --chunks writes the windows of --long split; this job has --long truncate/],
    [['--pooling', 'none', '--text-b-column', 'id'], /ALB_OPTION_CONFLICT: option --pooling none: offsets/],
    [['--chunk-tokens', '32'], /ALB_OPTION_CONFLICT: option --chunk-tokens .*--long truncate/],
    [['--long', 'split', '--chunk-tokens', '65'], /ALB_OPTION_INVALID: option --chunk-tokens: expected at most the max length \(64;/],
    [['--long', 'split', '--chunk-tokens', '16', '--chunk-overlap', '14'], /ALB_OPTION_INVALID: option --chunk-overlap: expected at most 13/],
  ])('%j', async (args, message) => {
    const out = join(dir, `refused-${Math.random().toString(36).slice(2)}`);
    const r = await runCli(['embed', input, '--out', out, '--model', model, '--max-length', String(S), ...(args as string[])]);
    // Option errors exit 2, before any model loads or output is written.
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message as RegExp);
  });
});
