import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseVariant } from '../../src/pipeline/choose-variant.js';
import { EXECUTION_PROVIDERS } from '../../src/workers/execution-providers.js';
import { decodeOnnxModel } from '../../src/model/onnx-proto.js';
import { opHistogram } from '../../src/model/onnx-graph-view.js';
import { reference } from '../helpers/reference.js';
import { FIXTURE } from '../helpers/hf-albert-tiny.js';
import { cleanup, readManifestJson, readOutput, runCli, tempDir, tinyModel, vectors } from '../helpers/cli.js';

/**
 * Which variant a job runs: `--variant NAME | auto | none`, and the device's default (the
 * CPU suggests, CUDA picks), only variants whose accuracy check passed, always said.
 */
let dir: string;
let model: string;
let texts: string;

beforeAll(async () => {
  dir = tempDir('albert-variant-');
  model = tinyModel('albert-tiny');
  texts = join(dir, 'texts.jsonl');
  writeFileSync(texts, reference.texts.map((text, i) => JSON.stringify({ id: `t${i}`, text })).join('\n') + '\n');
  // fp32-fused: exact, so its check passes; int8 without a check: never picked unasked.
  for (const args of [['--fuse', '--check-rows', '30'], ['--int8', '--no-check']]) {
    const r = await runCli(['optimize', model, ...args]);
    expect(r.stderr).not.toMatch(/albert: ALB_/);
    expect(r.code).toBe(0);
  }
});
afterAll(() => cleanup(dir));

async function embed(extra: string[]): Promise<{ out: string; stderr: string }> {
  const out = join(dir, `out-${Math.random().toString(36).slice(2)}`);
  const r = await runCli(['embed', texts, '--out', out, '--model', model, ...extra]);
  expect(r.code).toBe(0);
  return { out, stderr: r.stderr };
}

