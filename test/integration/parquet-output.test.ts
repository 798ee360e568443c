import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reference } from '../helpers/reference.js';
import { ROOT, cleanup, plainRows, readManifestJson, readOutput, runCli, tempDir, tinyModel, writeCorpus } from '../helpers/cli.js';
import { duck, duckdbForTests, parquetRows, sqlPath } from '../helpers/duckdb.js';
import { decodedRows } from '../helpers/hyparquet-count.js';

/**
 * `--output-format parquet` end to end: the parts are read back by DuckDB (its own Parquet
 * reader) and hold what the Arrow parts of the same job hold; resume, static shards,
 * verify and repair work on them as on Arrow parts.
 */
let dir: string;
let model: string;
beforeAll(() => {
  dir = tempDir();
  model = tinyModel('albert-tiny');
});
afterAll(() => cleanup(dir));

// DuckDB (test/interop) reads the parts back; without it those tests skip, and say so.
const itDuck = it.skipIf(!duckdbForTests());

const common = () => ['--max-length', '64', '--workers', '2', '--threads', '1', '--quiet'];
const shas = (out: string) => (readManifestJson(out).parts as Array<{ sha256: string }>).map((p) => p.sha256);

async function job(args: string[], name: string, format: 'arrow' | 'parquet'): Promise<string> {
  const out = join(dir, `${name}-${format}`);
  const r = await runCli([...args, '--out', out, '--output-format', format, ...common()]);
  expect(r.code, r.stderr).toBe(0);
  return out;
}

