import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { ModelError } from '../../src/errors.js';
import { parseSentencePieceModel, pieceId } from '../../src/model/sentencepiece-proto.js';

const SPIECE = fileURLToPath(new URL('../fixtures/hf-albert-tiny/tokenizer/spiece.model', import.meta.url));

describe('parseSentencePieceModel', () => {
  const spm = parseSentencePieceModel(readFileSync(SPIECE), SPIECE);

  test('reads the pieces with their scores and types', () => {
    expect(spm.pieces).toHaveLength(8000);
    expect(spm.pieces.slice(0, 5).map((p) => [p.piece, p.type])).toEqual([
      ['<pad>', 'control'], ['<unk>', 'unknown'], ['[CLS]', 'control'], ['[SEP]', 'control'], ['[MASK]', 'control'],
    ]);
    expect(spm.pieces[5].piece).toBe('/');
    // Scores are float32 on disk; -2.7284176 is the value HF's tokenizer.json carries for this piece.
    expect(spm.pieces[5].score).toBeCloseTo(-2.7284176349639893, 12);
    expect(spm.pieces.every((p, i) => i < 5 || p.score < 0)).toBe(true);
    expect(pieceId(spm, '[MASK]')).toBe(4);
    expect(pieceId(spm, 'no such piece')).toBe(-1);
  });

  test('reads the trainer spec ALBERT was trained with', () => {
    expect(spm.trainerSpec).toMatchObject({
      modelType: 'unigram', vocabSize: 8000, byteFallback: false, unkId: 1, padId: 0, bosId: -1, eosId: -1,
    });
  });

  test('reads the normalizer spec, charsmap included', () => {
    expect(spm.normalizerSpec.name).toBe('nmt_nfkc');
    expect(spm.normalizerSpec.addDummyPrefix).toBe(true);
    expect(spm.normalizerSpec.removeExtraWhitespaces).toBe(true);
    expect(spm.normalizerSpec.escapeWhitespaces).toBe(true);
    expect(spm.normalizerSpec.precompiledCharsmap.length).toBeGreaterThan(100_000);
  });

  test('the result is frozen', () => {
    expect(Object.isFrozen(spm)).toBe(true);
    expect(Object.isFrozen(spm.pieces)).toBe(true);
    expect(Object.isFrozen(spm.pieces[0])).toBe(true);
  });

  test('rejects bytes that are not a model, naming the source', () => {
    const junk = new TextEncoder().encode('{"not": "a protobuf"}');
    expect(() => parseSentencePieceModel(junk, 'junk.model')).toThrow(ModelError);
    try {
      parseSentencePieceModel(junk, 'junk.model');
    } catch (err) {
      expect((err as ModelError).code).toBe('ALB_SPM_INVALID');
      expect((err as ModelError).message).toContain('junk.model');
    }
    expect(() => parseSentencePieceModel(new Uint8Array(0), 'empty.model')).toThrow(/no pieces/);
  });
});
