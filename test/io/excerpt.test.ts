import { describe, expect, test } from 'vitest';
import { excerptOf } from '../../src/io/excerpt.js';

describe('excerptOf', () => {
  test('escapes controls, backslashes, invalid bytes, bidi and invisible spaces', () => {
    expect(excerptOf(Buffer.from('a\tb\x1b[31m\xff\\', 'latin1'))).toBe('a\\tb\\x1b[31m\\xff\\\\');
    expect(excerptOf(Buffer.from('nul\u0000 \u202Eevil\u202C \u3000\u00a0 é 😀 👩‍👩‍👧'))).toBe('nul\\x00 \\u{202e}evil\\u{202c} \\u{3000}\\u{a0} é 😀 👩‍👩‍👧');
    expect(excerptOf(Buffer.from([0xed, 0xa0, 0x80, 0xc0, 0xaf, 0xf0, 0x9f, 0x98]))).toBe('\\xed\\xa0\\x80\\xc0\\xaf\\xf0\\x9f\\x98');
  });

  test('is at most 80 characters, with an ellipsis only when cut', () => {
    expect(excerptOf(Buffer.from('x'.repeat(80)))).toBe('x'.repeat(80));
    expect(excerptOf(Buffer.from('x'.repeat(81)))).toBe(`${'x'.repeat(79)}…`);
    const escaped = excerptOf(Buffer.alloc(100, 0x01));
    expect(escaped.length).toBeLessThanOrEqual(80);
    expect(escaped).toMatch(/^(\\x01)+…$/);
  });
});
