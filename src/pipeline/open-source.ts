import { formatOfName, INPUT_FORMATS } from '../io/input-formats.js';
import { openReadSource, type Source } from '../io/read-source.js';
import type { ResolvedJobOptions } from './job-options.js';

/**
 * Opens the job's input where the job stands, with the job's read options as they are. A
 * resumed job whose manifest knows the byte offset of its next row seeks there; otherwise
 * (stdin, a compressed input, whose rows have no offsets, or the offset unknown) it reads
 * from the start and the caller skips rows before `next.seq`. A folder or glob is read as
 * the files the job listed when it started (`inputFiles`, what its fingerprint records);
 * its offsets run across the files. A shard reads its own input's byte range.
 */
export async function openSource(
  job: Pick<ResolvedJobOptions, 'input' | 'read' | 'inputFiles'>,
  next: { seq: number; offset: number | null },
  shard?: { input: string; startOffset: number; endOffset: number; firstSeq: number },
): Promise<Source> {
  let source: Source;
  if (shard) {
    const resumeAt = next.seq > shard.firstSeq && next.offset !== null ? { startOffset: next.offset, firstSeq: next.seq } : { startOffset: shard.startOffset, firstSeq: shard.firstSeq };
    source = openReadSource(shard.input, job.read, { ...resumeAt, endOffset: shard.endOffset });
  } else {
    const seekable = typeof job.input === 'string' && job.input !== '-';
    source = openReadSource(job.inputFiles ?? job.input, job.read, seekable && next.seq > 0 && next.offset !== null ? { startOffset: next.offset, firstSeq: next.seq } : {});
  }
  await source.open();
  return source;
}

/**
 * What the job's input positions count: `bytes`, or `rows` for a Parquet or Arrow input
 * (read by its footer; a part's input range ends at the end of a row group, so the rows of
 * a part may come from bytes an earlier part's range holds, and the file never grows by
 * appended rows).
 */
export function inputPositions(job: Pick<ResolvedJobOptions, 'input' | 'read' | 'inputFiles'>): 'bytes' | 'rows' {
  const format = job.inputFiles?.format ?? job.read.format ?? (typeof job.input === 'string' ? formatOfName(job.input) : undefined);
  return format === undefined ? 'bytes' : INPUT_FORMATS[format].positions;
}
