import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
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

  // transformers.js (b) is an optional install of its own (bench/compare); without it, asking for (b)
  // (the default systems include it) must stop at once with the command that installs it.
  it('without the bench/compare install, (b) fails at once with the install command', () => {
    const empty = join(dir, 'no-compare-install');
    mkdirSync(empty);
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'bench', 'run.js'), '--name', 'no-tjs', '--rows', '5', '--results-dir', dir], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ALBERT_BENCH_COMPARE_DIR: empty } });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('(b) transformers.js is not installed');
    expect(r.stderr).toContain('npm run bench:install');
    expect(existsSync(join(dir, 'no-tjs.json'))).toBe(false);
  });
});
