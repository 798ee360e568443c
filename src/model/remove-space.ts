/**
 * ALBERT's `remove_space` preprocessing (`" ".join(text.strip().split())` in HF's
 * AlbertTokenizer): runs of whitespace become one space, ends are trimmed.
 */

// Python's str.split() whitespace set; it differs from JS `\s` (adds \x1c-\x1f and \x85, lacks \ufeff).
const PY_WHITESPACE = /[\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/g;

/**
 * Collapses whitespace exactly as Python's `str.split()` sees it.
 *
 * @example
 * ```ts
 * albertRemoveSpace('  Tabs\tand\nnewlines   x ') // 'Tabs and newlines x'
 * ```
 */
export function albertRemoveSpace(text: string): string {
  return text.replace(PY_WHITESPACE, ' ').replace(/^ | $/g, '');
}

const PY_WHITESPACE_CHAR = new RegExp(`^${PY_WHITESPACE.source.slice(0, -1)}$`);

/** Whether the UTF-16 unit `code` is whitespace to Python's `str.split()` (every such character is one unit). */
export function isPyWhitespace(code: number): boolean {
  return code < 0x80 ? code === 0x20 || (code >= 0x09 && code <= 0x0d) || (code >= 0x1c && code <= 0x1f) : PY_WHITESPACE_CHAR.test(String.fromCharCode(code));
}
