import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, runCli, tempDir, tinyModel } from '../helpers/cli.js';

/**
 * `albert bench` end to end on the tiny fixture model and a generated corpus: every
 * configuration of the sweep ran, beside its bare-session ceiling, and the record, chart and
 * recommendation came out. Nothing about time is asserted.
 */
let dir: string;
let model: string;

beforeAll(async () => {
  dir = tempDir('albert-bench-cli-');
  model = tinyModel('albert-tiny');
  const r = await runCli(['optimize', model, '--int8', '--fuse', '--no-check']);
  expect(r.code).toBe(0);
});
afterAll(() => cleanup(dir));

describe('albert bench', () => {
  it('sweeps variants × batch tokens, with the ceiling, and writes JSON, SVG and a recommendation', async () => {
    const out = join(dir, 'sweep');
    const r = await runCli(['bench', model, '--rows', '40', '--lengths', 'fixed:32', '--batch-tokens', '512,1024', '--workers', '1', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const record = JSON.parse(readFileSync(`${out}.json`, 'utf8'));
    expect(record.format).toBe('albert-bench/1');
    expect(record.input).toMatchObject({ generated: 'fixed:32', rows: 40 });
    expect(record.configs.map((c: { variant: string; batch_tokens: number }) => `${c.variant}@${c.batch_tokens}`)).toEqual(['fp32@512', 'fp32@1024', 'int8-fused@512', 'int8-fused@1024']);
    for (const c of record.configs) {
      expect(c.pipeline.rows).toBe(40);
      // Every generated row is 32 tokens: no padding at all.
      expect(c.pipeline.padding_efficiency).toBe(1);
      expect(c.bare.docs_per_s).toBeGreaterThan(0);
      expect(c.ratio_to_bare).toBeGreaterThan(0);
      expect(Object.keys(c.pipeline.stages_ms)).toEqual(expect.arrayContaining(['readMs', 'tokenizeMs', 'inferMs', 'writeMs']));
    }
    // The int8 variant was made with --no-check: measured, named, never recommended.
    expect(record.configs.find((c: { variant: string }) => c.variant === 'int8-fused').accuracy).toBe('not checked');
    expect(record.recommendation.variant).toBe('fp32');
    expect(r.stdout).toMatch(/recommended: --device cpu --variant none --batch-tokens (512|1024) --workers 1/);
    expect(readFileSync(`${out}.svg`, 'utf8')).toMatch(/^<svg[\s\S]*pipeline docs\/s[\s\S]*<\/svg>\s*$/);
  });

  it('labels a variant of a replaced model.onnx stale, and never recommends it', async () => {
    // Its accuracy check (passed) was taken for the model now there: bench said "passed".
    const own = tinyModel('albert-tiny');
    expect((await runCli(['optimize', own, '--fuse', '--check-rows', '20'])).code).toBe(0);
    // Another model.onnx: the same graph with a doc_string appended (protobuf field 6), so its bytes differ.
    const onnx = join(own, 'model.onnx');
    const note = Buffer.from('replaced');
    writeFileSync(onnx, Buffer.concat([readFileSync(onnx), Buffer.from([0x32, note.length]), note]));
    const out = join(dir, 'stale');
    const r = await runCli(['bench', own, '--rows', '20', '--lengths', 'fixed:16', '--batch-tokens', '512', '--workers', '1', '--no-bare', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const record = JSON.parse(readFileSync(`${out}.json`, 'utf8'));
    expect(record.configs.map((c: { variant: string; accuracy: string }) => [c.variant, c.accuracy])).toEqual([['fp32', 'reference'], ['fp32-fused', 'stale']]);
    expect(record.recommendation.variant).toBe('fp32');
  });

  it('reads the user\'s rows, and refuses a bad length spec or an unknown variant by name', async () => {
    const data = join(dir, 'rows.csv');
    writeFileSync(data, 'id,body\na,the first row of text\nb,and a second one\n');
    const out = join(dir, 'data');
    const r = await runCli(['bench', model, '--data', data, '--text-column', 'body', '--rows', '5', '--variants', 'fp32', '--no-bare', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const record = JSON.parse(readFileSync(`${out}.json`, 'utf8'));
    expect(record.input).toMatchObject({ text_column: 'body', rows: 5, passes: 3 });
    expect(record.configs[0].bare).toBeNull();
    const bad = await runCli(['bench', model, '--lengths', 'weird:3', '--out', join(dir, 'x')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/ALB_OPTION_INVALID: option --lengths: expected fixed:N, uniform:A-B, lognormal:MEDIAN,SIGMA or from:FILE\.csv, got "weird:3"/);
    const missing = await runCli(['bench', model, '--variants', 'fp16', '--out', join(dir, 'y')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/ALB_VARIANT_NOT_FOUND: --variants fp16: .* \(it has int8-fused\)/);
    expect(existsSync(join(dir, 'y.json'))).toBe(false);
  });
});
