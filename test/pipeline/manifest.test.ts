import { describe, expect, it } from 'vitest';
import { fingerprintDifference } from '../../src/pipeline/manifest.js';

describe('fingerprintDifference', () => {
  it('is null for equal fingerprints, whatever their key order', () => {
    expect(fingerprintDifference({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 })).toBeNull();
  });

  it('names the first differing key with both values, including a key one side lacks', () => {
    expect(fingerprintDifference({ model: 'x', pooling: 'mean' }, { model: 'x', pooling: 'cls' })).toEqual({ key: 'pooling', was: 'mean', now: 'cls' });
    expect(fingerprintDifference({ model: 'x' }, { model: 'x', max_length: 64 })).toEqual({ key: 'max_length', was: undefined, now: 64 });
    expect(fingerprintDifference({ opts: { a: 1 } }, { opts: { a: 2 } })).toEqual({ key: 'opts', was: { a: 1 }, now: { a: 2 } });
  });
});
