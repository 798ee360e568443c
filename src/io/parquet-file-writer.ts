import { createHash, type Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { Table, tableToIPC, type RecordBatch, type Schema } from 'apache-arrow';
import { commitFile, openForWrite } from './durable-file.js';
import type { PartWriter } from './output-formats.js';
import { packageInfo } from './package-root.js';
import { CHUNK_ENCODINGS, dataPage } from './parquet-encode.js';
import { parquetLayout, type LeafColumn, type ParquetLayout, type SchemaElement } from './parquet-schema.js';
import { shred } from './parquet-shred.js';
import { ThriftWriter } from './thrift-compact.js';

const MAGIC = Uint8Array.from([0x50, 0x41, 0x52, 0x31]); // PAR1

/** Level slots per data page of a nested column (about 1 MiB of floats), so a page stays small whatever a row holds. */
const PAGE_SLOTS = 1 << 18;
/** Rows per data page of a flat column. */
const FLAT_PAGE_ROWS = 1 << 16;

interface ChunkMeta {
  leaf: LeafColumn;
  offset: number;
  bytes: number;
  slots: number;
}

interface RowGroupMeta {
  columns: ChunkMeta[];
  rows: number;
  offset: number;
  bytes: number;
}

/**
 * Writes one Parquet file (format 1.0 data pages, uncompressed, PLAIN) to `PATH.tmp`, one
 * row group per {@link ParquetFileWriter.write} (a window of rows), and makes it appear as
 * `PATH` only on commit, after the footer and an fsync. Pages are written as they are made,
 * so the part is never held whole in memory. The footer's key-value metadata holds the Arrow
 * schema's metadata (`albert.*`) and `ARROW:schema`, the Arrow schema as pyarrow and polars
 * read it back (fixed-size lists stay fixed-size there).
 *
 * Our own encoder, not a library's: it writes the bytes Arrow already holds (a window of
 * 1,024 x 256 floats in a few milliseconds) where the JavaScript writers we measured walk
 * every value (hyparquet-writer: ~0.2 s per such window), and adds nothing to install.
 *
 * @example
 * ```ts
 * const w = await ParquetFileWriter.create('out/part-00000.parquet', schema);
 * await w.write(batch);
 * const { bytes, sha256 } = await w.commit();
 * ```
 */
export class ParquetFileWriter implements PartWriter {
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;
  private rows = 0;
  private readonly groups: RowGroupMeta[] = [];

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    private readonly schema: Schema,
    private readonly layout: ParquetLayout,
  ) {}

  static async create(path: string, schema: Schema): Promise<ParquetFileWriter> {
    const layout = parquetLayout(schema);
    const w = new ParquetFileWriter(path, await openForWrite(`${path}.tmp`), schema, layout);
    await w.out([MAGIC]);
    return w;
  }

  /** Appends `batch` as one row group (nothing for an empty batch). */
  async write(batch: RecordBatch): Promise<void> {
    const rows = batch.numRows;
    if (rows === 0) return;
    const group: RowGroupMeta = { columns: [], rows, offset: this.bytes, bytes: 0 };
    for (const leaf of this.layout.leaves) {
      const column = batch.data.children[leaf.field];
      const chunk: ChunkMeta = { leaf, offset: this.bytes, bytes: 0, slots: 0 };
      const nested = leaf.maxRep > 0;
      // A nested row's size is unknown until shredded (a token_embeddings row of 512 tokens
      // at H=768 is 393K slots), so the first page is one row and the rest are sized from it.
      let step = nested ? 1 : FLAT_PAGE_ROWS;
      for (let start = 0; start < rows; ) {
        const end = Math.min(rows, start + step);
        const s = shred(column, leaf, start, end);
        const page = dataPage(s, leaf.values, leaf.maxRep, leaf.maxDef);
        await this.out(page.chunks);
        chunk.bytes += page.bytes;
        chunk.slots += s.count;
        // Size the next page by what this one's rows held.
        if (nested) step = Math.max(1, Math.min(FLAT_PAGE_ROWS, Math.floor((PAGE_SLOTS * (end - start)) / Math.max(1, s.count))));
        start = end;
      }
      group.columns.push(chunk);
      group.bytes += chunk.bytes;
    }
    this.groups.push(group);
    this.rows += rows;
  }

  /** Writes the footer, fsyncs, renames into place; returns size and sha256 of the file. */
  async commit(): Promise<{ bytes: number; sha256: string }> {
    const footer = this.footer();
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, footer.byteLength, true);
    await this.out([footer, len, MAGIC]);
    await commitFile(this.fh, `${this.path}.tmp`, this.path);
    return { bytes: this.bytes, sha256: this.hash.digest('hex') };
  }

  /** Closes and leaves the temp file behind (it is never read as complete; resume removes it). */
  async abandon(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }

  private async out(chunks: Uint8Array[]): Promise<void> {
    for (const c of chunks) {
      this.hash.update(c);
      this.bytes += c.byteLength;
    }
    await this.fh.writev(chunks);
  }

  /** The FileMetaData (parquet.thrift), compact-encoded. */
  private footer(): Uint8Array {
    const t = new ThriftWriter();
    t.beginStruct();
    t.fieldI32(1, 1);
    t.fieldListStruct(2, this.layout.elements, (e) => schemaElement(t, e));
    t.fieldI64(3, this.rows);
    t.fieldListStruct(4, this.groups, (g) => {
      t.fieldListStruct(1, g.columns, (c) => {
        t.fieldI64(2, c.offset);
        t.fieldStruct(3, () => {
          t.fieldI32(1, c.leaf.physical);
          t.fieldListI32(2, CHUNK_ENCODINGS);
          t.fieldListString(3, c.leaf.path);
          t.fieldI32(4, 0); // UNCOMPRESSED
          t.fieldI64(5, c.slots);
          t.fieldI64(6, c.bytes);
          t.fieldI64(7, c.bytes);
          t.fieldI64(9, c.offset);
        });
      });
      t.fieldI64(2, g.bytes);
      t.fieldI64(3, g.rows);
      t.fieldI64(5, g.offset);
      t.fieldI64(6, g.bytes);
    });
    const kv = [...this.schema.metadata].map(([key, value]) => ({ key, value }));
    kv.push({ key: 'ARROW:schema', value: arrowSchemaBase64(this.schema) });
    t.fieldListStruct(5, kv, ({ key, value }) => {
      t.fieldString(1, key);
      t.fieldString(2, value);
    });
    t.fieldString(6, `albert-pipeline version ${packageInfo().version}`);
    t.endStruct();
    return t.bytes();
  }
}

