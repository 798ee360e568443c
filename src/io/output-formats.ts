import type { RecordBatch, Schema } from 'apache-arrow';
import { ArrowFileWriter } from './arrow-file-writer.js';

/**
 * One part file being written. Nothing under the part's final name exists until
 * {@link PartWriter.commit}: writers fill `PATH.tmp`, then fsync and rename, so the commit
 * protocol (and resume, shards and the queue on top of it) never knows the format.
 */
export interface PartWriter {
  /** The final path; the bytes go to `${path}.tmp` until commit. */
  readonly path: string;
  /** Appends one record batch. Rejects with the filesystem's error (ENOSPC, ...) where it happens. */
  write(batch: RecordBatch): Promise<void>;
  /** Finishes the file, fsyncs, renames it into place; its size and sha256. */
  commit(): Promise<{ bytes: number; sha256: string }>;
  /** Closes and leaves the temp file (never read as complete; resume and merge remove it). */
  abandon(): Promise<void>;
}

/** An output format: the extension of its part files and how to open one. */
export interface OutputFormatEntry {
  readonly name: string;
  /** With the dot: `.arrow`. */
  readonly extension: string;
  create(path: string, schema: Schema): Promise<PartWriter>;
}

/**
 * The output formats, by `--output-format` name. Adding one is an entry here plus its
 * {@link PartWriter}.
 *
 * @example
 * ```ts
 * const w = await OUTPUT_FORMATS.arrow.create('out/part-00000.arrow', schema);
 * ```
 */
export const OUTPUT_FORMATS = Object.freeze({
  arrow: { name: 'arrow', extension: '.arrow', create: (path: string, schema: Schema) => ArrowFileWriter.create(path, schema) },
} satisfies Record<string, OutputFormatEntry>);

export type OutputFormat = keyof typeof OUTPUT_FORMATS;

export const OUTPUT_FORMAT_NAMES = Object.freeze(Object.keys(OUTPUT_FORMATS) as OutputFormat[]);

/** Matches the part files of every format (and their temp files): `part-00003.arrow`, `part-run-shard-00001.arrow.tmp`. */
export const PART_FILE = new RegExp(`^part-[\\w.-]+(${OUTPUT_FORMAT_NAMES.map((f) => OUTPUT_FORMATS[f].extension.replace('.', '\\.')).join('|')})(\\.tmp)?$`);
