import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadModel, makeTokenizer } from '../../src/pipeline/load-model.js';
import { ROOT } from '../helpers/cli.js';

describe('makeTokenizer', () => {
  test('a trained head folder defaults to the max length it was trained at; --max-length still wins', async () => {
    const model = await loadModel(join(ROOT, 'models', 'albert-mini'));
    expect(makeTokenizer(model, null).maxLength).toBe(512);
    const head = { ...model, files: { ...model.files, config: { ...(model.files.config as object), albert_pipeline_head: { max_length: 48 } } } };
    expect(makeTokenizer(head, null).maxLength).toBe(48);
    expect(makeTokenizer(head, 100).maxLength).toBe(100);
    // tokenize without --max-length still shows whole rows.
    expect(makeTokenizer(head, null, false).maxLength).toBe(Number.POSITIVE_INFINITY);
  });
});
