import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, cleanup, tempDir } from '../helpers/cli.js';

/**
 * bench/gpu/run.sh, the prepared device run, end to end on the CPU with small N and the HF
 * fixture checkpoint, so the one device call has run here first. It asserts the steps ran
 * on the device asked for and the table came out, nothing about time.
 */
const dir = tempDir('albert-gpu-run-');
afterAll(() => cleanup(dir));

describe('bench/gpu/run.sh', () => {
  it('doctor, convert, optimize (checked), embed CSV → Arrow per variant and bench, on the CPU', () => {
    const out = join(dir, 'out');
    const r = spawnSync('bash', [join(ROOT, 'bench', 'gpu', 'run.sh')], {
      cwd: ROOT, encoding: 'utf8',
      env: { ...process.env, DEVICE: 'cpu', ROWS: '96', BENCH_ROWS: '48', CHECK_ROWS: '32', BATCH_TOKENS: '2048', WORKERS: '1', OUT: out, CHECKPOINT: join(ROOT, 'test', 'fixtures', 'hf-albert-tiny', 'albert-tiny') },
    });
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    expect(r.stdout).toMatch(/\| variant \| embed docs\/s \(CSV→Arrow\) \|/);
    for (const v of ['fp32', 'fp16', 'fp16-fused']) expect(r.stdout).toMatch(new RegExp(`\\| ${v} \\| [\\d,.]+ \\| [\\d,.]+ \\| cpu \\|`));
    const record = JSON.parse(readFileSync(join(out, 'gpu-run.json'), 'utf8'));
    expect(Object.keys(record.embed)).toEqual(['fp32', 'fp16', 'fp16-fused']);
    for (const e of Object.values(record.embed) as Array<{ rows_out: number; execution_provider: string }>) {
      expect(e.rows_out).toBe(96);
      expect(e.execution_provider).toBe('cpu');
    }
    expect(record['accuracy_fp16-fused'].embeddings.rows).toBe(32);
    expect(record.bench.configs.map((c: { variant: string }) => c.variant)).toEqual(['fp32', 'fp16', 'fp16-fused']);
    expect(record.bench.configs.every((c: { bare: unknown }) => c.bare !== null)).toBe(true);
    for (const f of ['table.md', 'bench.json', 'bench.svg', 'manifest-fp16-fused.json', 'logs/doctor.log']) expect(existsSync(join(out, f)), f).toBe(true);
  });
});
