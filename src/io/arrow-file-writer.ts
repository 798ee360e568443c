import { createHash, type Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { AsyncByteQueue, RecordBatchFileWriter, type RecordBatch, type Schema } from 'apache-arrow';
import { commitFile, openForWrite } from './durable-file.js';
import type { PartWriter } from './output-formats.js';

/**
 * Collects the IPC bytes Arrow's writer produces for one call, so we write them to the file
 * ourselves: our awaits see every disk error (ENOSPC included) where it happens, and the
 * record batch's buffers go to disk without an extra copy.
 */
class ChunkSink extends AsyncByteQueue<Uint8Array> {
  chunks: Uint8Array[] = [];
  override write(value: Uint8Array): void {
    if (value.byteLength > 0) this.chunks.push(value);
  }
  take(): Uint8Array[] {
    const c = this.chunks;
    this.chunks = [];
    return c;
  }
}

/**
 * Writes one Arrow IPC *file* (schema, record batches, footer) to `PATH.tmp`, and makes it
 * appear as `PATH` only on {@link ArrowFileWriter.commit}. Until then no complete-looking
 * file exists: the footer is written last, and the rename follows the fsync.
 *
 * @example
 * ```ts
 * const w = await ArrowFileWriter.create('out/part-00000.arrow', schema);
 * await w.write(batch);
 * const { bytes, sha256 } = await w.commit();
 * ```
 */
export class ArrowFileWriter implements PartWriter {
  private readonly writer = new RecordBatchFileWriter({ autoDestroy: false });
  private readonly sink = new ChunkSink();
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    schema: Schema,
  ) {
    this.writer.reset(this.sink, schema);
  }

  static async create(path: string, schema: Schema): Promise<ArrowFileWriter> {
    const w = new ArrowFileWriter(path, await openForWrite(`${path}.tmp`), schema);
    await w.flush();
    return w;
  }

  async write(batch: RecordBatch): Promise<void> {
    this.writer.write(batch);
    await this.flush();
  }

  /** Writes the footer, fsyncs, renames into place; returns size and sha256 of the file. */
  async commit(): Promise<{ bytes: number; sha256: string }> {
    this.writer.finish();
    await this.flush();
    await commitFile(this.fh, `${this.path}.tmp`, this.path);
    return { bytes: this.bytes, sha256: this.hash.digest('hex') };
  }

  /** Closes and leaves the temp file behind (it is never read as complete; resume removes it). */
  async abandon(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }

  private async flush(): Promise<void> {
    const chunks = this.sink.take();
    if (chunks.length === 0) return;
    for (const c of chunks) {
      this.hash.update(c);
      this.bytes += c.byteLength;
    }
    await this.fh.writev(chunks);
  }
}
