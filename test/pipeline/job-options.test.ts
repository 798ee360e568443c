import { describe, expect, it } from 'vitest';
import { OptionError } from '../../src/errors.js';
import { checkKnownKeys, parseDevice, resolveJobOptions } from '../../src/pipeline/job-options.js';
import { embedTask } from '../../src/tasks/embed-task.js';

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
  it('fills defaults once and freezes the result', () => {
    const o = resolveJobOptions(base, {});
    expect(Object.isFrozen(o)).toBe(true);
    expect(o).toMatchObject({ textColumn: 'text', idColumn: 'id', textBColumn: null, maxLength: null, batchTokens: 2048, device: { kind: 'cpu' }, onError: 'skip', keepEmpty: false, resume: false });
    expect(o.partRows % o.windowRows).toBe(0);
    expect(o.workers * o.threads).toBeGreaterThanOrEqual(1);
  });

  it('uses GPU-sized defaults for cuda', () => {
    const o = resolveJobOptions({ ...base, device: 'cuda:1' }, {});
    expect(o.device).toEqual({ kind: 'cuda', ids: [1], fallbackToCpu: false });
    expect(o.batchTokens).toBe(65536);
    expect(o.workers).toBe(2);
  });

  it.each([
    [{ batchTokens: 0 }, '--batch-tokens', '0'],
    [{ batchTokens: 1.5 }, '--batch-tokens', '1.5'],
    [{ workers: -1 }, '--workers', '-1'],
    [{ maxLength: 'long' }, '--max-length', '"long"'],
    [{ device: 'gpu' }, '--device', '"gpu"'],
    [{ format: 'xml' }, '--format', '"xml"'],
    [{ onError: 'ignore' }, '--on-error', '"ignore"'],
    [{ windowRows: 1000, partRows: 1500 }, '--part-rows', '1500'],
    [{ out: '' }, '--out', '""'],
  ])('names the option and the value it got: %j', (bad, option, got) => {
    const err = optionErrorOf(() => resolveJobOptions({ ...base, ...(bad as object) }, {}));
    expect(err.message).toContain(option);
    expect(err.message).toContain(got);
  });

  it('refuses --resume with --overwrite', () => {
    expect(optionErrorOf(() => resolveJobOptions({ ...base, resume: true, overwrite: true }, {})).code).toBe('ALB_OPTION_CONFLICT');
  });

  it('reads the test-only fault hook from the environment', () => {
    expect(resolveJobOptions(base, { ALBERT_FAULT_THROW_ID: 'a, b', ALBERT_FAULT_EXIT_ID: 'c' }).faults).toEqual({ throwIds: ['a', 'b'], exitIds: ['c'], hangIds: [] });
  });
});

describe('parseDevice', () => {
  it('parses every spelling', () => {
    expect(parseDevice('cpu')).toEqual({ kind: 'cpu' });
    expect(parseDevice('cuda')).toEqual({ kind: 'cuda', ids: [0], fallbackToCpu: false });
    expect(parseDevice('cuda:0,1')).toEqual({ kind: 'cuda', ids: [0, 1], fallbackToCpu: false });
    expect(parseDevice('auto')).toEqual({ kind: 'cuda', ids: [0], fallbackToCpu: true });
  });
});

describe('task options', () => {
  it('embed resolves pooling and normalization', () => {
    expect(embedTask.resolveOptions({})).toEqual({ pooling: 'mean', normalize: true });
    expect(optionErrorOf(() => embedTask.resolveOptions({ pooling: 'sum' })).message).toContain('--pooling');
  });

  it('unknown keys are refused by name', () => {
    const err = optionErrorOf(() => checkKnownKeys({ batchTokns: 10 }, ['batchTokens'], 'configs/x.json'));
    expect(err.message).toContain('"batchTokns"');
    expect(err.code).toBe('ALB_OPTION_UNKNOWN');
  });
});
