import { describe, expect, it } from 'vitest';
import { DoneBytes } from '../../src/pipeline/progress-bytes.js';

const snap = (rowsRead: number, bytesRead: number, rowsDone: number, tokens = 0) => ({ rowsRead, bytesRead, rowsDone, tokens });

describe('DoneBytes', () => {
  it('by rows: the bytes of the done rows off the (rows read, bytes read) map, not the bytes read', () => {
    const d = new DoneBytes();
    // The first 1,000 rows are long (500 B each), the next 1,000 short (100 B each).
    expect(d.observe(snap(1000, 500_000, 0))).toBe(0);
    expect(d.observe(snap(2000, 600_000, 500))).toBe(250_000);
    expect(d.observe(snap(2000, 600_000, 1000))).toBe(500_000);
    expect(d.observe(snap(2000, 600_000, 1500))).toBe(550_000);
    expect(d.observe(snap(2000, 600_000, 2000))).toBe(600_000);
  });

  it('by rows: bytes read growing without new rows (a long row in a chunk) moves the last point', () => {
    const d = new DoneBytes();
    d.observe(snap(100, 10_000, 0));
    expect(d.observe(snap(100, 30_000, 50))).toBe(15_000);
  });

  it('by tokens when the pipeline reports the tokenized windows: exact for a one-window job run longest first', () => {
    const d = new DoneBytes();
    // One window of 1,000 rows, 400 KB, 100,000 tokens; its longest rows (60% of the tokens) went first.
    const p = { ...snap(1000, 400_000, 100, 60_000), bytesTokenized: 400_000, tokensTokenized: 100_000 };
    expect(d.observe(p)).toBe(240_000);
    // By rows the same moment would read as 10%.
    expect(new DoneBytes().observe(snap(1000, 400_000, 100, 60_000))).toBe(40_000);
    expect(d.trustworthy).toBe(true);
  });

  it('by rows, trusted only once the rows done are past the reader\'s opening burst (an input read whole in it never is)', () => {
    const d = new DoneBytes();
    expect(d.trustworthy).toBe(false);
    d.observe(snap(0, 0, 0));
    d.observe(snap(12_288, 3e6, 0));
    for (let k = 1; k <= 3; k++) {
      d.observe(snap(12_288 + k * 4096, 3e6 + k * 1e6, k * 4096));
      expect(d.trustworthy).toBe(false);
    }
    d.observe(snap(12_288 + 4 * 4096, 7e6, 12_289));
    expect(d.trustworthy).toBe(true);
  });
});
