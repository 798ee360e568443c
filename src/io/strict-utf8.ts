import { isUtf8 } from 'node:buffer';

/**
 * Strict UTF-8 for the readers. Node's own decoding (`buf.toString('utf8')`, csv-parse's
 * `encoding: 'utf8'`) replaces bad bytes with U+FFFD without a word; a pipeline that embeds
 * text must reject such records instead, so every reader validates bytes before decoding.
 *
 * `isUtf8` (simdutf) rejects exactly what `new TextDecoder('utf-8', { fatal: true })` rejects
 * (overlongs, surrogates, truncated sequences, > U+10FFFF) and validates a 128 KiB chunk in
 * microseconds, so it runs over whole batches and only falls back to per-record checks
 * when a batch fails.
 */

/** Whether bytes `[start, end)` of `buf` are well-formed UTF-8. */
export function isWellFormedUtf8(buf: Uint8Array, start = 0, end = buf.length): boolean {
  return isUtf8(buf.subarray(start, end));
}

/**
 * Decodes bytes `[start, end)`, or returns `undefined` when they are not well-formed UTF-8.
 *
 * @example
 * ```ts
 * decodeUtf8Strict(Buffer.from([0x68, 0x69]));        // 'hi'
 * decodeUtf8Strict(Buffer.from([0x68, 0xff]));        // undefined
 * ```
 */
export function decodeUtf8Strict(buf: Buffer, start = 0, end = buf.length): string | undefined {
  return isWellFormedUtf8(buf, start, end) ? buf.toString('utf8', start, end) : undefined;
}
