/**
 * Long documents as overlapping windows of tokens (`--long split`): each window is
 * `[CLS] tokens[start, end) [SEP]`, at most `chunkTokens` long with its specials, and starts
 * `overlap` tokens before the previous one ended.
 */

/** Where a window of a split document sits in it. */
export interface ChunkSpan {
  /** 0-based window number within the document, and how many windows it has. */
  index: number;
  count: number;
  /** `[tokenStart, tokenEnd)` in the document's tokens, [CLS]/[SEP] not counted. */
  tokenStart: number;
  tokenEnd: number;
  /** `[charStart, charEnd)` in the document's text, in code points (see token-offsets.ts); -1 when offsets were not computed. */
  charStart: number;
  charEnd: number;
  /** The document's tokens, [CLS]/[SEP] not counted. */
  docTokens: number;
}

/**
 * `[start, end)` token spans covering `n` tokens with windows of `chunkTokens - 2` tokens
 * (room for [CLS] and [SEP]) that overlap by `overlap`. The last window ends at `n`; it may
 * be shorter. A document of no tokens is one empty window.
 *
 * @example
 * ```ts
 * windowSpans(10, 6, 1); // [[0, 4], [3, 7], [6, 10]]
 * ```
 */
export function windowSpans(n: number, chunkTokens: number, overlap: number): Array<[number, number]> {
  const size = chunkTokens - 2;
  if (!(size >= 1) || !(overlap >= 0) || overlap >= size) throw new RangeError(`windows of ${chunkTokens} tokens (${size} without [CLS]/[SEP]) cannot overlap by ${overlap}`);
  const spans: Array<[number, number]> = [];
  let start = 0;
  for (;;) {
    const end = Math.min(start + size, n);
    spans.push([start, end]);
    if (end >= n) return spans;
    start = end - overlap;
  }
}

/** `[CLS] ids[start, end) [SEP]` as a fresh array (it is moved to a worker with its batch). */
export function windowIds(ids: Int32Array, start: number, end: number, cls: number, sep: number): Int32Array {
  const out = new Int32Array(end - start + 2);
  out[0] = cls;
  out.set(ids.subarray(start, end), 1);
  out[out.length - 1] = sep;
  return out;
}

/** The code-point span of tokens `[start, end)` from per-token offset pairs; [-1, -1] without offsets, [0, 0] for no tokens. */
export function charSpan(offsets: Int32Array | null, start: number, end: number): [number, number] {
  if (!offsets) return [-1, -1];
  if (end <= start) return [0, 0];
  return [offsets[2 * start], offsets[2 * (end - 1) + 1]];
}