describe('--variant', () => {
  it('on the CPU, by default: runs the folder\'s own model and names the checked faster variant', async () => {
    const { out, stderr } = await embed([]);
    expect(stderr).toMatch(/variants\/fp32-fused \(fp32-fused\) passed its accuracy check \(min cosine 0?\.?[\d.]+, mean cosine [\d.]+; passed\): --variant auto runs it/);
    const m = readManifestJson(out);
    expect(m.model.name).toBe('albert-tiny');
    expect(m.model.variant).toBeNull(); // the fixture's folder records no variant.json of its own
  });

  it('auto picks the checked variant, never the unchecked int8; the manifest and the Arrow metadata say which', async () => {
    const { out, stderr } = await embed(['--variant', 'auto']);
    expect(stderr).toMatch(/running the fp32-fused variant/);
    expect(stderr).toMatch(/fp32-fused variant · bottleneck/);
    const m = readManifestJson(out);
    expect(m.model.name).toBe('albert-tiny/variants/fp32-fused');
    expect(m.model.variant).toEqual({ name: 'fp32-fused', precision: 'fp32', fused: true, chosen_by: 'asked' });
    const table = readOutput(out);
    expect(JSON.parse(table.schema.metadata.get('albert.model_variant')!)).toEqual({ name: 'fp32-fused', precision: 'fp32', fused: true });
    const plain = vectors(readOutput((await embed(['--variant', 'none', '--quiet'])).out), 'embedding');
    const fused = vectors(table, 'embedding');
    plain.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - fused[i][j])).toBeLessThan(1e-4)));
  });

  it('a named variant runs as asked, with what its check said; an unknown name is refused with the list', async () => {
    const { out, stderr } = await embed(['--variant', 'int8']);
    expect(stderr).toMatch(/its accuracy check was not run/);
    expect(readManifestJson(out).model.variant).toEqual({ name: 'int8', precision: 'int8', fused: false, chosen_by: 'asked' });
    const bad = await runCli(['embed', texts, '--out', join(dir, 'bad'), '--model', model, '--variant', 'fp16']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/ALB_VARIANT_NOT_FOUND: --variant fp16: .* has no variant "fp16" \(it has fp32-fused, int8\)/);
  });

  it('--device auto only suggests CUDA\'s variant: it is chosen before we know whether CUDA loads', async () => {
    // It picked fp32-fused (CUDA's preference) here, then ran it on the CPU after the
    // fallback, with a manifest saying the device chose it.
    const { out, stderr } = await embed(['--device', 'auto']);
    expect(stderr).toMatch(/\(fp32-fused\) passed its accuracy check .*: --variant auto runs it/);
    const m = readManifestJson(out);
    expect(m.model.name).toBe('albert-tiny');
    expect(m.model.variant).toBeNull();
  });

  it('a damaged variant folder is left out and said, not a failure of every job on the model', async () => {
    // One unreadable variant.json stopped every job on the model with ALB_MODEL_CONFIG_INVALID.
    const junk = join(model, 'variants', 'junk');
    mkdirSync(junk);
    try {
      writeFileSync(join(junk, 'model.onnx'), 'not a model');
      writeFileSync(join(junk, 'variant.json'), '{"format": "albert-model-variant/9"}');
      const { out, stderr } = await embed([]);
      expect(stderr).toMatch(/variants\/junk left out: .*variant\.json: not an albert-model-variant\/1 record/);
      expect(stderr).toMatch(/\(fp32-fused\) passed its accuracy check/);
      expect(readManifestJson(out).model.name).toBe('albert-tiny');
      // Asked for by name, it is still an error, and the one it is.
      const named = await runCli(['embed', texts, '--out', join(dir, 'junk-named'), '--model', model, '--variant', 'junk']);
      expect(named.code).toBe(1);
      expect(named.stderr).toMatch(/ALB_MODEL_CONFIG_INVALID: .*junk\/variant\.json/);
    } finally {
      rmSync(junk, { recursive: true });
    }
  });

  it('CUDA picks its preferred checked variant without being asked; a variant of a replaced model is stale', async () => {
    const c = await chooseVariant(model, null, EXECUTION_PROVIDERS.cuda);
    expect(c.chosenBy).toBe('default');
    expect(c.variant?.name).toBe('fp32-fused');
    expect(c.note).toMatch(/picked for --device cuda; --variant none runs the fp32 model/);
    expect((await chooseVariant(model, 'none', EXECUTION_PROVIDERS.cuda)).dir).toBe(model);
    // Another model.onnx in the folder: its variants were made from something else.
    writeFileSync(join(model, 'model.onnx'), readFileSync(join(FIXTURE, 'albert-tiny-cls', 'model.onnx')));
    const stale = await chooseVariant(model, 'auto', EXECUTION_PROVIDERS.cpu);
    expect(stale.dir).toBe(model);
    expect(stale.note).toMatch(/fp32-fused: made from another model\.onnx/);
  });
});

describe('convert --fuse', () => {
  it('emits the fused ops itself; label outputs equal the unfused conversion within 1e-4', async () => {
    const runs: Float32Array[][] = [];
    for (const flags of [[], ['--fuse']]) {
      const out = join(dir, `conv${flags.join('')}`);
      const r = await runCli(['convert', join(FIXTURE, 'albert-tiny-cls'), out, '--tokenizer', join(FIXTURE, 'tokenizer'), ...flags]);
      expect(r.code).toBe(0);
      const h = opHistogram(decodeOnnxModel(readFileSync(join(out, 'model.onnx'))));
      if (flags.length) {
        expect(h).toMatchObject({ 'com.microsoft:Attention': 3, 'com.microsoft:SkipLayerNormalization': 6, 'com.microsoft:FastGelu': 3 });
        expect(JSON.parse(readFileSync(join(out, 'variant.json'), 'utf8'))).toMatchObject({ name: 'fp32-fused', base: null, made_by: { command: 'convert' } });
      }
      const o = join(dir, `label${flags.join('')}`);
      expect((await runCli(['label', texts, '--out', o, '--model', out, '--quiet'])).code).toBe(0);
      runs.push(vectors(readOutput(o), 'probs'));
    }
    runs[0].forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - runs[1][i][j])).toBeLessThan(1e-4)));
  });
});
