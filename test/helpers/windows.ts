import { Field, Int32, Schema, Utf8 } from 'apache-arrow';
import { int32Data, recordBatch, utf8Data } from '../../src/tasks/arrow-columns.js';
import type { RejectRecord } from '../../src/pipeline/reject.js';
import type { FinishedWindow } from '../../src/pipeline/window-sink.js';

/** A small real schema, and finished windows over it, for committer tests without a model. */
export const schema = new Schema([new Field('id', new Utf8(), false), new Field('n', new Int32(), false)]);

/** Rows seqStart..seqEnd-1; those in `rejected` become reject records instead of rows. */
export function finishedWindow(seqStart: number, seqEnd: number, rejected: readonly number[] = [], offsetOf = (seq: number) => seq * 10): FinishedWindow {
  const seqs = Array.from({ length: seqEnd - seqStart }, (_, i) => seqStart + i).filter((s) => !rejected.includes(s));
  const rejects: RejectRecord[] = rejected.map((row) => ({ row, offset: offsetOf(row), id: `r${row}`, stage: 'read', code: 'ALB_ROW_EMPTY_TEXT', message: 'empty', excerpt: '' }));
  return {
    seqStart,
    seqEnd,
    batch: seqs.length > 0 ? recordBatch(schema, [utf8Data(seqs.map((s) => `r${s}`)), int32Data(Int32Array.from(seqs))], seqs.length) : null,
    rows: seqs.length,
    tokens: seqs.length * 3,
    rejects,
    counts: { even: seqs.filter((s) => s % 2 === 0).length },
    nextOffset: offsetOf(seqEnd),
    inputEnd: offsetOf(seqEnd),
  };
}
