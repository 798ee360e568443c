import { describe, expect, test } from 'vitest';
import { checkFinalFit } from '../../src/pipeline/train-head.js';

const settings = { patience: 20, maxIterations: 500 };

describe('checkFinalFit', () => {
  test('a final fit that took no step (line search failed at iteration 0) is ALB_TRAIN_DATA_INVALID, naming what to do', () => {
    const warned: string[] = [];
    expect(() => checkFinalFit({ stopReason: 'line-search', iterations: 0, l2: 0.1 }, settings, 400, (l) => warned.push(l)))
      .toThrow(expect.objectContaining({
        code: 'ALB_TRAIN_DATA_INVALID',
        message: expect.stringMatching(/final fit on all 400 rows took no step .*finite embeddings.*--l2 \(got 0\.1\)/),
      }));
    expect(warned).toEqual([]);
  });

  test('a line-search stop later on is a warning; the usual stops say nothing', () => {
    const warned: string[] = [];
    checkFinalFit({ stopReason: 'line-search', iterations: 7, l2: 0.01 }, settings, 400, (l) => warned.push(l));
    expect(warned).toEqual([expect.stringMatching(/^train-head: warning: the final fit stopped after 7 iterations .*line search failed, L2 0\.01/)]);
    for (const stopReason of ['max-iterations', 'loss', 'gradient'] as const) {
      checkFinalFit({ stopReason, iterations: 30, l2: 0.01 }, settings, 400, (l) => warned.push(l));
    }
    expect(warned).toHaveLength(1);
    // With --patience 0 every fit should converge: hitting --max-iterations is worth a word.
    checkFinalFit({ stopReason: 'max-iterations', iterations: 500, l2: 0.01 }, { patience: 0, maxIterations: 500 }, 400, (l) => warned.push(l));
    expect(warned[1]).toMatch(/did not converge within --max-iterations 500/);
  });
});
