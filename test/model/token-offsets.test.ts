import { describe, expect, it } from 'vitest';
import { AlbertTokenizer } from '../../src/model/albert-tokenizer.js';
import { PreparedText } from '../../src/model/token-offsets.js';
import { reference, tokenizerJsonText } from '../helpers/reference.js';

const tok = AlbertTokenizer.fromJson(tokenizerJsonText(), 512);
const vocab = tok.vocabulary();

/** A code-point slice: what Python's `text[start:end]` gives. */
const slice = (text: string, start: number, end: number) => Array.from(text).slice(start, end).join('');

async function spans(text: string): Promise<Array<{ piece: string; text: string; start: number; end: number }>> {
  const [e] = await tok.encodeBatch([text], undefined, { offsets: true });
  return [...e.ids].map((id, t) => ({ piece: vocab[id], start: e.offsets![2 * t], end: e.offsets![2 * t + 1], text: slice(text, e.offsets![2 * t], e.offsets![2 * t + 1]) }));
}

describe('PreparedText', () => {
  it('maps spans of the prepared text back to the original, trimming the space a ▁ stands for', () => {
    const p = new PreparedText('  Hello \t\n wörld  ', 'Hello wörld');
    expect(p.span(0, 5, false)).toEqual([2, 7]);
    expect(p.span(5, 11, false)).toEqual([11, 16]);
    // A bare ▁ (the space itself) is an empty span where the next word starts.
    expect(p.span(5, 6, true)).toEqual([11, 11]);
  });

  it('counts code points on both sides, not UTF-16 units', () => {
    // 🙂 is two UTF-16 units and one code point, in the prepared text and in the original.
    const p = new PreparedText('🙂  ab', '🙂 ab');
    expect(p.span(2, 4, false)).toEqual([3, 5]);
    expect(p.span(0, 1, false)).toEqual([0, 1]);
  });

  it('refuses texts that are not one made from the other by dropping whitespace', () => {
    expect(() => new PreparedText('abc', 'abd')).toThrow(/cannot align/);
  });
});

describe('token offsets from AlbertTokenizer', () => {
  it('give ordinary words back as text.slice(start, end), [0, 0] for [CLS] and [SEP]', async () => {
    const text = 'She had the job she had planned for the last three years.';
    const s = await spans(text);
    expect(s[0]).toMatchObject({ piece: '[CLS]', start: 0, end: 0 });
    expect(s.at(-1)).toMatchObject({ piece: '[SEP]', start: 0, end: 0 });
    // A word is a ▁ piece and the pieces after it: from its first token's start to its last token's end.
    const content = s.slice(1, -1);
    const words: string[] = [];
    content.forEach((x, i) => {
      if (!x.piece.startsWith('▁')) return;
      let j = i;
      while (j + 1 < content.length && !content[j + 1].piece.startsWith('▁')) j++;
      // Plain ASCII: code points are JS string indices.
      words.push(text.slice(x.start, content[j].end));
    });
    expect(words).toEqual(text.split(' '));
    for (const x of content) expect(x.text.toLowerCase()).toBe(x.piece.replace(/^▁/, ''));
  });

  it('point into the original text through whitespace collapsing, NFKC/NFKD, lowercasing and accents', async () => {
    const text = '  ＡＢＣ１２３\t\tﬁne  İstanbul Café\nnaïve ';
    const s = (await spans(text)).slice(1, -1);
    const byPiece = Object.fromEntries(s.map((x) => [x.piece, x.text]));
    expect(byPiece['▁fine']).toBe('ﬁne');
    expect(byPiece['▁a']).toBe('Ａ');
    expect(s.map((x) => x.text).join('')).toBe('ＡＢＣ１２３ﬁneİstanbulCafénaïve');
    // Every span lies inside the text and they follow one another.
    for (let i = 1; i < s.length; i++) expect(s[i].start).toBeGreaterThanOrEqual(s[i - 1].end);
  });

  it('count code points past astral characters (JS indices would be off by one per emoji)', async () => {
    const text = 'Emoji 🙂🚀 and © after';
    const s = await spans(text);
    const and = s.find((x) => x.piece === '▁and')!;
    expect(and.text).toBe('and');
    expect([and.start, and.end]).toEqual([9, 12]);
    expect(text.slice(and.start, and.end)).not.toBe('and');
    const after = s.find((x) => x.piece === '▁after')!;
    expect(slice(text, after.start, after.end)).toBe('after');
  });

  it('cover a literal [MASK] and the words around it (spaces dropped by prepare)', async () => {
    const s = await spans('see the [MASK] file');
    expect(s.filter((x) => x.piece === '[MASK]').map((x) => x.text)).toEqual(['[MASK]']);
    expect(s.filter((x) => x.piece === '▁file').map((x) => x.text)).toEqual(['file']);
  });

  it('match each token of the 24 reference texts, which slice to their pieces where only case differs', async () => {
    const enc = await tok.encodeBatch(reference.texts, undefined, { offsets: true });
    let checked = 0;
    enc.forEach((e, i) => {
      const text = reference.texts[i];
      expect([...e.ids]).toEqual(reference.ids_unpadded[i]);
      const n = Array.from(text).length;
      for (let t = 1; t < e.ids.length - 1; t++) {
        const [a, b] = [e.offsets![2 * t], e.offsets![2 * t + 1]];
        expect(a).toBeGreaterThanOrEqual(0);
        expect(b).toBeGreaterThanOrEqual(a);
        expect(b).toBeLessThanOrEqual(n);
        const piece = reference.tokens[i][t].replace(/^▁/, '');
        // Where normalization only lowercases (ASCII, no quotes the tokenizer rewrites), the text is the piece.
        if (/^[a-zA-Z0-9.,:/-]+$/.test(piece) && /^[\x20-\x7e]*$/.test(text) && !/``|''/.test(text)) {
          expect(slice(text, a, b).toLowerCase(), `text ${i} token ${t}`).toBe(piece);
          checked++;
        }
      }
    });
    expect(checked).toBeGreaterThan(200);
  });
});
