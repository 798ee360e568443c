import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readConfigFile } from '../../src/cli/job-flags.js';
import { JOB_OPTION_KEYS, resolveJobOptions } from '../../src/pipeline/job-options.js';
import { embedTask } from '../../src/tasks/embed-task.js';
import { fillMaskTask } from '../../src/tasks/fill-mask-task.js';
import { labelTask } from '../../src/tasks/label-task.js';
import { OptionError } from '../../src/errors.js';
import { ROOT, cleanup, readManifestJson, runCli, tempDir, tinyModel } from '../helpers/cli.js';

const TASK_KEYS: Record<string, { keys: string[]; resolve: (o: Record<string, unknown>) => unknown }> = {
  embed: { keys: ['pooling', 'normalize'], resolve: (o) => embedTask.resolveOptions(o) },
  label: { keys: ['multiLabel', 'threshold', 'topK'], resolve: (o) => labelTask.resolveOptions(o) },
  'fill-mask': { keys: ['topK'], resolve: (o) => fillMaskTask.resolveOptions(o) },
};

describe('configs/*.json', () => {
  const files = readdirSync(join(ROOT, 'configs')).filter((f) => f.endsWith('.json'));
  it('has examples', () => expect(files.length).toBeGreaterThanOrEqual(3));

  it.each(files)('%s resolves with its task', (file) => {
    const task = Object.keys(TASK_KEYS).find((t) => file.startsWith(t))!;
    expect(task, `config ${file} must start with a task name`).toBeDefined();
    const known = [...JOB_OPTION_KEYS, ...TASK_KEYS[task].keys];
    const options = readConfigFile(join(ROOT, 'configs', file), known);
    expect(() => resolveJobOptions({ input: 'x.csv', out: 'out', ...options }, {})).not.toThrow();
    expect(() => TASK_KEYS[task].resolve(options)).not.toThrow();
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
