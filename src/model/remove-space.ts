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
