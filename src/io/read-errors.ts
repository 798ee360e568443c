import { InputError } from '../errors.js';
import { excerptOf } from './excerpt.js';
import type { SourceReject } from './row.js';

/**
 * The stable codes of the readers: record-level rejects (the record still owns its `seq`),
 * and whole-input errors (thrown as {@link InputError} before or at the first item).
 */

/** Why a record became a {@link SourceReject}. One code per cause, so counts can be grouped. */
export const ReadRejectCode = {
  /** Text (or, with `textBColumn`, text B) is empty or whitespace-only and `keepEmpty` is off. */
  EMPTY_TEXT: 'ALB_ROW_EMPTY_TEXT',
  EMPTY_TEXT_B: 'ALB_ROW_EMPTY_TEXT_B',
  /** The record's bytes are not well-formed UTF-8. */
  INVALID_UTF8: 'ALB_ROW_INVALID_UTF8',
  /** The record is longer than `maxRecordBytes`; the reader skipped to the next line. */
  TOO_LARGE: 'ALB_ROW_TOO_LARGE',
  /** CSV/TSV: the record has more or fewer fields than the header. */
  COLUMN_COUNT: 'ALB_ROW_COLUMN_COUNT',
  /** CSV: csv-parse rejected the record (quote placement, unclosed quote). */
  CSV_PARSE: 'ALB_ROW_CSV_PARSE',
  /** JSONL: the line is not JSON. */
  INVALID_JSON: 'ALB_ROW_INVALID_JSON',
  /** JSONL: the line is JSON but not an object. */
  NOT_OBJECT: 'ALB_ROW_NOT_OBJECT',
  /** JSONL: the text field is absent or not a string. */
  MISSING_TEXT: 'ALB_ROW_MISSING_TEXT',
  /** JSONL: `textBColumn` is set and the field is absent or not a string. */
  MISSING_TEXT_B: 'ALB_ROW_MISSING_TEXT_B',
  /** JSONL: the id field is neither a string, a finite number, nor absent/null. */
  INVALID_ID: 'ALB_ROW_INVALID_ID',
  /** JSONL: `--id-column` was named and the record has no such field (or it is null). */
  MISSING_ID: 'ALB_ROW_MISSING_ID',
  /** JSONL: the id, text or text B field holds a lone surrogate (an escaped `"\ud800"`), which UTF-8 output cannot keep. */
  INVALID_UTF16: 'ALB_ROW_INVALID_UTF16',
} as const;
export type ReadRejectCode = (typeof ReadRejectCode)[keyof typeof ReadRejectCode];

/** Whole-input failures; thrown as {@link InputError}. */
export const InputErrorCode = {
  /** The input cannot be opened or read (ENOENT, EACCES, EISDIR, a stream error). */
  UNREADABLE: 'ALB_INPUT_UNREADABLE',
  /** The CSV header lacks a column an option names. */
  MISSING_COLUMN: 'ALB_INPUT_MISSING_COLUMN',
  /** A Parquet or Arrow column an option names holds something other than text (or, for ids, text or integers). */
  COLUMN_TYPE: 'ALB_INPUT_COLUMN_TYPE',
  /** A column an option names appears more than once in the CSV header. */
  DUPLICATE_COLUMN: 'ALB_INPUT_DUPLICATE_COLUMN',
  /** The CSV header itself cannot be parsed (bad quotes, invalid UTF-8, too large). */
  BAD_HEADER: 'ALB_INPUT_BAD_HEADER',
  /** No `--format` and none can be inferred (stdin, a stream, an unknown extension). */
  FORMAT_UNKNOWN: 'ALB_INPUT_FORMAT_UNKNOWN',
  /** The files of a folder or glob have extensions of more than one format, and no `--format`. */
  FORMAT_MIXED: 'ALB_INPUT_FORMAT_MIXED',
  /** A folder or glob input has no input files. */
  NO_FILES: 'ALB_INPUT_NO_FILES',
  /** A compressed input is not what its name says, or its data is corrupt or truncated. */
  COMPRESSED_INVALID: 'ALB_INPUT_COMPRESSED_INVALID',
  /** The input's compression cannot be inflated by this Node.js (zstd before 22.15). */
  COMPRESSION_UNSUPPORTED: 'ALB_INPUT_COMPRESSION_UNSUPPORTED',
} as const;
export type InputErrorCode = (typeof InputErrorCode)[keyof typeof InputErrorCode];

/** Where a reject came from: the record's bytes and what is known of it. */
export interface RejectSite {
  seq: number;
  offset: number;
  buf: Uint8Array;
  start: number;
  end: number;
  id?: string;
}

export function readReject(site: RejectSite, code: ReadRejectCode, message: string): SourceReject {
  const reject: SourceReject = {
    seq: site.seq,
    offset: site.offset,
    stage: 'read',
    code,
    message,
    excerpt: excerptOf(site.buf, site.start, site.end),
  };
  if (site.id !== undefined) reject.id = site.id;
  return reject;
}

/** Wraps a filesystem or stream error so callers see one code, with the OS code kept in details. */
export function unreadable(name: string, err: unknown): InputError {
  const osCode = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : undefined;
  const reason = err instanceof Error ? err.message : String(err);
  return new InputError(InputErrorCode.UNREADABLE, `cannot read input ${name}: ${reason}`, { input: name, osCode }, { cause: err });
}
