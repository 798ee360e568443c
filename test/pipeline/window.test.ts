import { describe, expect, it } from 'vitest';
import type { EncodedRow } from '../../src/model/padding.js';
import { RowAccounting } from '../../src/pipeline/row-accounting.js';
import { Window } from '../../src/pipeline/window.js';
import type { BatchResult } from '../../src/tasks/task.js';

/** Window k of `count` of document `seq` (count 0: a row processed whole). */
function row(seq: number, k = 0, count = 0): EncodedRow {
  const ids = Int32Array.of(2, 10 + k, 3);
  return count ? { seq, ids, typeIds: null, truncated: false, chunk: { index: k, count, tokenStart: k, tokenEnd: k + 1, charStart: -1, charEnd: -1, docTokens: count } } : { seq, ids, typeIds: null, truncated: false };
}

const response = (n: number): BatchResult => ({ seqs: new Float64Array(n), columns: {}, timings: { queueMs: 0, inferMs: 0, postMs: 0 } });

describe('a window holding split documents', () => {
  it('outputs a document once all its windows are back, as one row with its windows in order', () => {
    const win = new Window(0, 0);
    const acc = new RowAccounting('skip', null);
    win.expectChunks(1, 3);
    // Windows of document 1 come back in two batches, out of order, around row 0 and 2.
    acc.output(win, [row(1, 2, 3), row(0), row(1, 0, 3)], response(3), (s) => `r${s}`);
    expect(acc.live).toMatchObject({ rowsDone: 1, rowsOut: 1, tokens: 9 });
    acc.output(win, [row(2), row(1, 1, 3)], response(2), (s) => `r${s}`);
    expect(acc.live).toMatchObject({ rowsDone: 3, rowsOut: 3, tokens: 15 });
    const rows = win.orderedOutputs();
    expect(rows.map((r) => r.seq)).toEqual([0, 1, 2]);
    expect(rows[1].chunks!.map((c) => c.encoded.chunk!.index)).toEqual([0, 1, 2]);
    expect(rows[0].chunks).toBeUndefined();
  });

  it('rejects a document once when several of its windows fail, and drops the windows that did not', () => {
    const win = new Window(0, 0);
    const acc = new RowAccounting('skip', null);
    win.expectChunks(0, 3);
    acc.output(win, [row(0, 0, 3)], response(1), (s) => `r${s}`);
    const reject = { row: 0, offset: 0, id: 'r0', stage: 'infer' as const, code: 'ALB_WORKER_FAILED', message: 'x', excerpt: null };
    acc.reject(win, reject);
    acc.reject(win, reject);
    acc.output(win, [row(0, 2, 3), row(1)], response(2), (s) => `r${s}`);
    expect(acc.live).toMatchObject({ rowsDone: 2, rowsOut: 1, rejected: 1 });
    expect(win.rejects).toHaveLength(1);
    expect(win.orderedOutputs().map((r) => r.seq)).toEqual([1]);
  });
});
