import { describe, expect, it } from 'vitest';
import type { RejectRecord } from '../../src/pipeline/reject.js';
import { RowAccounting } from '../../src/pipeline/row-accounting.js';
import { WindowQueue } from '../../src/pipeline/window-queue.js';
import { Window } from '../../src/pipeline/window.js';

const reject = (row: number): RejectRecord => ({ row, offset: null, id: `r${row}`, stage: 'read', code: 'ALB_ROW_EMPTY_TEXT', message: 'empty', excerpt: null });
const encoded = (seq: number, len: number) => ({ seq, ids: new Int32Array(len), typeIds: null, truncated: false });
const response = { seqs: new Float64Array(0), columns: {}, timings: { queueMs: 0, inferMs: 0, postMs: 0 } };

describe('RowAccounting', () => {
  it('every row read ends as exactly one output or reject, in its window', () => {
    const acc = new RowAccounting('skip', null);
    const win = new Window(0, 0);
    for (let seq = 0; seq < 5; seq++) {
      acc.read();
      win.addRow({ seq, id: `r${seq}`, text: 'x' });
    }
    acc.reject(win, reject(2));
    acc.output(win, [encoded(4, 7), encoded(0, 3), encoded(1, 3), encoded(3, 5)], response, (seq) => `r${seq}`);
    expect(acc.live).toEqual({ rowsRead: 5, rowsDone: 5, rowsOut: 4, rejected: 1, tokens: 18 });
    expect(acc.live.rowsRead).toBe(acc.live.rowsOut + acc.live.rejected);
    expect(win.orderedOutputs().map((o) => o.seq)).toEqual([0, 1, 3, 4]);
    expect(win.rejects.map((r) => r.row)).toEqual([2]);
    expect(win.tokens).toBe(18);
  });

  it('--on-error fail stops at the first reject, with the reject still stored', () => {
    const acc = new RowAccounting('fail', null);
    const win = new Window(0, 0);
    expect(() => acc.reject(win, reject(0))).toThrow(expect.objectContaining({ code: 'ALB_ROW_REJECTED' }));
    expect(win.rejects).toHaveLength(1);
  });

  it('--max-rejects N stops once more than N rows were rejected', () => {
    const acc = new RowAccounting('skip', 2);
    const win = new Window(0, 0);
    acc.reject(win, reject(0));
    acc.reject(win, reject(1));
    expect(() => acc.reject(win, reject(2))).toThrow(expect.objectContaining({ code: 'ALB_TOO_MANY_REJECTS' }));
  });
});

describe('WindowQueue', () => {
  it('emits windows in input order however their batches finish, with at most `open` read ahead', async () => {
    const emitted: number[] = [];
    let inFlight = 0;
    let most = 0;
    const release: Array<() => void> = [];
    const q = new WindowQueue(
      2,
      async (w) => {
        inFlight++;
        most = Math.max(most, inFlight);
        w.hold(1);
        release[w.seqStart] = () => w.release();
        w.release();
      },
      async (w) => {
        await w.done;
        inFlight--;
        emitted.push(w.seqStart);
      },
      (err) => {
        throw err;
      },
      () => false,
    );
    const windows = [0, 1, 2, 3].map((s) => new Window(s, null));
    for (const w of windows.slice(0, 2)) {
      await q.room();
      q.launch(w);
    }
    let third = false;
    const roomFor3 = q.room().then(() => (third = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(third).toBe(false);
    release[1]();
    await new Promise((r) => setTimeout(r, 10));
    expect(emitted).toEqual([]);
    release[0]();
    await roomFor3;
    q.launch(windows[2]);
    await q.room();
    q.launch(windows[3]);
    await new Promise((r) => setTimeout(r, 10));
    release[3]();
    release[2]();
    await q.drain();
    expect(emitted).toEqual([0, 1, 2, 3]);
    expect(most).toBeLessThanOrEqual(2);
  });
});

describe('RowAccounting: a reject stop', () => {
  it('cuts the window it came from and records the earliest such window, so the ones before it are kept', () => {
    const acc = new RowAccounting('skip', 1);
    const early = new Window(0, 0);
    const late = new Window(100, 0);
    acc.reject(early, reject(5));
    let thrown: unknown;
    try {
      acc.reject(late, reject(150));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ code: 'ALB_TOO_MANY_REJECTS' });
    expect(acc.isStop(thrown)).toBe(true);
    expect(acc.isStop(new Error('other'))).toBe(false);
    expect(late.cut).toBe(true);
    expect(early.cut).toBe(false);
    expect(acc.stop).toEqual({ error: thrown, windowStart: 100 });
    // A later reject in an earlier window (a batch still running there) stops that window too.
    expect(() => acc.reject(early, reject(7))).toThrow(expect.objectContaining({ code: 'ALB_TOO_MANY_REJECTS' }));
    expect(early.cut).toBe(true);
    expect(acc.stop).toEqual({ error: thrown, windowStart: 0 });
  });
});
