import { describe, expect, it } from 'vitest';
import { OptionError } from '../../src/errors.js';
import { resolveDeviceOptions, resolveJobOptions } from '../../src/pipeline/job-options.js';
import { splitTaskOptions } from '../../src/pipeline/task-options.js';
import { checkKnownKeys, nearestName } from '../../src/options.js';
import { embedTask } from '../../src/tasks/embed-task.js';
import { sopTask } from '../../src/tasks/sop-task.js';
import { EXECUTION_PROVIDERS, parseDevice } from '../../src/workers/execution-providers.js';

const base = { input: 'docs.csv', out: 'out' };

function optionErrorOf(fn: () => unknown): OptionError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OptionError);
    return err as OptionError;
  }
  throw new Error('expected an OptionError');
}

describe('resolveJobOptions', () => {
  it('fills defaults once and freezes the result, the read options as one sub-object', () => {
    const o = resolveJobOptions(base);
    expect(Object.isFrozen(o)).toBe(true);
    expect(Object.isFrozen(o.read)).toBe(true);
    expect(o).toMatchObject({ maxLength: null, batchTokens: 2048, device: { ep: 'cpu' }, onError: 'skip', resume: false, queuePerWorker: 2 });
    expect(o.read).toEqual({ format: null, textColumn: 'text', textBColumn: undefined, idColumn: 'id', idColumnRequired: false, keepEmpty: false, maxRecordBytes: 1 << 20 });
    expect(o.output.name).toBe('arrow');
    expect(o.partRows % o.windowRows).toBe(0);
    expect(o.workers * o.threads).toBeGreaterThanOrEqual(1);
  });

  it('an id column the user names must exist, even when it is called id', () => {
    expect(resolveJobOptions({ ...base, idColumn: 'id' }).read).toMatchObject({ idColumn: 'id', idColumnRequired: true });
    expect(resolveJobOptions({ ...base, idColumn: 'uid' }).read).toMatchObject({ idColumn: 'uid', idColumnRequired: true });
  });

  it('uses the execution provider\'s defaults for cuda', () => {
    const o = resolveJobOptions({ ...base, device: 'cuda:1' });
    expect(o.device).toEqual({ ep: 'cuda', ids: [1], fallbackToCpu: false });
    expect(o.devices).toEqual([{ ep: 'cuda', deviceId: 1, fallbackToCpu: false }]);
    expect(o).toMatchObject({ batchTokens: 65536, windowRows: 16384, workers: 2, threads: 1, queuePerWorker: 3 });
  });

  it.each([
    [{ batchTokens: 0 }, '--batch-tokens', '0'],
    [{ batchTokens: 1.5 }, '--batch-tokens', '1.5'],
    [{ workers: -1 }, '--workers', '-1'],
    [{ maxLength: 'long' }, '--max-length', '"long"'],
    [{ device: 'gpu' }, '--device', '"gpu"'],
    [{ format: 'xml' }, '--format', '"xml"'],
    [{ outputFormat: 'csv' }, '--output-format', '"csv"'],
    [{ onError: 'ignore' }, '--on-error', '"ignore"'],
    [{ windowRows: 1000, partRows: 1500 }, '--part-rows', '1500'],
    [{ out: '' }, '--out', '""'],
    [{ idColumn: '' }, '--id-column', '""'],
  ])('names the option and the value it got: %j', (bad, option, got) => {
    const err = optionErrorOf(() => resolveJobOptions({ ...base, ...(bad as object) }));
    expect(err.message).toContain(option);
    expect(err.message).toContain(got);
  });

  it('refuses --resume with --overwrite', () => {
    expect(optionErrorOf(() => resolveJobOptions({ ...base, resume: true, overwrite: true })).code).toBe('ALB_OPTION_CONFLICT');
  });

  it('refuses a key it does not know, naming the nearest', () => {
    const err = optionErrorOf(() => resolveJobOptions({ ...base, batchTokns: 10 } as never));
    expect(err.code).toBe('ALB_OPTION_UNKNOWN');
    expect(err.message).toContain('"batchTokns"');
    expect(err.message).toContain('did you mean "batchTokens"?');
  });
});

describe('resolveDeviceOptions and the execution-provider table', () => {
  it('parses every spelling of every provider', () => {
    expect(parseDevice('cpu')).toEqual({ ep: 'cpu', ids: [0], fallbackToCpu: false });
    expect(parseDevice('cuda')).toEqual({ ep: 'cuda', ids: [0], fallbackToCpu: false });
    expect(parseDevice('cuda:0,1,1')).toEqual({ ep: 'cuda', ids: [0, 1], fallbackToCpu: false });
    expect(parseDevice('auto')).toEqual({ ep: 'cuda', ids: [0], fallbackToCpu: true });
    expect(() => parseDevice('cuda:')).toThrow('option --device: expected cpu|cuda|cuda:N|cuda:0,1|auto, got "cuda:"');
  });

  it('gives one pool per device, each with the provider\'s session options', () => {
    const d = resolveDeviceOptions({ device: 'cuda:0,1', workers: 3 });
    expect(d.devices.map((s) => s.deviceId)).toEqual([0, 1]);
    expect(d.workers).toBe(3);
    expect(EXECUTION_PROVIDERS.cuda.sessionOptions(1)).toEqual({ executionProviders: [{ name: 'cuda', deviceId: 1 }] });
    expect(EXECUTION_PROVIDERS.cpu.sessionOptions(0)).toEqual({ executionProviders: ['cpu'] });
  });
});

describe('task options', () => {
  it('embed resolves pooling and normalization', () => {
    expect(embedTask.resolveOptions({})).toEqual({ pooling: 'mean', normalize: true, layer: 'last', chunks: false });
    expect(optionErrorOf(() => embedTask.resolveOptions({ pooling: 'sum' })).message).toContain('--pooling');
  });

  it('splitTaskOptions refuses a misspelled task option instead of running with the default', () => {
    const err = optionErrorOf(() => splitTaskOptions(embedTask, { ...base, poolng: 'cls' }));
    expect(err.code).toBe('ALB_OPTION_UNKNOWN');
    expect(err.message).toMatch(/`embed` options: unknown option "poolng" \(got "cls"\); did you mean "pooling"\?/);
    expect(splitTaskOptions(embedTask, { ...base, pooling: 'cls', workers: 1 })).toEqual({ job: { ...base, workers: 1 }, task: { pooling: 'cls' }, extra: {} });
  });

  it('maps a task option that names a job option, and refuses the two disagreeing', () => {
    expect(splitTaskOptions(sopTask, { ...base, textAColumn: 'first', textBColumn: 'second' }).job).toMatchObject({ textColumn: 'first', textBColumn: 'second' });
    expect(optionErrorOf(() => splitTaskOptions(sopTask, { ...base, textAColumn: 'a', textColumn: 'b' })).code).toBe('ALB_OPTION_CONFLICT');
  });

  it('unknown keys are refused by name, with the nearest known one when there is one', () => {
    const err = optionErrorOf(() => checkKnownKeys({ batchTokns: 10 }, ['batchTokens'], 'configs/x.json'));
    expect(err.message).toContain('"batchTokns"');
    expect(err.code).toBe('ALB_OPTION_UNKNOWN');
    expect(nearestName('xyzzy', ['pooling', 'normalize'])).toBeNull();
    expect(nearestName('Pooling', ['pooling', 'normalize'])).toBe('pooling');
  });
});
