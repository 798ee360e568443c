/**
 * What readers yield. `seq` is the row's position in the job's input (0-based, counting
 * every record, good or bad): the one key for order, resume and sharding.
 */
export interface SourceRow {
  seq: number;
  /** The id column's value, or the row number (`String(seq)`) when the input has no id. */
  id: string;
  text: string;
  /** Second segment of a pair (`--text-b-column`). */
  textB?: string;
  /** Byte offset of the record's first byte in the input, where the reader knows it. */
  offset?: number;
}

/** A record the reader could not turn into a row. It still owns its `seq`. */
export interface SourceReject {
  seq: number;
  id?: string;
  offset?: number;
  stage: 'read';
  /** Stable code, e.g. `ALB_ROW_INVALID_UTF8`. */
  code: string;
  message: string;
  /** A short, printable excerpt of the offending record. */
  excerpt?: string;
}

export type SourceItem = SourceRow | SourceReject;

export function isSourceReject(item: SourceItem): item is SourceReject {
  return (item as SourceReject).code !== undefined;
}

