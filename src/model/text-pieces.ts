/** How encodeLong cuts a long document for the native tokenizer, and where it gathers the ids. */
import { isPyWhitespace } from './remove-space.js';

/**
 * encodeLong tokenizes a document in pieces of about this many UTF-16 units, cut at
 * whitespace, so the native tokenizer never holds a whole 10 MB document (its alignments
 * cost 16 bytes per byte); ALBERT's pre-tokenizer splits at whitespace anyway, so the ids
 * are those of the whole text.
 */
export const PIECE_UNITS = 1 << 14;
/** A piece longer than this many times PIECE_UNITS without whitespace is cut inside a word. */
const PIECE_STRETCH = 4;
/** Pieces per native call: its threads tokenize them in parallel. */
export const PIECES_PER_CALL = 8;

/** `[start, end)` UTF-16 ranges of `text`, about `size` long, cut at whitespace where there is some. */
export function cutPieces(text: string, size: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let pos = 0;
  while (pos < text.length) {
    const end = pos + size;
    if (end >= text.length) {
      out.push([pos, text.length]);
      break;
    }
    const limit = Math.min(text.length, pos + PIECE_STRETCH * size);
    let k = end;
    while (k < limit && !isPyWhitespace(text.charCodeAt(k))) k++;
    if (k === limit && k < text.length) {
      k = end;
      const c = text.charCodeAt(k - 1);
      if (c >= 0xd800 && c <= 0xdbff) k--;
    }
    out.push([pos, k]);
    pos = k;
  }
  return out;
}

/** An Int32Array that grows by doubling: a long document's ids without a JS array of numbers. */
export class Int32Growable {
  private buf = new Int32Array(1024);
  private n = 0;

  push(values: readonly number[]): void {
    this.reserve(values.length);
    for (let i = 0; i < values.length; i++) this.buf[this.n++] = values[i];
  }

  push2(a: number, b: number): void {
    this.reserve(2);
    this.buf[this.n++] = a;
    this.buf[this.n++] = b;
  }

  get length(): number {
    return this.n;
  }

  toArray(): Int32Array {
    return this.buf.slice(0, this.n);
  }

  private reserve(k: number): void {
    if (this.n + k <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.n + k) size *= 2;
    const next = new Int32Array(size);
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
  }
}
