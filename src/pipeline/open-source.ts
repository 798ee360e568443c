import { readSource, type ReadSourceOptions, type Source } from '../io/read-source.js';
import type { ResolvedJobOptions } from './job-options.js';

/**
 * Opens the job's input where the job stands. A resumed job whose manifest knows the byte
 * offset of its next row seeks there; otherwise (stdin, or the offset unknown) it reads
 * from the start and the caller skips rows before `next.seq`.
 */
export async function openSource(job: ResolvedJobOptions, next: { seq: number; offset: number | null }, range?: { startOffset: number; endOffset: number; firstSeq: number }): Promise<Source> {
  const options: ReadSourceOptions = {
    input: job.input,
    ...(job.format ? { format: job.format } : {}),
    textColumn: job.textColumn,
    ...(job.textBColumn ? { textBColumn: job.textBColumn } : {}),
    ...(job.idColumn !== 'id' ? { idColumn: job.idColumn } : {}),
    keepEmpty: job.keepEmpty,
    maxRecordBytes: job.maxRecordBytes,
  };
  const seekable = typeof job.input === 'string' && job.input !== '-';
  if (range) {
    const resumeAt = next.seq > range.firstSeq && next.offset !== null ? { startOffset: next.offset, firstSeq: next.seq } : { startOffset: range.startOffset, firstSeq: range.firstSeq };
    Object.assign(options, resumeAt, { endOffset: range.endOffset });
  } else if (seekable && next.seq > 0 && next.offset !== null) {
    Object.assign(options, { startOffset: next.offset, firstSeq: next.seq });
  }
  const source = readSource(options);
  await source.open();
  return source;
}
