/**
 * Cuts a byte stream into records, before any parsing, so that every reader knows each
 * record's byte offset, can bound its memory, and can recover from damage at a record
 * boundary. Lines end at LF, CRLF or a lone CR, whichever each line uses.
 *
 * With `quote` on (CSV), a `"` that starts a field opens a quoted field in which line
 * breaks are data and `""` is a literal quote, as in RFC 4180 and csv-parse. Damage is
 * contained by three rules, each decided from the record's own bytes only (never from
 * where chunks happen to end), so a read that starts at a record's offset cuts exactly
 * the same records as a full read:
 *
 * - A record whose content passes `maxRecordBytes` is emitted as `too-large` (holding its
 *   first `maxRecordBytes + 1` bytes) and the rest of it is discarded up to the next line
 *   break, without buffering it.
 * - A quoted field that holds a line break and is never closed properly (end of input,
 *   over the limit, or a closing quote followed by something other than a delimiter or a
 *   line end) is taken for a stray quote: the record is cut at the first line break after
 *   that quote and flagged `quote`, and splitting resumes on the next line. A stray quote
 *   thus costs one record, not the rest of the file. The price: a genuine quoted field with
 *   line breaks that is larger than `maxRecordBytes` is cut the same way, and its later
 *   lines are read as records of their own (most will be rejected for their field count).
 * - Other quote damage (a quote inside an unquoted field, junk after a closing quote on
 *   the same line) flags the record `quote` and the record ends at its line end.
 *
 * Empty lines are not records unless `keepBlankLines` (one document per line).
 */

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BOM = [0xef, 0xbb, 0xbf] as const;
const EMPTY = Buffer.alloc(0);
const MIN_WORK_BYTES = 64 * 1024;

export interface SplitterOptions {
  /** Offset in the input of the first byte pushed. A UTF-8 BOM is skipped only at offset 0. */
  startOffset: number;
  maxRecordBytes: number;
  /** Whether `"` quotes fields (CSV). */
  quote: boolean;
  /** The field delimiter byte; with `quote`, a quote opens a field only at its start. */
  delimiter: number;
  /** Emit empty lines as zero-length records instead of skipping them. */
  keepBlankLines: boolean;
}

/**
 * `too-large`: content passed `maxRecordBytes`; the span holds its first `maxRecordBytes + 1`
 * bytes. `stray-quote`: cut at the first line break of a quoted field never properly closed.
 * `quote`: other quote damage. The splitter only flags; the CSV parser has the last word.
 */
export type SpanFlaw = 'too-large' | 'stray-quote' | 'quote';

/** One record: its bytes are `buf[start..end)`, without the line break. */
export interface RecordSpan {
  readonly buf: Buffer;
  readonly start: number;
  readonly end: number;
  /** Offset in the input of the record's first byte. */
  readonly offset: number;
  /** Offset just past the record's line break; unknown (-1) for `too-large`. */
  readonly next: number;
  readonly flaw?: SpanFlaw;
}

/**
 * @example
 * ```ts
 * const splitter = new RecordSplitter({ startOffset: 0, maxRecordBytes: 1 << 20, quote: true, delimiter: 0x2c, keepBlankLines: false });
 * const spans = [...splitter.push(Buffer.from('id,text\r\n1,"a\nb"\n2,c')), ...splitter.end()];
 * spans.map((s) => s.buf.toString('utf8', s.start, s.end)); // ['id,text', '1,"a\nb"', '2,c']
 * ```
 */
export class RecordSplitter {
  private readonly opts: Readonly<SplitterOptions>;
  /** Unconsumed bytes: the pending record (or the point discarding stopped) onwards. */
  private buf: Buffer = EMPTY;
  /** Input offset of `buf[0]`. */
  private bufOffset: number;
  /** Next byte of `buf` to examine. */
  private pos = 0;
  private recStart = 0;
  private quoting = false;
  /** First line break inside the quoted field now open, or -1. */
  private quoteBreak = -1;
  private flaw: SpanFlaw | undefined;
  private discarding = false;
  /** The buffer `append` grows records in; `buf` may be a slice of it. */
  private work: Buffer | undefined;
  private bomPending: boolean;
  private ended = false;

