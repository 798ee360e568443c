import { AlbertError } from '../errors.js';

export type RejectStage = 'read' | 'tokenize' | 'infer' | 'write';

/** One line of `rejects.jsonl`: a row that is not in the output, and why. */
export interface RejectRecord {
  /** The input row number (`seq`). */
  row: number;
  offset: number | null;
  id: string | null;
  stage: RejectStage;
  code: string;
  message: string;
  excerpt: string | null;
}

/** Printable, bounded excerpt of a row's text for a reject record. */
export function excerpt(text: string | undefined, max = 80): string | null {
  if (text === undefined) return null;
  // eslint-disable-next-line no-control-regex
  const printable = text.slice(0, max * 2).replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return printable.length > max ? `${printable.slice(0, max - 1)}…` : printable;
}

/**
 * The one way a row leaves the pipeline without output. Counts by code, enforces
 * --on-error fail and --max-rejects (both stop the job cleanly, never mid-write), and
 * hands the record to the window that owns the row, so it is committed with its part.
 */
export class RejectPolicy {
  readonly byCode: Record<string, number> = {};
  count = 0;

  constructor(
    private readonly onError: 'skip' | 'fail',
    private readonly maxRejects: number | null,
  ) {}

  reject(record: RejectRecord, store: (r: RejectRecord) => void): void {
    store(record);
    this.count++;
    this.byCode[record.code] = (this.byCode[record.code] ?? 0) + 1;
    if (this.onError === 'fail') {
      throw new AlbertError('ALB_ROW_REJECTED', `row ${record.row}${record.id !== null ? ` (id ${record.id})` : ''} was rejected at ${record.stage} with ${record.code}: ${record.message}; stopping because of --on-error fail`, { row: record.row, code: record.code, option: '--on-error' });
    }
    if (this.maxRejects !== null && this.count > this.maxRejects) {
      throw new AlbertError('ALB_TOO_MANY_REJECTS', `${this.count} rows rejected, more than --max-rejects ${this.maxRejects}; stopping (last: row ${record.row}, ${record.code}: ${record.message})`, { option: '--max-rejects', count: this.count });
    }
  }
}
