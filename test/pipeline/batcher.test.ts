import { describe, expect, it } from 'vitest';
import type { EncodedRow } from '../../src/model/padding.js';
import { padBatch } from '../../src/model/padding.js';
import { cutBatches, paddingEfficiency } from '../../src/pipeline/batcher.js';

/** A deterministic pseudo-random window of rows with lengths like real paragraphs. */
function window(n: number, seed: number, maxLen = 512): EncodedRow[] {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: n }, (_, i) => {
    const len = Math.min(maxLen, 3 + Math.floor(-Math.log(1 - rnd()) * 60));
    return { seq: 1000 + i, ids: Int32Array.from({ length: len }, (_, t) => (t === 0 ? 2 : t === len - 1 ? 3 : 5 + t)), typeIds: null, truncated: false };
  });
}

describe('cutBatches', () => {
  it.each([
    [4096, 8192, 1],
    [1000, 512, 2],
    [777, 3000, 3],
    [1, 100, 4],
  ])('%i rows, budget %i: every row once, budget kept, deterministic', (n, budget, seed) => {
    const rows = window(n, seed, Math.min(512, budget));
    const batches = cutBatches(rows, budget);
    const seen = batches.flat().map((r) => r.seq).sort((a, b) => a - b);
    expect(seen).toEqual(rows.map((r) => r.seq));
    for (const b of batches) {
      const width = Math.max(...b.map((r) => r.ids.length));
      expect(b.length * width).toBeLessThanOrEqual(Math.max(budget, width));
    }
    expect(cutBatches([...rows].reverse(), budget)).toEqual(batches);
  });

  it('pads little once sorted, and far more without sorting', () => {
    const rows = window(4096, 7);
    const sorted = paddingEfficiency(cutBatches(rows, 8192));
    expect(sorted.real / sorted.padded).toBeGreaterThan(0.9);
    const unsorted: EncodedRow[][] = [];
    for (let i = 0; i < rows.length; i += 64) unsorted.push(rows.slice(i, i + 64));
    const naive = paddingEfficiency(unsorted);
    expect(naive.real / naive.padded).toBeLessThan(0.6);
  });

  it('puts a row longer than the budget in a batch of its own', () => {
    const long: EncodedRow = { seq: 1, ids: new Int32Array(300), typeIds: null, truncated: true };
    const short: EncodedRow = { seq: 2, ids: new Int32Array(10), typeIds: null, truncated: false };
    expect(cutBatches([short, long], 256).map((b) => b.map((r) => r.seq))).toEqual([[1], [2]]);
  });
});

describe('padBatch', () => {
  it('pads to the batch\'s own longest row, with masks and type ids', () => {
    const b = padBatch(
      [
        { seq: 5, ids: Int32Array.of(2, 7, 3), typeIds: null, truncated: false },
        { seq: 9, ids: Int32Array.of(2, 7, 3, 8, 3), typeIds: Int32Array.of(0, 0, 0, 1, 1), truncated: false },
      ],
      0,
    );
    expect([b.B, b.S]).toEqual([2, 5]);
    expect(Array.from(b.inputIds, Number)).toEqual([2, 7, 3, 0, 0, 2, 7, 3, 8, 3]);
    expect(Array.from(b.attentionMask, Number)).toEqual([1, 1, 1, 0, 0, 1, 1, 1, 1, 1]);
    expect(Array.from(b.tokenTypeIds, Number)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
    expect([...b.seqs]).toEqual([5, 9]);
    expect([...b.lengths]).toEqual([3, 5]);
  });
});
