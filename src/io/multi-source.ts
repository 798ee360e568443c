import { InputError, optionError } from '../errors.js';
import type { InputSet } from './input-files.js';
import type { ReadRange } from './input-formats.js';
import { InputSource, SourceBase } from './input-source.js';
import { placeReadOptions, type ResolvedReadOptions, type ResolvedReadSource } from './read-options.js';
import type { SourceItem } from './row.js';

/**
 * The files of a folder or glob, read one after another as one input: seq runs on from
 * file to file, and offsets are positions in the files laid end to end (a file's first
 * byte is at the sum of the sizes before it), so a resumed job seeks into the right file
 * with the one offset the manifest keeps. Items of a compressed file have no offset (a
 * resume that stops in one re-reads from the start and skips). Each file is read by its
 * own reader: a CSV file's header is its own first line.
 */
export class MultiFileSource extends SourceBase {
  readonly options: ResolvedReadSource;
  readonly totalBytes: number;
  readonly compression = null;
  /** Where each file starts in the files laid end to end. */
  private readonly bases: number[];
  private readonly startFile: number;
  /** The job's record options, with the set's one format. */
  private readonly read: ResolvedReadOptions;
  private first: InputSource | undefined;
  private member: InputSource | undefined;

  constructor(
    private readonly set: InputSet,
    read: ResolvedReadOptions,
    range: Partial<ReadRange> = {},
  ) {
    super();
    this.read = Object.freeze({ ...read, format: set.format });
    const placed = placeReadOptions(set.files[0].path, this.read, range);
    this.options = Object.freeze({ ...placed, input: set.input });
    const { startOffset, endOffset } = this.options;
    if (endOffset !== undefined) {
      throw optionError('--end-offset', endOffset, `no value: input ${JSON.stringify(set.input)} is ${set.files.length} files, and a byte range is of one file (a shard plan cuts each file on its own)`);
    }
    if (startOffset > set.bytes) throw optionError('--start-offset', startOffset, `an offset within the ${set.files.length} files of ${JSON.stringify(set.input)} (${set.bytes} bytes)`);
    let base = 0;
    this.bases = set.files.map((f) => {
      const b = base;
      base += f.bytes;
      return b;
    });
    const at = set.files.findIndex((f, i) => this.bases[i] + f.bytes > startOffset);
    this.startFile = at < 0 ? set.files.length : at;
    this.totalBytes = set.bytes - startOffset;
    this.position = startOffset;
  }

  protected async start(): Promise<void> {
    if (this.startFile >= this.set.files.length) return;
    const local = this.options.startOffset - this.bases[this.startFile];
    this.first = this.memberAt(this.startFile, local, this.options.firstSeq);
    await this.opened(this.startFile, this.first);
  }

  private memberAt(index: number, startOffset: number, firstSeq: number): InputSource {
    return new InputSource(placeReadOptions(this.set.files[index].path, this.read, { startOffset, firstSeq }));
  }

  /** Opens a file's reader; its whole-input errors name the file. */
  private async opened(index: number, source: InputSource): Promise<void> {
    this.member = source;
    try {
      await source.open();
    } catch (err) {
      throw this.naming(index, err);
    }
  }

  protected async *readBatches(): AsyncGenerator<readonly SourceItem[]> {
    let seq = this.options.firstSeq;
    for (let i = this.startFile; i < this.set.files.length; i++) {
      const source = i === this.startFile ? (this.first as InputSource) : this.memberAt(i, 0, seq);
      if (i !== this.startFile) await this.opened(i, source);
      const at = this.bases[i] + source.options.startOffset;
      const iterator = source.batches()[Symbol.asyncIterator]();
      for (;;) {
        let next: IteratorResult<readonly SourceItem[]>;
        try {
          next = await iterator.next();
        } catch (err) {
          throw this.naming(i, err);
        }
        if (next.done) break;
        const items = next.value;
        if (this.bases[i] > 0) for (const item of items) if (item.offset !== undefined) item.offset += this.bases[i];
        seq = items[items.length - 1].seq + 1;
        this.position = at + source.bytesRead();
        yield items;
      }
      this.position = this.bases[i] + this.set.files[i].bytes;
    }
  }

  protected async release(): Promise<void> {
    await this.member?.close();
  }

  /** An input error of one file says which file, in a job that reads many. */
  private naming(index: number, err: unknown): unknown {
    if (!(err instanceof InputError)) return err;
    const name = JSON.stringify(this.set.files[index].path);
    if (err.message.includes(name)) return err;
    return new InputError(err.code, `input ${name} (file ${index + 1} of ${this.set.files.length} of ${JSON.stringify(this.set.input)}): ${err.message}`, { ...err.details, input: name }, { cause: err });
  }
}
