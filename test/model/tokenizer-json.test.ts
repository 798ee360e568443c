import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from 'tokenizers';
import { describe, expect, test } from 'vitest';
import { albertRemoveSpace } from '../../src/model/remove-space.js';
import { parseSentencePieceModel } from '../../src/model/sentencepiece-proto.js';
import { albertTokenizerOptionsFromConfig, buildAlbertTokenizerJson } from '../../src/model/tokenizer-json.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/hf-albert-tiny/', import.meta.url));
const reference = JSON.parse(readFileSync(`${FIXTURE}reference.json`, 'utf8')) as { texts: string[]; ids_unpadded: number[][] };
const spm = parseSentencePieceModel(readFileSync(`${FIXTURE}tokenizer/spiece.model`));
const hfJson = JSON.parse(readFileSync(`${FIXTURE}tokenizer/tokenizer.json`, 'utf8')) as Record<string, unknown>;

describe('buildAlbertTokenizerJson', () => {
  test('equals the tokenizer.json HF built from the same spiece.model, key order included', () => {
    const built = buildAlbertTokenizerJson(spm, albertTokenizerOptionsFromConfig(
      JSON.parse(readFileSync(`${FIXTURE}tokenizer/tokenizer_config.json`, 'utf8')) as Record<string, unknown>));
    expect(built).toEqual(hfJson);
    expect(Object.keys(built)).toEqual(Object.keys(hfJson));
  });

  test('pushes number-comma pieces down by 100 as HF does', () => {
    const vocab = (buildAlbertTokenizerJson(spm).model as { vocab: Array<[string, number]> }).vocab;
    const idx = vocab.findIndex(([p]) => p === '\u25811,');
    expect(idx).toBeGreaterThan(4);
    expect(vocab[idx][1]).toBeCloseTo(spm.pieces[idx].score - 100, 9);
  });

  test('keep_accents and do_lower_case change the normalizer chain', () => {
    const n = (buildAlbertTokenizerJson(spm, { keepAccents: true, doLowerCase: false }).normalizer as {
      normalizers: Array<{ type: string }>;
    }).normalizers.map((x) => x.type);
    expect(n).toEqual(['Replace', 'Replace', 'Precompiled', 'Replace']);
  });

  test('through the tokenizers package it encodes the 24 reference texts to the HF ids', async () => {
    const tok = Tokenizer.fromString(JSON.stringify(buildAlbertTokenizerJson(spm)));
    expect(reference.texts).toHaveLength(24);
    for (let i = 0; i < reference.texts.length; i++) {
      const enc = await tok.encode(albertRemoveSpace(reference.texts[i]));
      expect(enc.getIds(), JSON.stringify(reference.texts[i])).toEqual(reference.ids_unpadded[i]);
    }
  });

  test('pairs get [CLS] A [SEP] B [SEP] with type ids 0 then 1', async () => {
    const tok = Tokenizer.fromString(JSON.stringify(buildAlbertTokenizerJson(spm)));
    const enc = await tok.encode('he went home.', 'then he slept.');
    const ids = enc.getIds();
    expect(ids[0]).toBe(2);
    expect(ids.filter((x) => x === 3)).toHaveLength(2);
    const types = enc.getTypeIds();
    const firstSep = ids.indexOf(3);
    expect(types.slice(0, firstSep + 1).every((t) => t === 0)).toBe(true);
    expect(types.slice(firstSep + 1).every((t) => t === 1)).toBe(true);
  });

  test('[MASK] is matched with its leading space stripped', async () => {
    const tok = Tokenizer.fromString(JSON.stringify(buildAlbertTokenizerJson(spm)));
    const ids = (await tok.encode('the [MASK] is great.')).getIds();
    expect(ids.filter((x) => x === 4)).toHaveLength(1);
  });

  const mini = fileURLToPath(new URL('../../../shared/models/albert-mini', import.meta.url));
  test.skipIf(!existsSync(`${mini}/spiece.model`))('albert-mini (from ../shared, when present) builds its tokenizer.json', () => {
    const built = buildAlbertTokenizerJson(parseSentencePieceModel(readFileSync(`${mini}/spiece.model`)));
    expect(built).toEqual(JSON.parse(readFileSync(`${mini}/tokenizer.json`, 'utf8')));
  });
});

describe('albertRemoveSpace', () => {
  test('collapses Python whitespace and trims', () => {
    expect(albertRemoveSpace('  Tabs\tand\nnewlines   and \u3000 x\x1c ')).toBe('Tabs and newlines and x');
    expect(albertRemoveSpace(' ')).toBe('');
    // U+FEFF is not whitespace to Python, so it stays.
    expect(albertRemoveSpace('a\ufeffb')).toBe('a\ufeffb');
  });
});