  constructor(options: SplitterOptions) {
    this.opts = { ...options };
    this.bufOffset = options.startOffset;
    this.bomPending = options.startOffset === 0;
  }

  /** Input offset up to which bytes are spoken for: by emitted records, or skipped. */
  get consumed(): number {
    return this.bufOffset + (this.discarding ? this.pos : this.recStart);
  }

  /** Adds bytes; returns the records they complete. */
  push(chunk: Buffer): RecordSpan[] {
    if (this.ended) throw new Error('RecordSplitter.push after end');
    if (chunk.length === 0) return [];
    this.append(chunk);
    const out: RecordSpan[] = [];
    if (this.bomPending && !this.skipBom(false)) return out;
    this.scan(false, out);
    this.rebase();
    return out;
  }

  /** Signals the end of input; returns the records still pending. */
  end(): RecordSpan[] {
    if (this.ended) return [];
    this.ended = true;
    const out: RecordSpan[] = [];
    if (this.bomPending) this.skipBom(true);
    this.scan(true, out);
    this.buf = EMPTY;
    return out;
  }

  /**
   * Appends to the pending record. A record that spans many chunks grows in a buffer of
   * doubling capacity: copying it whole for every chunk would be quadratic in its size.
   * Only bytes past the pending record's end are ever written, so spans already handed
   * out keep their bytes.
   */
  private append(chunk: Buffer): void {
    const buf = this.buf;
    if (buf.length === 0) {
      this.buf = chunk;
      return;
    }
    const need = buf.length + chunk.length;
    const work = this.work;
    if (work !== undefined && buf.buffer === work.buffer && buf.byteOffset + need <= work.length) {
      chunk.copy(work, buf.byteOffset + buf.length);
      this.buf = work.subarray(buf.byteOffset, buf.byteOffset + need);
      return;
    }
    // Room for the pending bytes twice over: a short carry costs about one chunk, a long
    // record doubles. allocUnsafeSlow: a buffer of its own, never a slice of the shared pool.
    const grown = Buffer.allocUnsafeSlow(Math.max(need + buf.length, MIN_WORK_BYTES));
    buf.copy(grown, 0);
    chunk.copy(grown, buf.length);
    this.work = grown;
    this.buf = grown.subarray(0, need);
  }

  /** Returns false while too few bytes have arrived to tell. */
  private skipBom(eof: boolean): boolean {
    const buf = this.buf;
    if (buf.length < BOM.length && !eof) {
      if (buf.some((b, k) => b !== BOM[k])) this.bomPending = false;
      return !this.bomPending;
    }
    this.bomPending = false;
    if (buf.length >= BOM.length && buf[0] === BOM[0] && buf[1] === BOM[1] && buf[2] === BOM[2]) {
      this.recStart = this.pos = BOM.length;
    }
    return true;
  }