function schemaElement(t: ThriftWriter, e: SchemaElement): void {
  if (e.type !== undefined) t.fieldI32(1, e.type);
  if (e.repetition !== undefined) t.fieldI32(3, e.repetition);
  t.fieldString(4, e.name);
  if (e.numChildren !== undefined) t.fieldI32(5, e.numChildren);
  if (e.convertedType !== undefined) t.fieldI32(6, e.convertedType);
  const logical = e.logical;
  if (!logical) return;
  // LogicalType is a union: one field set, STRING (1), LIST (3) or INTEGER (10).
  t.fieldStruct(10, () => {
    if (logical.kind === 'string') t.fieldStruct(1, () => undefined);
    else if (logical.kind === 'list') t.fieldStruct(3, () => undefined);
    else
      t.fieldStruct(10, () => {
        t.fieldByte(1, logical.bitWidth);
        t.fieldBool(2, logical.signed);
      });
  });
}

/**
 * The schema as an Arrow IPC schema message, base64: what `ARROW:schema` holds in files
 * pyarrow writes (the stream format's first message; the end-of-stream marker dropped).
 */
function arrowSchemaBase64(schema: Schema): string {
  const stream = tableToIPC(new Table(schema), 'stream');
  return Buffer.from(stream.subarray(0, stream.byteLength - 8)).toString('base64');
}
