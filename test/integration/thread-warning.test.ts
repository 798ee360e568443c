/**
 * More CPU threads than cores is allowed (someone may mean it) but almost never what anyone
 * wants: the CLI warns once on stderr, and the job still runs. Real CLI, tiny model.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, readManifestJson, runCli, tempDir, tinyModel, writeCorpus } from '../helpers/cli.js';

const cores = availableParallelism();
const dir = tempDir('albert-threads-');
afterAll(() => cleanup(dir));
const model = tinyModel('albert-tiny');
const input = join(dir, 'in.csv');
writeCorpus(input, 20, 't');
const WARNING = /albert: warning: --workers \d+( \(default\))? × --threads \d+( \(default\))? = \d+ threads on \d+ cores?; expect it slower and bigger \(each worker holds a copy of the model\); the default is --workers \d+ × --threads \d+\n/;

const embed = (name: string, extra: string[]) => runCli(['embed', input, '--out', join(dir, name), '--model', model, '--max-length', '32', ...extra]);

describe('workers × threads beyond the cores', () => {
  it('warns once, names the numbers and the default, and the job still runs', async () => {
    // Two workers of `cores` threads each: twice the cores on any machine, with only two pools.
    const r = await embed('over', ['--workers', '2', '--threads', String(cores)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(WARNING);
    expect(r.stderr).toContain(`--workers 2 × --threads ${cores} = ${2 * cores} threads on ${cores} core`);
    expect(r.stderr.match(/warning:/g)).toHaveLength(1);
    expect(readManifestJson(join(dir, 'over')).rows_out).toBe(20);
  });

  it.skipIf(cores >= 8)('--workers 8 on fewer cores: says which value was a default', async () => {
    const r = await embed('eight', ['--workers', '8', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`albert: warning: --workers 8 × --threads 1 (default) = 8 threads on ${cores} core`);
  });

  it('the defaults, and anything within the cores, do not warn', async () => {
    for (const [name, extra] of [['defaults', []], ['within', ['--workers', '1', '--threads', String(cores)]]] as const) {
      const r = await embed(name, [...extra]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/warning/);
    }
  });
});
