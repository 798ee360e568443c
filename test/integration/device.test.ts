import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, readManifestJson, runCli, tempDir, tinyModel } from '../helpers/cli.js';

/**
 * The CUDA path: a clear failure where the provider cannot load, and --device auto falling
 * back to the CPU and saying so. On a machine where CUDA works, the same tests check that
 * it is really used.
 */
let dir: string;
let input: string;
let model: string;
let cudaWorks = false;

beforeAll(async () => {
  dir = tempDir();
  input = join(dir, 'in.csv');
  writeFileSync(input, 'id,text\na,hello world\nb,the model runs on a gpu\n');
  model = tinyModel('albert-tiny');
  const doctor = await runCli(['doctor', '--json', '--model', model]);
  expect(doctor.code, doctor.stderr).toBe(0);
  cudaWorks = JSON.parse(doctor.stdout).providers.cuda.sessionOk;
});
afterAll(() => cleanup(dir));

describe('albert doctor', () => {
  it('reports versions, execution providers, CUDA libraries and GPUs', async () => {
    const r = await runCli(['doctor', '--model', model]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/onnxruntime-node\s+1\.29\.0/);
    expect(r.stdout).toMatch(/backends\s+cpu/);
    expect(r.stdout).toContain('libcudart.so.13');
    expect(r.stdout).toMatch(cudaWorks ? /CUDA session\s+OK/ : /CUDA session\s+FAILED: CUDA execution provider could not start/);
  });
});

describe('--device', () => {
  it('cuda: runs on the GPU, or fails fast with ALB_DEVICE_CUDA_UNAVAILABLE and writes nothing', async () => {
    const out = join(dir, 'cuda');
    const r = await runCli(['embed', input, '--out', out, '--model', model, '--device', 'cuda', '--quiet']);
    if (cudaWorks) {
      expect(r.code, r.stderr).toBe(0);
      expect(readManifestJson(out).model.execution_provider).toBe('cuda');
    } else {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^albert: ALB_DEVICE_CUDA_UNAVAILABLE: CUDA execution provider could not start on device 0: .*albert doctor.*--device auto/m);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('auto: falls back to the CPU, says so on stderr, in the summary and in the manifest', async () => {
    const out = join(dir, 'auto');
    const r = await runCli(['embed', input, '--out', out, '--model', model, '--device', 'auto']);
    expect(r.code, r.stderr).toBe(0);
    const m = readManifestJson(out);
    expect(m.rows_out).toBe(2);
    if (cudaWorks) {
      expect(m.model).toMatchObject({ execution_provider: 'cuda', fallback_reason: null });
    } else {
      expect(m.model.execution_provider).toBe('cpu');
      expect(m.model.fallback_reason).toMatch(/CUDA execution provider could not start/);
      expect(r.stderr).toContain('--device auto: CUDA execution provider could not start');
      expect(r.stderr).toMatch(/· cpu \(fallback\)( · bottleneck: .*)?$/m);
    }
  });

  it('rejects a malformed device, naming the option', async () => {
    const r = await runCli(['embed', input, '--out', join(dir, 'bad'), '--model', model, '--device', 'gpu0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('option --device: expected cpu|cuda|cuda:N|cuda:0,1|auto, got "gpu0"');
  });
});
