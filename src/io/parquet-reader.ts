import type { FileHandle } from 'node:fs/promises';
import { parquetMetadataAsync, parquetRead, parquetSchema, type AsyncBuffer, type FileMetaData, type RowGroup, type SchemaElement } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { InputError } from '../errors.js';
import { fileOf, type ColumnarFile, type ColumnInfo, type ColumnarUnit } from './columnar-file.js';
import type { InputBytes } from './input-bytes.js';
import { InputErrorCode } from './read-errors.js';

/**
 * A Parquet input, read with hyparquet (pure JavaScript; snappy, gzip, zstd, brotli and
 * lz4 through hyparquet-compressors): the footer once, then only the column chunks of the
 * columns asked for, one row group at a time. Its units are the row groups; their bytes
 * run from the first page of their first column chunk to the end of their last.
 *
 * @example
 * ```ts
 * const file = await openParquetFile(await openFileInput('docs.parquet'));
 * const [texts] = await file.read(0, 0, file.units[0].rows, ['text']);
 * ```
 */
export async function openParquetFile(bytes: InputBytes): Promise<ColumnarFile> {
  const buffer = asyncBuffer(fileOf(bytes, 'Parquet'), bytes.size ?? 0);
  let metadata: FileMetaData;
  let columns: ColumnInfo[];
  // The schema is decoded from the file's own bytes too: a damaged one is
  // ALB_INPUT_UNREADABLE naming the file, not a stray exception.
  try {
    metadata = await parquetMetadataAsync(buffer);
    columns = parquetSchema(metadata).children.map((c): ColumnInfo => ({ name: c.element.name, ...kindOf(c.element, c.children.length > 0) }));
  } catch (err) {
    throw new InputError(InputErrorCode.UNREADABLE, `cannot read input ${bytes.name} as Parquet: ${(err as Error).message}`, { input: bytes.name }, { cause: err });
  }
  let firstRow = 0;
  const units: ColumnarUnit[] = metadata.row_groups.map((g) => {
    const unit = { firstRow, rows: Number(g.num_rows), ...rowGroupBytes(g) };
    firstRow += unit.rows;
    return unit;
  });
  return {
    units,
    rows: firstRow,
    columns,
    read: (_index, from, to, names) =>
      new Promise<unknown[][]>((resolve, reject) => {
        parquetRead({
          file: buffer,
          metadata,
          columns: [...names],
          rowStart: from,
          rowEnd: to,
          rowFormat: 'object',
          compressors,
          onComplete: (rows) => resolve(names.map((n) => (rows as Record<string, unknown>[]).map((r) => r[n] ?? null))),
        }).catch(reject);
      }),
  };
}

/**
 * Where a row group's bytes lie: from the first page of its first column chunk to the end
 * of its last. A `dictionary_page_offset` of 0 means none (some writers store 0 rather than
 * leaving it out; byte 0 is the file's magic, never a page), as hyparquet reads it too.
 *
 * @example
 * ```ts
 * rowGroupBytes(metadata.row_groups[0]); // { byteStart: 4, byteEnd: 81234 }
 * ```
 */
export function rowGroupBytes(g: Pick<RowGroup, 'columns'>): { byteStart: number; byteEnd: number } {
  let byteStart = Number.POSITIVE_INFINITY;
  let byteEnd = 0;
  for (const c of g.columns) {
    const m = c.meta_data;
    if (!m) continue;
    const start = Number(m.dictionary_page_offset || m.data_page_offset);
    byteStart = Math.min(byteStart, start);
    byteEnd = Math.max(byteEnd, start + Number(m.total_compressed_size));
  }
  return { byteStart: Number.isFinite(byteStart) ? byteStart : 0, byteEnd };
}

function kindOf(e: SchemaElement, group: boolean): Pick<ColumnInfo, 'kind' | 'type'> {
  const annotation = e.logical_type?.type ?? e.converted_type;
  const type = group ? `a group (${annotation ?? 'struct'})` : `${e.type}${annotation ? ` (${annotation})` : ''}`;
  if (group) return { kind: 'other', type };
  // Unannotated BYTE_ARRAY is how some writers store strings; hyparquet decodes it as UTF-8.
  if (e.type === 'BYTE_ARRAY' && (annotation === undefined || annotation === 'UTF8' || annotation === 'STRING' || annotation === 'JSON')) return { kind: 'string', type };
  if ((e.type === 'INT32' || e.type === 'INT64') && (annotation === undefined || annotation === 'INTEGER' || /^U?INT_/.test(String(annotation)))) return { kind: 'integer', type };
  return { kind: 'other', type };
}

/** hyparquet's view of a file: positioned reads of the open handle. */
function asyncBuffer(fh: FileHandle, size: number): AsyncBuffer {
  return {
    byteLength: size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const stop = Math.min(end ?? size, size);
      const out = new ArrayBuffer(Math.max(0, stop - start));
      const view = new Uint8Array(out);
      for (let got = 0; got < view.length; ) {
        const { bytesRead } = await fh.read(view, got, view.length - got, start + got);
        if (bytesRead === 0) throw new Error(`the file ended at byte ${start + got}, before byte ${stop} (was it cut or changed while being read?)`);
        got += bytesRead;
      }
      return out;
    },
  };
}