describe('--output-format parquet', () => {
  itDuck('a 4,000-row embed job: DuckDB counts every row, the embeddings have the model width, and every value equals the Arrow output', async () => {
    const input = join(ROOT, 'data', 'sample.csv');
    const args = ['embed', input, '--model', model, '--window-rows', '250', '--part-rows', '1000'];
    const arrow = await job(args, 'sample', 'arrow');
    const parquet = await job(args, 'sample', 'parquet');
    const m = readManifestJson(parquet);
    expect(m.parts.map((p: { file: string }) => p.file)).toEqual(['part-00000.parquet', 'part-00001.parquet', 'part-00002.parquet', 'part-00003.parquet']);
    expect(m.fingerprint.output_format).toBe('parquet');
    const glob = join(parquet, '*.parquet');
    const [[count, minDim, maxDim, ids]] = await duck(`SELECT count(*), min(len(embedding)), max(len(embedding)), count(DISTINCT id) FROM read_parquet(${sqlPath(glob)})`);
    expect([count, minDim, maxDim, ids]).toEqual([4000, 64, 64, 4000]);
    // One row group per window.
    expect(await duck(`SELECT count(DISTINCT (file_name, row_group_id)) FROM parquet_metadata(${sqlPath(glob)})`)).toEqual([[16]]);
    const columns = ['id', 'embedding', 'n_tokens', 'truncated'];
    expect(await parquetRows(glob, columns)).toEqual(plainRows(readOutput(arrow), columns));
    const kv = Object.fromEntries(await duck(`SELECT decode(key), decode(value) FROM parquet_kv_metadata(${sqlPath(join(parquet, 'part-00000.parquet'))})`) as [string, string][]);
    expect(kv).toMatchObject({ 'albert.task': 'embed', 'albert.pooling': 'mean' });
    expect(readOutput(arrow).schema.metadata.get('albert.model_sha256')).toBe(kv['albert.model_sha256']);
    expect((await runCli(['verify', parquet])).code).toBe(0);
  });

  itDuck('token-level (--pooling none) and long-document (--long split --chunks) columns read back in DuckDB as in Arrow', async () => {
    const input = join(dir, 'tokens.jsonl');
    writeFileSync(input, reference.texts.filter((t) => t).map((text, i) => JSON.stringify({ id: `t${i}`, text: text.repeat(6) })).join('\n') + '\n');
    const tokenArgs = ['embed', input, '--model', model, '--pooling', 'none'];
    const tokenCols = ['id', 'tokens', 'token_ids', 'offsets', 'token_embeddings', 'truncated'];
    const ta = readOutput(await job(tokenArgs, 'tokens', 'arrow'));
    expect(await parquetRows(join(await job(tokenArgs, 'tokens', 'parquet'), '*.parquet'), tokenCols)).toEqual(plainRows(ta, tokenCols));
    const splitArgs = ['embed', input, '--model', model, '--long', 'split', '--chunks', '--chunk-tokens', '16'];
    const splitCols = ['id', 'embedding', 'n_tokens', 'truncated', 'chunks'];
    const sa = readOutput(await job(splitArgs, 'split', 'arrow'));
    const sp = await parquetRows(join(await job(splitArgs, 'split', 'parquet'), '*.parquet'), splitCols);
    expect(sp.some((row) => (row[4] as unknown[]).length > 1)).toBe(true);
    expect(sp).toEqual(plainRows(sa, splitCols));
  });

  itDuck('label (probs, labels and top_k: lists and a list of structs) and fill-mask (predictions) read back in DuckDB as in Arrow', async () => {
    const labelIn = join(dir, 'label.jsonl');
    writeFileSync(labelIn, reference.texts.map((text, i) => JSON.stringify({ id: `r${i}`, text: text || 'empty' })).join('\n') + '\n');
    const labelArgs = ['label', labelIn, '--model', tinyModel('albert-tiny-cls'), '--multi-label', '--threshold', '0.4', '--top-k', '2'];
    const labelCols = ['id', 'label', 'score', 'probs', 'labels', 'top_k'];
    const la = readOutput(await job(labelArgs, 'label', 'arrow'));
    const lp = await job(labelArgs, 'label', 'parquet');
    expect(await parquetRows(join(lp, '*.parquet'), labelCols)).toEqual(plainRows(la, labelCols));
    const types = Object.fromEntries(await duck(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(${sqlPath(join(lp, '*.parquet'))}))`) as [string, string][]);
    expect(types).toMatchObject({ probs: 'FLOAT[]', labels: 'VARCHAR[]', top_k: 'STRUCT("label" VARCHAR, score FLOAT)[]' });

    const maskIn = join(dir, 'mask.jsonl');
    writeFileSync(maskIn, reference.masked_texts.map((text, i) => JSON.stringify({ id: `m${i}`, text })).join('\n') + '\n');
    const maskArgs = ['fill-mask', maskIn, '--model', tinyModel('albert-tiny-mlm'), '--top-k', '3'];
    const fa = readOutput(await job(maskArgs, 'mask', 'arrow'));
    const fp = await job(maskArgs, 'mask', 'parquet');
    const got = await parquetRows(join(fp, '*.parquet'), ['id', 'predictions']);
    expect(got).toEqual(plainRows(fa, ['id', 'predictions']));
    expect((got[0][1] as unknown[]).length).toBeGreaterThan(0);
  });

  it('--resume after a failed run, and static shards, commit parts byte-identical to one uninterrupted run', async () => {
    const corpus = join(dir, 'corpus.csv');
    // Row 450 is empty: --on-error fail stops the first run there, with a part or two committed.
    writeCorpus(corpus, 1200, 'c', (i) => i === 450);
    const args = ['embed', corpus, '--model', model, '--window-rows', '100'];
    const ref = await job([...args, '--part-rows', '200'], 'ref', 'parquet');

    const out = join(dir, 'resumed');
    const failed = await runCli([...args, '--part-rows', '200', '--out', out, '--output-format', 'parquet', '--on-error', 'fail', ...common()]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('ALB_ROW_REJECTED');
    expect(readManifestJson(out).parts.length).toBeGreaterThan(0);
    expect(readManifestJson(out).parts.length).toBeLessThan(3);
    const resumed = await runCli([...args, '--part-rows', '200', '--out', out, '--output-format', 'parquet', '--resume', ...common()]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(shas(out)).toEqual(shas(ref));
    // Resume refuses another output format: it would mix formats in one job.
    const other = await runCli([...args, '--part-rows', '200', '--out', out, '--output-format', 'arrow', '--resume', ...common()]);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('ALB_RESUME_MISMATCH');
    expect(other.stderr).toContain('output_format');

    const sharded = join(dir, 'sharded');
    const runs = await Promise.all([0, 1].map((i) => runCli([...args, '--out', sharded, '--output-format', 'parquet', '--shard-count', '2', '--shard-index', String(i), '--shard-rows', '200', ...common()])));
    runs.forEach((r) => expect(r.code, r.stderr).toBe(0));
    expect((await runCli(['merge-manifest', sharded])).code).toBe(0);
    const merged = readManifestJson(sharded);
    expect(merged.parts[0].file).toMatch(/^shards\/run-shard-00000\/part-run-shard-00000\.parquet$/);
    expect(shas(sharded)).toEqual(shas(ref));
    const counts = await Promise.all((merged.parts as Array<{ file: string }>).map((p) => decodedRows(join(sharded, p.file))));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1199);
    expect((await runCli(['verify', sharded])).code).toBe(0);
  });

  it('albert verify finds a cut Parquet part, and albert repair rebuilds it byte for byte', async () => {
    const corpus = join(dir, 'repair.csv');
    writeCorpus(corpus, 400, 'r');
    const out = await job(['embed', corpus, '--model', model, '--window-rows', '100', '--part-rows', '200'], 'repair', 'parquet');
    const before = shas(out);
    const part = join(out, 'part-00001.parquet');
    writeFileSync(part, readFileSync(part).subarray(0, 1000));
    const v = await runCli(['verify', out]);
    expect(v.code).toBe(1);
    expect(v.stderr).toContain('ALB_OUTPUT_CORRUPT');
    expect(v.stderr).toContain('part-00001.parquet');
    const r = await runCli(['repair', out, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(shas(out)).toEqual(before);
    expect(await decodedRows(part)).toBe(200);
  });
});