  private scan(eof: boolean, out: RecordSpan[]): void {
    const buf = this.buf;
    const len = buf.length;
    const { maxRecordBytes: max, delimiter: delim, quote: quoteOn } = this.opts;
    let i = this.pos;
    outer: for (;;) {
      if (this.discarding) {
        let j = i;
        while (j < len && buf[j] !== LF && buf[j] !== CR) j++;
        if (j === len) {
          i = len;
          break;
        }
        const width = this.breakWidth(j, eof);
        if (width < 0) {
          i = j;
          break;
        }
        this.discarding = false;
        i = this.recStart = j + width;
        continue;
      }
      const recStart = this.recStart;
      const limit = recStart + max;
      let quoting = this.quoting;
      for (; i < len; i++) {
        const b = buf[i];
        if (quoting) {
          if ((b === LF || b === CR) && this.quoteBreak < 0) this.quoteBreak = i;
          if (i >= limit) {
            this.quoting = true;
            const next = this.overflow(i, eof, out);
            if (next < 0) break outer;
            i = next;
            continue outer;
          }
          if (b !== QUOTE) continue;
          if (i + 1 >= len) {
            if (!eof) break; // need the next byte to tell `""` from a closing quote
            quoting = false;
            continue;
          }
          const n = buf[i + 1];
          if (n === QUOTE) {
            i++;
            if (i >= limit) {
              this.quoting = true;
              const next = this.overflow(i, eof, out);
              if (next < 0) break outer;
              i = next;
              continue outer;
            }
            continue;
          }
          quoting = false;
          if (n !== delim && n !== LF && n !== CR) {
            if (this.quoteBreak >= 0) {
              i = this.cutAtQuoteBreak(eof, out);
              continue outer;
            }
            this.flaw = 'quote';
          }
          continue;
        }
        if (b === LF || b === CR) {
          const width = this.breakWidth(i, eof);
          if (width < 0) break; // a CR at the end of the chunk: wait for a possible LF
          this.quoting = false;
          i = this.emit(i, i + width, out);
          continue outer;
        }
        if (i >= limit) {
          this.quoting = false;
          i = this.overflow(i, eof, out);
          continue outer;
        }
        if (b === QUOTE && quoteOn) {
          if (i === recStart || buf[i - 1] === delim) {
            quoting = true;
            this.quoteBreak = -1;
          } else {
            this.flaw = 'quote';
          }
        }
      }
      this.quoting = quoting;
      if (!eof) break;
      if (quoting) {
        if (this.quoteBreak >= 0) {
          i = this.cutAtQuoteBreak(eof, out);
          continue;
        }
        this.flaw = 'quote';
      }
      if (this.recStart < len) this.emit(len, len, out);
      i = len;
      break;
    }
    this.pos = i;
  }

  /** Width of the line break at `j` (2 for CRLF), or -1 when a CR ends the chunk. */
  private breakWidth(j: number, eof: boolean): number {
    if (this.buf[j] !== CR) return 1;
    if (j + 1 < this.buf.length) return this.buf[j + 1] === LF ? 2 : 1;
    return eof ? 1 : -1;
  }

  /** Emits the record ending at `end` and starts the next at `next`; returns `next`. */
  private emit(end: number, next: number, out: RecordSpan[]): number {
    const start = this.recStart;
    if (end > start || this.opts.keepBlankLines) {
      const span: { -readonly [K in keyof RecordSpan]: RecordSpan[K] } = {
        buf: this.buf,
        start,
        end,
        offset: this.bufOffset + start,
        next: this.bufOffset + next,
      };
      if (this.flaw !== undefined) span.flaw = this.flaw;
      out.push(span);
    }
    this.startRecord(next);
    return next;
  }

  /** The record's content passed the limit at byte `i`. Returns where to go on, or -1 to wait. */
  private overflow(i: number, eof: boolean, out: RecordSpan[]): number {
    if (this.quoting && this.quoteBreak >= 0) return this.cutAtQuoteBreak(eof, out);
    const start = this.recStart;
    out.push({
      buf: this.buf,
      start,
      end: start + this.opts.maxRecordBytes + 1,
      offset: this.bufOffset + start,
      next: -1,
      flaw: 'too-large',
    });
    this.startRecord(i);
    this.discarding = true;
    return i;
  }

  /** Ends the record at the first line break of its open quoted field (a stray quote). */
  private cutAtQuoteBreak(eof: boolean, out: RecordSpan[]): number {
    const k = this.quoteBreak;
    const width = this.breakWidth(k, eof);
    if (width < 0) return -1;
    this.flaw = 'stray-quote';
    this.quoting = false;
    return this.emit(k, k + width, out);
  }

  private startRecord(at: number): void {
    this.recStart = at;
    this.quoting = false;
    this.quoteBreak = -1;
    this.flaw = undefined;
  }

  /** Drops consumed bytes so the next chunk is appended to the pending record only. */
  private rebase(): void {
    const keepFrom = this.discarding ? this.pos : this.recStart;
    if (keepFrom === 0) return;
    this.buf = keepFrom >= this.buf.length ? EMPTY : this.buf.subarray(keepFrom);
    this.bufOffset += keepFrom;
    this.pos -= keepFrom;
    this.recStart = Math.max(0, this.recStart - keepFrom);
    if (this.quoteBreak >= 0) this.quoteBreak -= keepFrom;
  }
}
