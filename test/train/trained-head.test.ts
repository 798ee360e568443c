import { describe, expect, test, vi } from 'vitest';

// Spy on the one softmax of the project: the head's probabilities must come from it, not
// from a copy of their own that could drift from what `albert label` computes.
vi.mock('../../src/model/activations.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/model/activations.js')>();
  return { ...actual, softmaxInto: vi.fn(actual.softmaxInto) };
});

const { softmaxInto, softmaxRows } = await import('../../src/model/activations.js');
const { probabilities } = await import('../../src/train/trained-head.js');

describe('probabilities', () => {
  test('a softmax head uses softmaxInto from src/model/activations.ts, row by row', () => {
    // Logistic regression, d = 2, k = 3: logits = x·W + b.
    const shape = { d: 2, hidden: 0, k: 3 };
    const params = Float64Array.from([1, -1, 0.5, 2, 0, -2, 0.1, 0.2, 0.3]);
    const x = Float64Array.from([1, 2, -3, 0.5]);
    vi.mocked(softmaxInto).mockClear();
    const p = probabilities(shape, 'softmax', params, x, 2);
    expect(vi.mocked(softmaxInto)).toHaveBeenCalledTimes(2);
    // The same logits by hand (W is d x k row-major, then b), softmaxed by the shared function.
    const logits = new Float32Array(6);
    for (let i = 0; i < 2; i++) for (let c = 0; c < 3; c++) logits[i * 3 + c] = x[i * 2] * params[c] + x[i * 2 + 1] * params[3 + c] + params[6 + c];
    const want = softmaxRows(logits, 3);
    p.forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
    expect(p[0] + p[1] + p[2]).toBeCloseTo(1, 12);
  });
});
