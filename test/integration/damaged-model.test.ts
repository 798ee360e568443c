import { statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, runCli, tempDir, tinyModel } from '../helpers/cli.js';

/**
 * A model.onnx that does not parse (a download cut short, a damaged disk) is ALB_ONNX_INVALID
 * naming the file, whatever the pooling: mean and cls append a graph after our decoder read
 * the file, pooler hands the path to ONNX Runtime, and neither may call it a missing output.
 */
let dir: string;
let input: string;
const models: string[] = [];

beforeAll(() => {
  dir = tempDir();
  input = join(dir, 'in.csv');
  writeFileSync(input, 'id,text\na,The first paragraph.\nb,The second paragraph.\n');
});
afterAll(() => {
  cleanup(dir);
  for (const m of models) cleanup(join(m, '..'));
});

function damagedModel(damage: (file: string) => void): string {
  const model = tinyModel('albert-tiny');
  models.push(model);
  damage(join(model, 'model.onnx'));
  return model;
}

const truncated = (file: string) => truncateSync(file, Math.floor(statSync(file).size / 2));
// Deterministic noise of the same size (xorshift32), so a failure reproduces.
const noise = (file: string) => {
  const bytes = Buffer.alloc(statSync(file).size);
  let x = 0x9e3779b9;
  for (let i = 0; i < bytes.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  writeFileSync(file, bytes);
};

const POOLINGS: Array<[string, string[]]> = [
  ['default', []],
  ['mean', ['--pooling', 'mean']],
  ['cls', ['--pooling', 'cls']],
  ['max', ['--pooling', 'max']],
  ['pooler', ['--pooling', 'pooler']],
];

describe.each([
  ['truncated to half its size', truncated],
  ['random bytes', noise],
])('a model.onnx that is %s', (_what, damage) => {
  let model: string;
  beforeAll(() => {
    model = damagedModel(damage);
  });

  it.each(POOLINGS)('%s pooling fails with ALB_ONNX_INVALID naming the file', async (_name, pooling) => {
    const out = join(dir, `out-${Math.random().toString(36).slice(2)}`);
    const r = await runCli(['embed', input, '--out', out, '--model', model, '--workers', '1', '--threads', '1', '--quiet', ...pooling]);
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(r.stderr).toMatch(/ALB_ONNX_INVALID/);
    expect(r.stderr).not.toMatch(/ALB_MODEL_TASK_UNSUPPORTED|ALB_MODEL_LOAD/);
    expect(r.stderr).toContain(join(model, 'model.onnx'));
    expect(r.stderr).toMatch(/not an ONNX model, the file is truncated or damaged/);
    // A user error, reported in one line: no stack trace.
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});
