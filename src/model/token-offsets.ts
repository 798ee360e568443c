/**
 * Where each token sits in the text the user gave. HF tokenizers reports offsets in the
 * string it was handed (ours: after `remove_space` and the spaces dropped around added
 * tokens, see AlbertTokenizer.prepare), counted in Unicode code points. This maps them
 * back to the original text, in code points as well: Python's `str` indices, what HF's
 * Python tokenizers, pandas, polars and DuckDB's `substring` count, not JS string indices.
 */
import { isPyWhitespace } from './remove-space.js';

/**
 * The original text and the prepared one it became. Preparing only deletes whitespace or
 * turns a whitespace character into a space, so the prepared text is a subsequence of the
 * original under "a space matches any whitespace": one greedy walk aligns them.
 *
 * @example
 * ```ts
 * const p = new PreparedText('  Hello \t wörld', 'Hello wörld');
 * p.span(5, 11, false); // [9, 14]: 'wörld', the space before it trimmed
 * ```
 */
export class PreparedText {
  /** UTF-16 index in `prepared` → UTF-16 index in `original`. */
  private readonly toOriginal: Int32Array;
  /** Code point → UTF-16 index in `prepared`; null when the two are the same (no surrogate pairs). */
  private readonly preparedUnits: Int32Array | null;
  /** UTF-16 index → code point in `original`; null when the two are the same. */
  private readonly originalPoints: Int32Array | null;

  constructor(
    readonly original: string,
    readonly prepared: string,
  ) {
    const map = new Int32Array(prepared.length + 1);
    let j = 0;
    for (let i = 0; i < prepared.length; i++) {
      const c = prepared.charCodeAt(i);
      for (;;) {
        if (j >= original.length) throw new Error(`cannot align the prepared text with the original at prepared index ${i}`);
        const o = original.charCodeAt(j);
        if (o === c || (c === 0x20 && isPyWhitespace(o))) break;
        if (!isPyWhitespace(o)) throw new Error(`cannot align the prepared text with the original at original index ${j}`);
        j++;
      }
      map[i] = j++;
    }
    map[prepared.length] = j;
    this.toOriginal = map;
    this.preparedUnits = hasSurrogates(prepared) ? pointToUnit(prepared) : null;
    this.originalPoints = hasSurrogates(original) ? unitToPoint(original) : null;
  }

  /**
   * The original code-point span `[start, end)` of a token at prepared code points
   * `[cpStart, cpEnd)`: whitespace at its start (the space a `▁` piece stands for) is
   * trimmed, and a bare `▁` piece gets an empty span where the word after it starts.
   */
  span(cpStart: number, cpEnd: number, bareMeta: boolean): [number, number] {
    const u = this.preparedUnits;
    const us = u ? u[Math.min(cpStart, u.length - 1)] : cpStart;
    const ue = u ? u[Math.min(cpEnd, u.length - 1)] : cpEnd;
    let os = this.toOriginal[Math.min(us, this.prepared.length)];
    let oe = ue > us ? this.toOriginal[ue - 1] + 1 : os;
    while (os < oe && isPyWhitespace(this.original.charCodeAt(os))) os++;
    // All whitespace (a ▁ for a run of it): an empty span where the text goes on.
    if (os === oe && ue > us) os = oe = this.toOriginal[ue];
    if (bareMeta) oe = os;
    const p = this.originalPoints;
    return p ? [p[os], p[oe]] : [os, oe];
  }
}

function hasSurrogates(s: string): boolean {
  return /[\uD800-\uDFFF]/.test(s);
}

/** For each code point of `s` (and one past the end), its UTF-16 index. */
function pointToUnit(s: string): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    out.push(i);
    if (isPair(s, i)) i++;
  }
  out.push(s.length);
  return Int32Array.from(out);
}

/** For each UTF-16 index of `s` (and one past the end), the code point it belongs to. */
function unitToPoint(s: string): Int32Array {
  const out = new Int32Array(s.length + 1);
  let cp = 0;
  for (let i = 0; i < s.length; i++) {
    out[i] = cp;
    if (isPair(s, i)) out[++i] = cp;
    cp++;
  }
  out[s.length] = cp;
  return out;
}

function isPair(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  if (c < 0xd800 || c > 0xdbff || i + 1 >= s.length) return false;
  const d = s.charCodeAt(i + 1);
  return d >= 0xdc00 && d <= 0xdfff;
}

/** The number of code points in `s` (a lone surrogate counts as one, as Python and Rust see a replacement). */
export function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i + 1 < s.length; i++) if (isPair(s, i)) {
    n--;
    i++;
  }
  return n;
}
