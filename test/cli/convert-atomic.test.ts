/**
 * `albert convert` writes its out folder all or nothing: a failed run leaves neither the
 * folder nor its temp folder, so the retry needs no --overwrite. Real CLI, the tiny HF
 * checkpoint in test/fixtures (its tokenizer lives apart, in tokenizer/).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURE } from '../helpers/hf-albert-tiny.js';
import { cleanup, runCli, tempDir } from '../helpers/cli.js';

const dir = tempDir('albert-convert-atomic-');
afterAll(() => cleanup(dir));
const HF = join(FIXTURE, 'albert-tiny');
const TOKENIZER = join(FIXTURE, 'tokenizer');
const MODEL_FILES = ['config.json', 'model.onnx', 'spiece.model', 'tokenizer.json', 'tokenizer_config.json', 'variant.json'];

describe('albert convert leaves nothing behind when it fails', () => {
  it('without a tokenizer: a coded error, no out folder, no parents, no temp folder; the retry with --tokenizer works', async () => {
    const parent = join(dir, 'new-parent');
    const out = join(parent, 'albert-tiny-onnx');
    const failed = await runCli(['convert', HF, out]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^albert: ALB_CONVERT_MISSING_FILE: .*albert-tiny has neither tokenizer\.json nor spiece\.model; .*--tokenizer/m);
    // Checked before the conversion, so it never started.
    expect(failed.stderr).not.toMatch(/building the base graph/);
    expect(existsSync(parent)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);

    const retry = await runCli(['convert', HF, out, '--tokenizer', TOKENIZER]);
    expect(retry.code, retry.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(MODEL_FILES);
    expect(readdirSync(parent)).toEqual(['albert-tiny-onnx']);
    const inspect = await runCli(['inspect', out]);
    expect(inspect.code, inspect.stderr).toBe(0);
  });

  it('into an existing empty folder: the files land in it, and no temp folder stays', async () => {
    const out = join(dir, 'made-beforehand');
    mkdirSync(out);
    const r = await runCli(['convert', HF, out, '--tokenizer', TOKENIZER]);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(MODEL_FILES);
    expect(readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('a move into an existing folder that fails: ALB_CONVERT_WRITE naming the file, no temp folder; the retry works', async () => {
    const out = join(dir, 'blocked');
    // A folder where model.onnx goes: only the last rename can fail on it.
    mkdirSync(join(out, 'model.onnx'), { recursive: true });
    const r = await runCli(['convert', HF, out, '--tokenizer', TOKENIZER, '--overwrite']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^albert: ALB_CONVERT_WRITE: cannot write .*blocked\/model\.onnx: /m);
    expect(readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]);
    cleanup(join(out, 'model.onnx'));
    const retry = await runCli(['convert', HF, out, '--tokenizer', TOKENIZER]);
    expect(retry.code, retry.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(MODEL_FILES);
  });

  it('an out path that is a file is refused before converting, and kept as it was', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'mine');
    const r = await runCli(['convert', HF, file, '--tokenizer', TOKENIZER]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^albert: ALB_CONVERT_WRITE: cannot write the model folder .*a-file: it is a file, not a folder/m);
    expect(r.stderr).not.toMatch(/building/);
    expect(readFileSync(file, 'utf8')).toBe('mine');
  });
});
