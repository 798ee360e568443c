import { createHash, type Hash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Schema } from 'apache-arrow';
import { InputError } from '../errors.js';
import type { InputRanges } from '../io/input-ranges.js';
import type { OutputFormatEntry } from '../io/output-formats.js';
import { REJECTS_FILE, writeManifest, type InputRange, type Manifest } from './manifest.js';
import { addCounts, PartSink, type PendingPart } from './window-sink.js';

/**
 * The commit protocol. Windows are appended to `part-NNNNN.<ext>.tmp`; when a part's row
 * range is complete, the file is fsynced and renamed, the part's rejects are appended to
 * rejects.jsonl and fsynced, and only then is the manifest (listing the part) replaced.
 * A crash at any point leaves a manifest that describes exactly what is durable.
 *
 * @example
 * ```ts
 * const c = new PartCommitter(out, OUTPUT_FORMATS.arrow, schema, manifest, 16384, updateTimes);
 * for (const w of windows) await c.append(w);
 * await c.finish();
 * ```
 */
export class PartCommitter extends PartSink {
  private rejectsFh: FileHandle | null = null;
  /** sha256 over rejects.jsonl as committed so far; seeded from the file on the first commit of a resumed job. */
  private rejectsHash: Hash | null = null;

  constructor(
    private readonly outDir: string,
    format: OutputFormatEntry,
    schema: Schema,
    private readonly manifest: Manifest,
    private readonly partRows: number,
    private readonly beforeManifestWrite: (m: Manifest) => void,
    /** The input, read again to record what each part was made from; null for a stream. */
    private readonly ranges: InputRanges | null = null,
  ) {
    super(outDir, format, schema, 'the manifest still lists only complete parts: free space and rerun with --resume');
  }

  get committed(): Readonly<Manifest> {
    return this.manifest;
  }

  /** Commits the last, possibly short, part (at the end of the input). */
  async finish(): Promise<void> {
    if (this.pending) await this.commit();
  }

  /** A stopped job keeps every finished window: the open part is committed short. */
  override interrupt(): Promise<void> {
    return this.finish();
  }

  /** Leaves the open part uncommitted (its temp file is never read; resume redoes its rows). */
  override async abandon(): Promise<void> {
    await super.abandon();
    await this.rejectsFh?.close().catch(() => undefined);
    this.rejectsFh = null;
  }

  /** Rewrites the manifest with the same committed parts (status and timing changes only). */
  async saveManifest(): Promise<void> {
    this.beforeManifestWrite(this.manifest);
    await this.io(writeManifest(this.outDir, this.manifest));
  }

  async close(): Promise<void> {
    await this.rejectsFh?.close();
    this.rejectsFh = null;
  }

  protected async nextPartPath(): Promise<string> {
    return join(this.outDir, `part-${String(this.manifest.parts.length).padStart(5, '0')}${this.format.extension}`);
  }

  /**
   * Parts end on multiples of --part-rows from the job's first row, so after a short part
   * (a stopped run) the next one ends where it would have in an uninterrupted job, and
   * from there on the parts hold the same row ranges.
   */
  protected async appended(pending: PendingPart): Promise<void> {
    const first = this.manifest.parts[0]?.seqStart ?? pending.seqStart;
    if ((pending.end.seq - first) % this.partRows === 0 || pending.end.seq - pending.seqStart >= this.partRows) await this.commit();
  }

  private async commit(): Promise<void> {
    const m = this.manifest;
    const prev = m.parts[m.parts.length - 1];
    const input = await this.inputRange(prev ? (prev.input?.end ?? null) : 0, this.pending!.inputEnd);
    const { part, path, bytes, sha256 } = await this.commitPart();
    const text = part.rejectsJsonl();
    const slice = { file: REJECTS_FILE, offset: m.rejects.bytes, bytes: Buffer.byteLength(text), sha256: createHash('sha256').update(text).digest('hex') };
    const whole = await this.committedRejectsHash();
    if (text) {
      const fh = await this.rejectsFile();
      await this.io(fh.write(text));
      await this.io(fh.sync());
      whole.update(text);
      m.rejects.bytes += slice.bytes;
      addCounts(m.rejects.by_code, part.rejectsByCode());
    }
    m.rejects.sha256 = whole.copy().digest('hex');
    m.parts.push({
      file: path.slice(this.outDir.length + 1),
      seqStart: part.seqStart,
      seqEnd: part.end.seq,
      offsetStart: prev ? prev.offsetEnd : null,
      offsetEnd: part.end.offset,
      rows: part.rows,
      rejected: part.rejects.length,
      bytes,
      sha256,
      input,
      rejects: slice,
    });
    m.next = { ...part.end };
    m.rows_in = part.end.seq - (m.parts[0]?.seqStart ?? 0);
    m.rows_out += part.rows;
    m.rows_rejected += part.rejects.length;
    m.tokens += part.tokens;
    addCounts(m.counts, part.counts);
    await this.saveManifest();
  }

  /**
   * The bytes of the input this part was made from, and their hash. Read back from the
   * file rather than hashed as the reader went: the reader runs windows ahead of the
   * commit, and the part boundary is known only here.
   */
  private async inputRange(start: number | null, end: number): Promise<InputRange | null> {
    if (!this.ranges || start === null) return null;
    const got = await this.io(this.ranges.hash(start, end));
    if (typeof got !== 'string') {
      throw new InputError('ALB_RESUME_INPUT_CHANGED', `input ${JSON.stringify(got.file)} changed while the job was reading it: it is now ${got.size} bytes, and the rows just processed were read from bytes ${got.start}-${got.end}; the committed parts stay valid: restore the input and --resume, or --overwrite`, { input: got.file });
    }
    return { start, end, sha256: got };
  }

  private async committedRejectsHash(): Promise<Hash> {
    if (this.rejectsHash) return this.rejectsHash;
    const h = createHash('sha256');
    const bytes = this.manifest.rejects.bytes;
    if (bytes > 0) {
      const fh = await this.io(open(join(this.outDir, REJECTS_FILE), constants.O_RDONLY | constants.O_NOFOLLOW));
      try {
        const buf = Buffer.alloc(bytes);
        const { bytesRead } = await this.io(fh.read(buf, 0, bytes, 0));
        h.update(buf.subarray(0, bytesRead));
      } finally {
        await fh.close();
      }
    }
    this.rejectsHash = h;
    return h;
  }

  private async rejectsFile(): Promise<FileHandle> {
    this.rejectsFh ??= await this.io(open(join(this.outDir, REJECTS_FILE), constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o644));
    return this.rejectsFh;
  }
}
