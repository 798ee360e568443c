/**
 * One config.json parser, and coded errors for broken JSON in model folders: a user who
 * points a command at a damaged folder reads which file and why, never a stack.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { convertModel } from '../../src/convert/convert-model.js';
import { inspectModelFolder } from '../../src/convert/inspect-model.js';
import { loadModel } from '../../src/pipeline/load-model.js';
import { FIXTURE } from '../helpers/hf-albert-tiny.js';
import { runCli, tinyModel } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'albert-json-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function copyOf(dir: string, name: string): string {
  const out = join(tmp, name);
  cpSync(dir, out, { recursive: true });
  return out;
}

describe('config.json', () => {
  test('the pipeline and inspect read one config the same way (embedding_size defaults to 128, as in HF)', async () => {
    const dir = copyOf(tinyModel('albert-tiny'), 'no-embedding-size');
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    delete config.embedding_size;
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    const loaded = await loadModel(dir);
    const inspected = await inspectModelFolder(dir);
    expect(loaded.config.embeddingSize).toBe(128);
    expect(inspected.config?.embeddingSize).toBe(128);
    expect(loaded.config).toEqual({ ...inspected.config, task: undefined, ...loaded.config });
  });

  test.each([
    ['inspect', (dir: string) => inspectModelFolder(dir)],
    ['the pipeline', (dir: string) => loadModel(dir)],
  ])('not JSON: %s says ALB_MODEL_CONFIG_INVALID and names the file', async (_who, read) => {
    const dir = copyOf(tinyModel('albert-tiny'), `broken-config-${_who.length}`);
    writeFileSync(join(dir, 'config.json'), '{ "hidden_size": 64,');
    await expect(read(dir)).rejects.toMatchObject({ code: 'ALB_MODEL_CONFIG_INVALID', message: expect.stringContaining(join(dir, 'config.json')) });
  });

  test('albert inspect on a broken tokenizer.json exits with the code, not "unexpected error"', async () => {
    const dir = copyOf(tinyModel('albert-tiny'), 'broken-tokenizer');
    writeFileSync(join(dir, 'tokenizer.json'), '{"model": ');
    const r = await runCli(['inspect', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^albert: ALB_MODEL_TOKENIZER_INVALID: .*tokenizer\.json: not valid JSON/);
    expect(r.stderr).not.toContain('unexpected error');
  });
});

describe('convert', () => {
  test('a broken tokenizer_config.json is ALB_MODEL_CONFIG_INVALID', async () => {
    const tok = copyOf(join(FIXTURE, 'tokenizer'), 'tok-broken');
    rmSync(join(tok, 'tokenizer.json'));
    writeFileSync(join(tok, 'tokenizer_config.json'), '{ nope');
    await expect(convertModel(join(FIXTURE, 'albert-tiny'), join(tmp, 'out-tc'), { tokenizerDir: tok })).rejects.toMatchObject({ code: 'ALB_MODEL_CONFIG_INVALID' });
  });

  test('a broken config.json is ALB_MODEL_CONFIG_INVALID', async () => {
    const src = copyOf(join(FIXTURE, 'albert-tiny'), 'hf-broken');
    writeFileSync(join(src, 'config.json'), '[1,');
    await expect(convertModel(src, join(tmp, 'out-c'), { tokenizerDir: join(FIXTURE, 'tokenizer') })).rejects.toMatchObject({ code: 'ALB_MODEL_CONFIG_INVALID' });
  });

  test('an activation HF knows but the converter cannot build is refused before any weight is read', async () => {
    const src = copyOf(join(FIXTURE, 'albert-tiny'), 'hf-mish');
    const config = JSON.parse(readFileSync(join(src, 'config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(src, 'config.json'), JSON.stringify({ ...config, hidden_act: 'mish' }));
    await expect(convertModel(src, join(tmp, 'out-mish'), { tokenizerDir: join(FIXTURE, 'tokenizer') })).rejects.toMatchObject({
      code: 'ALB_CONVERT_UNSUPPORTED',
      message: expect.stringContaining('hidden_act "mish"'),
    });
  });
});
