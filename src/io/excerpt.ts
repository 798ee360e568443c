/**
 * Short, printable excerpts of rejected records, for logs and reject files.
 *
 * Rejected bytes are by definition suspect: they may hold invalid UTF-8, terminal escape
 * sequences or bidi overrides that would garble or spoof whatever displays them. So the
 * excerpt is built from the raw bytes, and anything that is not plainly printable is written
 * as an escape: `\n`, `\t`, `\x1b`, `\u{202e}`; a byte that is not part of well-formed UTF-8
 * is written `\xNN`, so the reader of a log sees which bytes were wrong.
 */

export const EXCERPT_MAX_CHARS = 80;

const SIMPLE_ESCAPES: Readonly<Record<number, string>> = { 0x09: '\\t', 0x0a: '\\n', 0x0d: '\\r', 0x5c: '\\\\' };

/**
 * An excerpt of bytes `[start, end)` of at most `maxChars` UTF-16 units, ending in `…` when cut.
 *
 * @example
 * ```ts
 * excerptOf(Buffer.from('a\tb\x1b[31m\xff', 'latin1')); // 'a\\tb\\x1b[31m\\xff'
 * ```
 */
export function excerptOf(buf: Uint8Array, start = 0, end = buf.length, maxChars = EXCERPT_MAX_CHARS): string {
  let out = '';
  let i = start;
  while (i < end) {
    const [piece, width] = nextPiece(buf, i, end);
    // Leave room for the ellipsis unless this piece is the last one and fits exactly.
    const last = i + width >= end;
    if (out.length + piece.length > (last ? maxChars : maxChars - 1)) return `${out}…`;
    out += piece;
    i += width;
  }
  return out;
}

/** The printable form of the character (or invalid byte) at `i`, and how many bytes it used. */
function nextPiece(buf: Uint8Array, i: number, end: number): [string, number] {
  const b = buf[i];
  if (b < 0x80) {
    const simple = SIMPLE_ESCAPES[b];
    if (simple !== undefined) return [simple, 1];
    if (b < 0x20 || b === 0x7f) return [hexByte(b), 1];
    return [String.fromCharCode(b), 1];
  }
  const width = sequenceLength(buf, i, end);
  if (width === 0) return [hexByte(b), 1];
  let cp = b & (width === 2 ? 0x1f : width === 3 ? 0x0f : 0x07);
  for (let k = 1; k < width; k++) cp = (cp << 6) | (buf[i + k] & 0x3f);
  return [isUnsafeCodePoint(cp) ? `\\u{${cp.toString(16)}}` : String.fromCodePoint(cp), width];
}

/** Length of the well-formed UTF-8 sequence starting at `i`, or 0 (Unicode Table 3-7). */
function sequenceLength(buf: Uint8Array, i: number, end: number): number {
  const b = buf[i];
  let width: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (b >= 0xc2 && b <= 0xdf) width = 2;
  else if (b >= 0xe0 && b <= 0xef) {
    width = 3;
    if (b === 0xe0) lo = 0xa0;
    if (b === 0xed) hi = 0x9f;
  } else if (b >= 0xf0 && b <= 0xf4) {
    width = 4;
    if (b === 0xf0) lo = 0x90;
    if (b === 0xf4) hi = 0x8f;
  } else return 0;
  if (i + width > end) return 0;
  const second = buf[i + 1];
  if (second < lo || second > hi) return 0;
  for (let k = 2; k < width; k++) {
    const c = buf[i + k];
    if (c < 0x80 || c > 0xbf) return 0;
  }
  return width;
}

/**
 * C1 controls, bidi controls, line/paragraph separators, BOM (spoofing or invisible), and
 * spaces other than U+0020 plus zero-width ones, so an excerpt shows why a text counted as
 * empty. ZWJ (U+200D) stays: it is part of emoji sequences.
 */
function isUnsafeCodePoint(cp: number): boolean {
  return (
    (cp >= 0x80 && cp <= 0x9f) ||
    cp === 0xa0 ||
    cp === 0xad ||
    cp === 0x1680 ||
    (cp >= 0x2000 && cp <= 0x200c) ||
    cp === 0x202f ||
    cp === 0x205f ||
    cp === 0x2060 ||
    cp === 0x3000 ||
    cp === 0x061c ||
    cp === 0x200e ||
    cp === 0x200f ||
    (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2066 && cp <= 0x2069) ||
    cp === 0x2028 ||
    cp === 0x2029 ||
    cp === 0xfeff
  );
}

function hexByte(b: number): string {
  return `\\x${b.toString(16).padStart(2, '0')}`;
}
