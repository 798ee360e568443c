import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, cleanup, tempDir } from '../helpers/cli.js';

/**
 * `npm run bench` end to end on 60 rows of the tiny model, so a change to the library cannot
 * silently break the benchmark (it once passed task options to resolveJobOptions). It
 * asserts that every system ran and that they computed the same embeddings, nothing about time.
 */
const dir = tempDir('albert-bench-');
afterAll(() => cleanup(dir));

describe('bench/run.js', () => {
  it('runs the pipeline and the bare session on the same rows, and they agree', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'bench', 'run.js'), '--name', 'smoke', '--systems', 'a,c', '--rows', '60', '--model', join(ROOT, 'test', 'fixtures', 'hf-albert-tiny', 'albert-tiny'), '--max-length', '64', '--results-dir', dir], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(readFileSync(join(dir, 'smoke.json'), 'utf8'));
    expect(result.failed_systems).toEqual({});
    expect(result.agreement.embeddings_cosine.a_vs_c).toMatchObject({ rows: 60, rows_below_0_999: 0 });
    expect(result.agreement.embeddings_cosine.a_vs_c.min_cosine).toBeGreaterThan(0.9999);
    expect(result.agreement.real_tokens.a).toBe(result.agreement.real_tokens.c);
  });
});
