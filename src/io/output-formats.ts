import type { RecordBatch, Schema } from 'apache-arrow';
import { ArrowFileWriter } from './arrow-file-writer.js';
import { checkArrowFile, checkParquetFile } from './footer-check.js';
import { ParquetFileWriter } from './parquet-file-writer.js';
import { parquetLayout } from './parquet-schema.js';

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
  /** Whether a committed part still looks complete (its footer): what is wrong, or null. */
  check(path: string): Promise<string | null>;
  /** Why this format cannot hold `schema` (a column type it has no form for), or null; asked before a job reads a row. */
  cannotWrite?(schema: Schema): string | null;
}

/**
 * The output formats, by `--output-format` name. Adding one is an entry here plus its
 * {@link PartWriter}.
 *
 * @example
 * ```ts
 * const w = await OUTPUT_FORMATS.parquet.create('out/part-00000.parquet', schema);
 * ```
 */
export const OUTPUT_FORMATS = Object.freeze({
  arrow: { name: 'arrow', extension: '.arrow', create: (path: string, schema: Schema) => ArrowFileWriter.create(path, schema), check: checkArrowFile },
  parquet: {
    name: 'parquet',
    extension: '.parquet',
    create: (path: string, schema: Schema) => ParquetFileWriter.create(path, schema),
    check: checkParquetFile,
    cannotWrite: (schema: Schema) => {
      try {
        parquetLayout(schema);
        return null;
      } catch (err) {
        return (err as Error).message;
      }
    },
  },
} satisfies Record<string, OutputFormatEntry>);

export type OutputFormat = keyof typeof OUTPUT_FORMATS;

export const OUTPUT_FORMAT_NAMES = Object.freeze(Object.keys(OUTPUT_FORMATS) as OutputFormat[]);

/**
 * The names a job gives its part files in --out, of every format, and their temp files:
 * `part-00003.arrow`, `part-00003.arrow.tmp`. What --overwrite and --resume may remove
 * beyond the files a manifest lists; a user's `part-1.arrow` is not one of them.
 */
export const JOB_PART_FILE = new RegExp(`^part-\\d{5,}(${OUTPUT_FORMAT_NAMES.map((f) => OUTPUT_FORMATS[f].extension.replace('.', '\\.')).join('|')})(\\.tmp)?$`);
