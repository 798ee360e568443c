import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readConfigFile } from '../../src/cli/job-flags.js';
import { JOB_OPTION_KEYS, resolveJobOptions } from '../../src/pipeline/job-options.js';
import { splitTaskOptions } from '../../src/pipeline/task-options.js';
import { TASKS } from '../../src/tasks/task-registry.js';
import { OptionError } from '../../src/errors.js';
import { ROOT, cleanup, readManifestJson, runCli, tempDir, tinyModel } from '../helpers/cli.js';

describe('configs/*.json', () => {
  const files = readdirSync(join(ROOT, 'configs')).filter((f) => f.endsWith('.json'));
  it('has examples', () => expect(files.length).toBeGreaterThanOrEqual(3));

  it.each(files)('%s resolves with its task', (file) => {
    const task = TASKS.find((t) => file.startsWith(t.name))!;
    expect(task, `config ${file} must start with a task name`).toBeDefined();
    const known = [...JOB_OPTION_KEYS, ...Object.keys(task.options)];
    const options = readConfigFile(join(ROOT, 'configs', file), known);
    const split = splitTaskOptions(task, { input: 'x.csv', out: 'out', ...options });
    expect(() => resolveJobOptions(split.job)).not.toThrow();
    expect(() => task.resolveOptions(split.task)).not.toThrow();
  });

  it('refuses unknown keys and bad JSON, naming the file', () => {
    const dir = tempDir();
    try {
      writeFileSync(join(dir, 'typo.json'), JSON.stringify({ batchTokns: 10 }));
      expect(() => readConfigFile(join(dir, 'typo.json'), JOB_OPTION_KEYS)).toThrow(/typo\.json: unknown option "batchTokns"/);
      writeFileSync(join(dir, 'bad.json'), '{ nope');
      expect(() => readConfigFile(join(dir, 'bad.json'), JOB_OPTION_KEYS)).toThrow(OptionError);
    } finally {
      cleanup(dir);
    }
  });
});

describe('--config on the command line', () => {
  it('reads options from the file and lets flags win', async () => {
    const dir = tempDir();
    try {
      const input = join(dir, 'in.csv');
      writeFileSync(input, 'id,text\na,hello world\nb,second row here\n');
      const cfg = join(dir, 'cfg.json');
      writeFileSync(cfg, JSON.stringify({ pooling: 'cls', maxLength: 16, batchTokens: 64 }));
      const out = join(dir, 'out');
      const r = await runCli(['embed', input, '--out', out, '--model', tinyModel('albert-tiny'), '--config', cfg, '--max-length', '32', '--quiet']);
      expect(r.code, r.stderr).toBe(0);
      expect(readManifestJson(out).fingerprint).toMatchObject({ pooling: 'cls', max_length: 32, batch_tokens: 64 });
      const bad = await runCli(['embed', input, '--out', join(dir, 'o2'), '--config', join(dir, 'missing.json')]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('ALB_CONFIG_UNREADABLE');
    } finally {
      cleanup(dir);
    }
  });
});
