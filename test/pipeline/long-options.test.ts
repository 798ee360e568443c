import { describe, expect, it } from 'vitest';
import { OptionError } from '../../src/errors.js';
import { longFingerprint, longPolicy, resolveLongOptions } from '../../src/pipeline/long-options.js';

function optionErrorOf(fn: () => unknown): OptionError {
  try {
    fn();
  } catch (err) {
    if (err instanceof OptionError) return err;
    throw err;
  }
  throw new Error('expected an OptionError');
}

describe('long-document options', () => {
  it('default to truncate, which the fingerprint does not record (jobs from before --long resume)', () => {
    const p = longPolicy(resolveLongOptions({}), 512);
    expect(p).toEqual({ mode: 'truncate', chunkTokens: 512, chunkOverlap: 64 });
    expect(longFingerprint(p)).toEqual({});
    expect(longFingerprint(longPolicy(resolveLongOptions({ long: 'reject' }), 512))).toEqual({ long: 'reject' });
  });

  it('split: windows of the max length overlapping by an eighth, unless told', () => {
    expect(longPolicy(resolveLongOptions({ long: 'split' }), 512)).toEqual({ mode: 'split', chunkTokens: 512, chunkOverlap: 64 });
    expect(longPolicy(resolveLongOptions({ long: 'split', chunkTokens: 100 }), 512)).toEqual({ mode: 'split', chunkTokens: 100, chunkOverlap: 12 });
    const p = longPolicy(resolveLongOptions({ long: 'split', chunkTokens: 128, chunkOverlap: 0 }), 512);
    expect(longFingerprint(p)).toEqual({ long: 'split', chunk_tokens: 128, chunk_overlap: 0 });
  });

  it.each([
    [{ long: 'cut' }, 'ALB_OPTION_INVALID', '--long'],
    [{ chunkTokens: 64 }, 'ALB_OPTION_CONFLICT', '--chunk-tokens'],
    [{ long: 'reject', chunkOverlap: 4 }, 'ALB_OPTION_CONFLICT', '--chunk-overlap'],
    [{ long: 'split', chunkTokens: 2 }, 'ALB_OPTION_INVALID', '--chunk-tokens'],
    [{ long: 'split', chunkOverlap: -1 }, 'ALB_OPTION_INVALID', '--chunk-overlap'],
  ])('refuses %j, naming the option', (o, code, option) => {
    const err = optionErrorOf(() => resolveLongOptions(o as never));
    expect(err.code).toBe(code);
    expect(err.message).toContain(option);
  });

  it('refuses windows longer than the max length, or that cannot move on', () => {
    expect(optionErrorOf(() => longPolicy(resolveLongOptions({ long: 'split', chunkTokens: 600 }), 512)).message).toMatch(/--chunk-tokens: expected at most the max length \(512; a window is one model input\), got 600/);
    expect(optionErrorOf(() => longPolicy(resolveLongOptions({ long: 'split', chunkTokens: 10, chunkOverlap: 8 }), 512)).message).toMatch(/--chunk-overlap: expected at most 7/);
    expect(longPolicy(resolveLongOptions({ long: 'split', chunkTokens: 10, chunkOverlap: 7 }), 512).chunkOverlap).toBe(7);
  });
});
