import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { RecordBatch, Schema } from 'apache-arrow';
import { OutputError } from '../errors.js';
import { ArrowFileWriter } from '../io/arrow-file-writer.js';
import { REJECTS_FILE, writeManifest, type Manifest } from './manifest.js';
import type { RejectRecord } from './reject.js';

/** A window's worth of finished rows, in input order, ready to append to the current part. */
export interface FinishedWindow {
  seqStart: number;
  seqEnd: number;
  batch: RecordBatch | null;
  rows: number;
  tokens: number;
  rejects: RejectRecord[];
  counts: Record<string, number>;
  /** Byte offset of the row `seqEnd`, when known: where a resumed job can start reading. */
  nextOffset: number | null;
}

/**
 * The commit protocol. Windows are appended to `part-NNNNN.arrow.tmp`; when a part's row
 * range is complete, the file is fsynced and renamed, the part's rejects are appended to
 * rejects.jsonl and fsynced, and only then is the manifest (listing the part) replaced.
 * A crash at any point leaves a manifest that describes exactly what is durable.
 */
export class PartCommitter {
  private writer: ArrowFileWriter | null = null;
  private part: { seqStart: number; rows: number; rejected: number; tokens: number; rejects: RejectRecord[]; counts: Record<string, number> } | null = null;
  private rejectsFh: FileHandle | null = null;
  private lastEnd: { seq: number; offset: number | null };

  constructor(
    private readonly outDir: string,
    private readonly schema: Schema,
    private readonly manifest: Manifest,
    private readonly partRows: number,
    private readonly partName: (index: number) => string,
    private readonly beforeManifestWrite: (m: Manifest) => void,
  ) {
    this.lastEnd = { ...manifest.next };
  }

  get committed(): Readonly<Manifest> {
    return this.manifest;
  }

  async append(w: FinishedWindow): Promise<void> {
    if (!this.part) {
      this.part = { seqStart: w.seqStart, rows: 0, rejected: 0, tokens: 0, rejects: [], counts: {} };
      this.writer = await this.io(ArrowFileWriter.create(join(this.outDir, this.partName(this.manifest.parts.length)), this.schema));
    }
    if (w.batch && w.rows > 0) await this.io(this.writer!.write(w.batch));
    const p = this.part;
    p.rows += w.rows;
    p.rejected += w.rejects.length;
    p.tokens += w.tokens;
    p.rejects.push(...w.rejects);
    for (const [k, v] of Object.entries(w.counts)) p.counts[k] = (p.counts[k] ?? 0) + v;
    this.lastEnd = { seq: w.seqEnd, offset: w.nextOffset };
    if (w.seqEnd - p.seqStart >= this.partRows) await this.commitPart();
  }

  /** Commits the last, possibly short, part (at the end of the input). */
  async finish(): Promise<void> {
    if (this.part) await this.commitPart();
  }

  /** Leaves the open part uncommitted (its temp file is never read; resume redoes its rows). */
  async abandon(): Promise<void> {
    await this.writer?.abandon();
    await this.rejectsFh?.close().catch(() => undefined);
    this.writer = null;
    this.part = null;
    this.rejectsFh = null;
  }

  /** Rewrites the manifest with the same committed parts (status and timing changes only). */
  async saveManifest(): Promise<void> {
    this.beforeManifestWrite(this.manifest);
    await this.io(writeManifest(this.outDir, this.manifest));
  }

  private async commitPart(): Promise<void> {
    const p = this.part!;
    const writer = this.writer!;
    const { bytes, sha256 } = await this.io(writer.commit());
    if (p.rejects.length > 0) {
      p.rejects.sort((a, b) => a.row - b.row);
      const text = p.rejects.map((r) => JSON.stringify(r)).join('\n') + '\n';
      const fh = await this.rejectsFile();
      await this.io(fh.write(text));
      await this.io(fh.sync());
      this.manifest.rejects.bytes += Buffer.byteLength(text);
      for (const r of p.rejects) this.manifest.rejects.by_code[r.code] = (this.manifest.rejects.by_code[r.code] ?? 0) + 1;
    }
    const m = this.manifest;
    m.parts.push({ file: writer.path.slice(this.outDir.length + 1), seqStart: p.seqStart, seqEnd: this.lastEnd.seq, rows: p.rows, rejected: p.rejected, bytes, sha256 });
    m.next = { ...this.lastEnd };
    m.rows_in = this.lastEnd.seq - (m.parts[0]?.seqStart ?? 0);
    m.rows_out += p.rows;
    m.rows_rejected += p.rejected;
    m.tokens += p.tokens;
    for (const [k, v] of Object.entries(p.counts)) m.counts[k] = (m.counts[k] ?? 0) + v;
    this.part = null;
    this.writer = null;
    await this.saveManifest();
  }

  private async rejectsFile(): Promise<FileHandle> {
    this.rejectsFh ??= await this.io(open(join(this.outDir, REJECTS_FILE), constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o644));
    return this.rejectsFh;
  }

  async close(): Promise<void> {
    await this.rejectsFh?.close();
    this.rejectsFh = null;
  }

  /** Disk errors are whole-run failures: name the directory and say whether the disk is full. */
  private async io<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ENOSPC') {
        throw new OutputError('ALB_OUTPUT_DISK_FULL', `no space left writing to ${this.outDir}; the manifest still lists only complete parts: free space and rerun with --resume`, { out: this.outDir });
      }
      if (e.code === 'ELOOP') throw new OutputError('ALB_OUTPUT_SYMLINK', `a symlink sits where ${this.outDir} needs a file; refusing to follow it`, { out: this.outDir });
      throw new OutputError('ALB_OUTPUT_IO', `writing to ${this.outDir} failed: ${e.message}`, { out: this.outDir, errno: e.code });
    }
  }
}
