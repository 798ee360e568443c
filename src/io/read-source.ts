import type { Readable } from 'node:stream';
import { expandInput, isMultiInput, type InputSet } from './input-files.js';
import type { ReadRange } from './input-formats.js';
import { InputSource, type Source } from './input-source.js';
import { MultiFileSource } from './multi-source.js';
import { placeReadOptions, resolveReadOptions, resolveReadSource, type ReadSourceOptions, type ResolvedReadOptions } from './read-options.js';

export { DEFAULT_MAX_RECORD_BYTES, resolveReadOptions, resolveReadSource, type ReadOptions, type ReadSourceOptions, type ResolvedReadOptions, type ResolvedReadSource } from './read-options.js';
export { expandInput, type InputFile, type InputSet } from './input-files.js';
export type { Source } from './input-source.js';

/**
 * Reads a CSV, TSV, JSONL or text input as a stream of rows and rejects, in bounded memory:
 * a file (gzip-compressed too, told by its bytes), stdin, a stream, or the files of a
 * folder or glob one after another. Option errors throw here, and so do the errors of
 * listing a folder or glob (`ALB_INPUT_NO_FILES`, `ALB_INPUT_FORMAT_MIXED`), which is
 * done here, once; input errors at `open()` or the first item.
 *
 * @example
 * ```ts
 * const source = readSource({ input: 'docs.csv', textColumn: 'body' });
 * await source.open(); // optional: fail fast on a missing file or column
 * for await (const item of source) {
 *   if (isSourceReject(item)) console.warn(item.seq, item.code, item.excerpt);
 *   else handle(item); // { seq, id, text, offset }
 *   report(source.bytesRead() / (source.totalBytes ?? Infinity));
 * }
 * ```
 */
export function readSource(options: ReadSourceOptions): Source {
  if (typeof options === 'object' && options !== null && isMultiInput(options.input)) {
    const { input, startOffset, endOffset, firstSeq, ...read } = options;
    const resolved = resolveReadOptions(read);
    return new MultiFileSource(expandInput(input, resolved.format) as InputSet, resolved, { startOffset, endOffset, firstSeq });
  }
  return new InputSource(resolveReadSource(options));
}

/**
 * Opens `input` with record options resolved once (a job's, shared by all its shards),
 * on a range of it. Nothing is resolved again but the format, where the options leave it
 * to each input's extension. A folder or glob is listed here unless given as the
 * {@link InputSet} listed before (what a job fingerprinted).
 *
 * @example
 * ```ts
 * const source = openReadSource('docs.csv', resolveReadOptions({ idColumn: 'uid' }), { startOffset: 4096, firstSeq: 100 });
 * ```
 */
export function openReadSource(input: string | Readable | InputSet, read: ResolvedReadOptions, range: Partial<ReadRange> = {}): Source {
  if (isInputSet(input)) return new MultiFileSource(input, read, range);
  if (isMultiInput(input)) return new MultiFileSource(expandInput(input, read.format) as InputSet, read, range);
  return new InputSource(placeReadOptions(input, read, range));
}

function isInputSet(input: unknown): input is InputSet {
  return typeof input === 'object' && input !== null && Array.isArray((input as Partial<InputSet>).files);
}
