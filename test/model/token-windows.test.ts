import { describe, expect, it } from 'vitest';
import { charSpan, windowIds, windowSpans } from '../../src/model/token-windows.js';

describe('windowSpans', () => {
  it('covers every token, each window starting `overlap` tokens before the previous ended', () => {
    for (const [n, chunk, overlap] of [[10, 6, 1], [640, 64, 8], [62, 64, 8], [63, 64, 8], [1000, 128, 0], [5000, 512, 64], [1, 3, 0]]) {
      const spans = windowSpans(n, chunk, overlap);
      expect(spans[0][0]).toBe(0);
      expect(spans.at(-1)![1]).toBe(n);
      for (const [s, e] of spans) {
        expect(e - s).toBeLessThanOrEqual(chunk - 2);
        expect(e).toBeGreaterThan(s);
      }
      for (let i = 1; i < spans.length; i++) {
        expect(spans[i][0], `n=${n} window ${i}`).toBe(spans[i - 1][1] - overlap);
        // Every window but the last is full.
        expect(spans[i - 1][1] - spans[i - 1][0]).toBe(chunk - 2);
      }
      expect(spans.length).toBe(n <= chunk - 2 ? 1 : 1 + Math.ceil((n - (chunk - 2)) / (chunk - 2 - overlap)));
    }
    expect(windowSpans(10, 6, 1)).toEqual([[0, 4], [3, 7], [6, 10]]);
  });

  it('makes one empty window of no tokens, and refuses windows that cannot move on', () => {
    expect(windowSpans(0, 8, 1)).toEqual([[0, 0]]);
    expect(() => windowSpans(10, 6, 4)).toThrow(RangeError);
    expect(() => windowSpans(10, 2, 0)).toThrow(RangeError);
  });
});

describe('windowIds and charSpan', () => {
  it('wrap a window in [CLS] … [SEP] and give its characters from the token offsets', () => {
    const ids = Int32Array.of(10, 11, 12, 13);
    expect([...windowIds(ids, 1, 3, 2, 3)]).toEqual([2, 11, 12, 3]);
    const offsets = Int32Array.of(0, 3, 4, 8, 8, 9, 10, 15);
    expect(charSpan(offsets, 1, 3)).toEqual([4, 9]);
    expect(charSpan(null, 1, 3)).toEqual([-1, -1]);
    expect(charSpan(offsets, 2, 2)).toEqual([0, 0]);
  });
});
