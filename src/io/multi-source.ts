import { InputError, optionError } from '../errors.js';
import { openFileInput } from './input-bytes.js';
import type { InputSet } from './input-files.js';
import { INPUT_FORMATS } from './input-formats.js';
import type { ReadRange } from './input-formats.js';
import { InputSource, SourceBase } from './input-source.js';
import { placeReadOptions, type ResolvedReadOptions, type ResolvedReadSource } from './read-options.js';
import type { SourceItem } from './row.js';

/**
 * The files of a folder or glob, read one after another as one input: seq runs on from
 * file to file, and offsets are positions in the files laid end to end (a file's first
 * byte is at the sum of the sizes before it; for Parquet and Arrow files, whose positions
 * are rows, its first row is at the sum of the row counts before it, read from the
 * footers when the source opens), so a resumed job seeks into the right file with the one
 * offset the manifest keeps. Items of a compressed file have no offset (a
 * resume that stops in one re-reads from the start and skips). Each file is read by its
 * own reader: a CSV file's header is its own first line.
 */
export class MultiFileSource extends SourceBase {
  readonly options: ResolvedReadSource;
  totalBytes: number;
  readonly compression = null;
  /** Where each file's bytes start in the files laid end to end. */
  private readonly byteBases: number[];
  /** Where each file's positions start: the byte bases, or (row-positioned files) the rows before it. */
  private bases: number[];
  private startFile = 0;
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
    this.positions = INPUT_FORMATS[set.format].positions;
    this.byteBases = cumulative(set.files.map((f) => f.bytes));
    this.bases = this.byteBases;
    this.totalBytes = set.bytes;
    if (this.positions === 'bytes') {
      if (startOffset > set.bytes) throw optionError('--start-offset', startOffset, `an offset within the ${set.files.length} files of ${JSON.stringify(set.input)} (${set.bytes} bytes)`);
      this.place(set.files.map((f) => f.bytes));
    }
  }

  /** Finds the file the start position is in, from each file's extent in positions. */
  private place(extents: number[]): void {
    const { startOffset } = this.options;
    this.bases = cumulative(extents);
    const at = extents.findIndex((n, i) => this.bases[i] + n > startOffset);
    this.startFile = at < 0 ? extents.length : at;
    const from = this.startFile < extents.length ? this.byteBases[this.startFile] : this.set.bytes;
    this.bytesAt = this.bytesFrom = this.positions === 'bytes' ? startOffset : from;
    this.totalBytes = this.set.bytes - this.bytesFrom;
  }

  protected async start(): Promise<void> {
    if (this.positions === 'rows') {
      // One file at a time: a folder of thousands of files opened at once ran out of file
      // descriptors (EMFILE).
      const extents: number[] = [];
      for (let i = 0; i < this.set.files.length; i++) extents.push(await this.rowsOf(i));
      const rows = extents.reduce((a, b) => a + b, 0);
      if (this.options.startOffset > rows) throw optionError('--start-offset', this.options.startOffset, `a row number within the ${this.set.files.length} files of ${JSON.stringify(this.set.input)} (${rows} rows)`);
      this.place(extents);
    }
    if (this.startFile >= this.set.files.length) return;
    const local = this.options.startOffset - this.bases[this.startFile];
    this.first = this.memberAt(this.startFile, local, this.options.firstSeq);
    await this.opened(this.startFile, this.first);
  }

  /** Rows of a Parquet or Arrow file, from its footer. */
  private async rowsOf(index: number): Promise<number> {
    const entry = INPUT_FORMATS[this.set.format];
    if (entry.positions !== 'rows') return 0;
    const bytes = await openFileInput(this.set.files[index].path);
    try {
      return (await entry.open(bytes)).rows;
    } catch (err) {
      throw this.naming(index, err);
    } finally {
      await bytes.close();
    }
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
        this.bytesAt = this.byteBases[i] + source.inputPosition();
        yield items;
      }
      this.bytesAt = this.byteBases[i] + this.set.files[i].bytes;
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

/** Where each of `sizes` starts when they are laid end to end. */
function cumulative(sizes: readonly number[]): number[] {
  let base = 0;
  return sizes.map((n) => {
    const b = base;
    base += n;
    return b;
  });
}
