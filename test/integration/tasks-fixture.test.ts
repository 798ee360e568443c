import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reference, referenceArray, TINY } from '../helpers/reference.js';
import { cleanup, readManifestJson, readOutput, readRejects, runCli, tempDir, tinyModel, vectors } from '../helpers/cli.js';

/** label, fill-mask and sop through the CLI, against the HF reference logits. */
let dir: string;
beforeAll(() => (dir = tempDir()));
afterAll(() => cleanup(dir));

function softmax(row: ArrayLike<number>): number[] {
  const m = Math.max(...Array.from(row));
  const e = Array.from(row, (x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

function jsonl(name: string, rows: object[]): string {
  const file = join(dir, name);
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return file;
}

async function run(args: string[], expectCode = 0) {
  const out = join(dir, `out-${Math.random().toString(36).slice(2)}`);
  const r = await runCli([...args, '--out', out, '--quiet']);
  expect(r.code, r.stderr).toBe(expectCode);
  return { out, r };
}

describe('albert label', () => {
  it('gives softmax(cls_logits) within 1e-4 on albert-tiny-cls', async () => {
    const input = jsonl('cls.jsonl', reference.texts.map((text, i) => ({ id: `r${i}`, text })));
    const { out } = await run(['label', input, '--model', tinyModel('albert-tiny-cls'), '--max-length', '64', '--keep-empty', '--top-k', '2']);
    const t = readOutput(out);
    const { data } = referenceArray('cls_logits');
    const probs = vectors(t, 'probs');
    const names = ['negative', 'neutral', 'positive'];
    probs.forEach((p, i) => {
      const want = softmax((data as Float32Array).subarray(i * 3, i * 3 + 3));
      want.forEach((w, j) => expect(Math.abs(p[j] - w)).toBeLessThan(1e-4));
      const best = want.indexOf(Math.max(...want));
      expect(t.getChild('label')!.get(i)).toBe(names[best]);
      expect(t.getChild('score')!.get(i)).toBeCloseTo(want[best], 4);
      const top = t.getChild('top_k')!.get(i)!.toArray().map((x: { label: string }) => x.label);
      expect(top[0]).toBe(names[best]);
      expect(top).toHaveLength(2);
    });
    expect(JSON.parse(t.schema.metadata.get('albert.labels')!)).toEqual(names);
    const m = readManifestJson(out);
    expect(names.map((n) => (m.counts as Record<string, number>)[n] ?? 0).reduce((a, b) => a + b, 0)).toBe(24);
    // Beside the labels, the long-document counts every task keeps (two rows are cut at max length 64).
    expect(m.counts).toMatchObject({ 'long.rows_truncated': 2, 'long.rows_split': 0, 'long.windows': 0, 'long.rows_rejected': 0 });
  });

  it('--multi-label uses sigmoid and lists labels above the threshold', async () => {
    const input = jsonl('ml.jsonl', reference.texts.slice(0, 6).map((text, i) => ({ id: `r${i}`, text })));
    const { out } = await run(['label', input, '--model', tinyModel('albert-tiny-cls'), '--max-length', '64', '--multi-label', '--threshold', '0.5']);
    const t = readOutput(out);
    const { data } = referenceArray('cls_logits');
    for (let i = 0; i < 6; i++) {
      const sig = Array.from((data as Float32Array).subarray(i * 3, i * 3 + 3), (x) => 1 / (1 + Math.exp(-x)));
      const p = vectors(t, 'probs')[i];
      sig.forEach((s, j) => expect(Math.abs(p[j] - s)).toBeLessThan(1e-4));
      const names = ['negative', 'neutral', 'positive'].filter((_, j) => sig[j] > 0.5);
      expect(t.getChild('labels')!.get(i)!.toArray()).toEqual(names);
    }
  });

  it('refuses a model without classification logits, naming what it has', async () => {
    const input = jsonl('one.jsonl', [{ id: 'a', text: 'hello' }]);
    const { r } = await run(['label', input, '--model', tinyModel('albert-tiny')], 1);
    expect(r.stderr).toContain('ALB_MODEL_TASK_UNSUPPORTED');
    expect(r.stderr).toContain('has outputs [last_hidden_state, pooler_output]; `label` needs `logits`');
  });
});

describe('albert fill-mask', () => {
  const summaries = JSON.parse(readFileSync(join(TINY, 'reference', 'logit-summaries.json'), 'utf8')).arrays.mlm_logits as {
    shape: [number, number];
    top5Ids: number[][];
    top5Values: number[][];
    logsumexp: number[];
  };

  it('gives the reference top-5 at every [MASK] with scores within 1e-4 of the softmax', async () => {
    const rows = [...reference.masked_texts.map((text, i) => ({ id: `m${i}`, text })), { id: 'nomask', text: 'there is no mask here' }];
    const input = jsonl('mlm.jsonl', rows);
    const { out } = await run(['fill-mask', input, '--model', tinyModel('albert-tiny-mlm')]);
    const t = readOutput(out);
    expect(t.getChild('id')!.toArray()).toEqual(['m0', 'm1', 'm2', 'm3']);
    const { data: ids } = referenceArray('mlm_input_ids');
    const S = summaries.shape[1];
    for (let i = 0; i < 4; i++) {
      const maskPositions = Array.from({ length: S }, (_, p) => p).filter((p) => (ids as BigInt64Array)[i * S + p] === 4n);
      const preds = t.getChild('predictions')!.get(i)!.toArray() as Array<{ position: number; token_id: number; score: number; token: string }>;
      expect(preds).toHaveLength(maskPositions.length * 5);
      maskPositions.forEach((pos, m) => {
        const flat = i * S + pos;
        const got = preds.slice(m * 5, m * 5 + 5);
        expect(got.map((p) => p.position)).toEqual([pos, pos, pos, pos, pos]);
        expect(got.map((p) => p.token_id)).toEqual(summaries.top5Ids[flat]);
        got.forEach((p, j) => expect(Math.abs(p.score - Math.exp(summaries.top5Values[flat][j] - summaries.logsumexp[flat]))).toBeLessThan(1e-4));
        expect(got[0].token.length).toBeGreaterThan(0);
      });
    }
    const rejects = readRejects(out);
    expect(rejects).toEqual([expect.objectContaining({ row: 4, id: 'nomask', stage: 'tokenize', code: 'ALB_ROW_NO_MASK' })]);
    expect(readManifestJson(out)).toMatchObject({ rows_in: 5, rows_out: 4, rows_rejected: 1, rejects: { by_code: { ALB_ROW_NO_MASK: 1 } } });
  });
});

describe('albert sop', () => {
  it('gives softmax(sop_logits) within 1e-4, reading the head width (3) from the model', async () => {
    const input = jsonl('pairs.jsonl', reference.pairs_a.map((a, i) => ({ id: `p${i}`, first: a, second: reference.pairs_b[i] })));
    const { out } = await run(['sop', input, '--model', tinyModel('albert-tiny-pretraining'), '--text-a-column', 'first', '--text-b-column', 'second']);
    const t = readOutput(out);
    const { data } = referenceArray('sop_logits');
    vectors(t, 'probs').forEach((p, i) => {
      const want = softmax((data as Float32Array).subarray(i * 3, i * 3 + 3));
      expect(p).toHaveLength(3);
      want.forEach((w, j) => expect(Math.abs(p[j] - w)).toBeLessThan(1e-4));
      expect(t.getChild('in_order')!.get(i)).toBe(want[0] >= Math.max(...want));
      expect(t.getChild('score')!.get(i)).toBeCloseTo(want[0], 4);
    });
  });

  it('needs --text-b-column, and a model with sop_logits', async () => {
    const input = jsonl('pairs2.jsonl', [{ id: 'a', text: 'one.', b: 'two.' }]);
    const noB = await run(['sop', input, '--model', tinyModel('albert-tiny-pretraining')], 2);
    expect(noB.r.stderr).toContain('--text-b-column');
    const wrong = await run(['sop', input, '--model', tinyModel('albert-tiny-cls'), '--text-b-column', 'b'], 1);
    expect(wrong.r.stderr).toContain('`sop` needs `sop_logits`');
  });
});

describe('pairs in embed', () => {
  it('encodes [CLS] a [SEP] b [SEP] with --text-b-column', async () => {
    const input = jsonl('epairs.jsonl', reference.pairs_a.map((a, i) => ({ id: `p${i}`, text: a, b: reference.pairs_b[i] })));
    const { out } = await run(['embed', input, '--model', tinyModel('albert-tiny'), '--text-b-column', 'b']);
    const t = readOutput(out);
    const { data: mask, shape } = referenceArray('sop_attention_mask');
    const lengths = Array.from({ length: shape[0] }, (_, i) => Array.from((mask as BigInt64Array).subarray(i * shape[1], (i + 1) * shape[1])).filter((x) => x === 1n).length);
    expect([...t.getChild('n_tokens')!].map(Number)).toEqual(lengths);
  });
});
