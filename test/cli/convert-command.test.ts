import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { AlbertError } from '../../src/errors.js';
import { convertCommand } from '../../src/cli/convert-command.js';
import { inspectCommand } from '../../src/cli/inspect-command.js';
import { FIXTURE } from '../helpers/hf-albert-tiny.js';

const tmp = mkdtempSync(join(tmpdir(), 'albert-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('convert and inspect commands', () => {
  test('convert parses its flags and writes a model folder; inspect reads it', async () => {
    const out = join(tmp, 'mlm16');
    await convertCommand().exitOverride().parseAsync(
      [join(FIXTURE, 'albert-tiny-mlm'), out, '--fp16', '--tokenizer', join(FIXTURE, 'tokenizer'), '--json'], { from: 'user' });
    expect(readdirSync(out).sort()).toEqual(['config.json', 'model.onnx', 'spiece.model', 'tokenizer.json', 'tokenizer_config.json', 'variant.json']);
    await inspectCommand().exitOverride().parseAsync([out], { from: 'user' });
  });

  test('an unknown --task is rejected by the parser', async () => {
    await expect(convertCommand().exitOverride().configureOutput({ writeErr: () => {} })
      .parseAsync([join(FIXTURE, 'albert-tiny'), join(tmp, 'x'), '--task', 'ner'], { from: 'user' })).rejects.toThrow(/Allowed choices are base, mlm, cls, pretraining/);
    expect(existsSync(join(tmp, 'x'))).toBe(false);
  });

  test('library errors reach the caller as AlbertErrors with a code', async () => {
    const err = await convertCommand().exitOverride()
      .parseAsync([join(FIXTURE, 'albert-tiny'), join(tmp, 'y'), '--task', 'cls', '--tokenizer', join(FIXTURE, 'tokenizer')], { from: 'user' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AlbertError);
    expect((err as AlbertError).code).toBe('ALB_CONVERT_MISSING_WEIGHT');
  });
});
