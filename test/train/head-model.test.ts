import { describe, expect, test } from 'vitest';
import { backward, forward, headLayout, headWork, initialParams, type HeadShape } from '../../src/train/head-model.js';
import { balancedPositiveWeights, balancedRowWeights, lossOnLogits, type LossWeights, type Targets } from '../../src/train/losses.js';
import { mulberry32 } from '../../src/train/random.js';
import { predictHead, probabilities } from '../../src/train/trained-head.js';

const SEED = 20240607;

function problem(shape: HeadShape, n: number, kind: 'single' | 'multi') {
  const rand = mulberry32(SEED);
  const x = Float64Array.from({ length: n * shape.d }, () => rand() * 2 - 1);
  const targets: Targets = kind === 'single'
    ? { kind, y: Int32Array.from({ length: n }, () => Math.floor(rand() * shape.k)) }
    : { kind, y: Uint8Array.from({ length: n * shape.k }, () => (rand() < 0.4 ? 1 : 0)) };
  const weights: LossWeights = kind === 'single'
    ? { kind, row: balancedRowWeights((targets as { y: Int32Array }).y, shape.k) }
    : { kind, positive: balancedPositiveWeights((targets as { y: Uint8Array }).y, n, shape.k) };
  const p = initialParams(shape, rand);
  if (shape.hidden === 0) for (let i = 0; i < p.length; i++) p[i] = rand() - 0.5;
  return { x, targets, weights, p };
}

function lossAt(shape: HeadShape, p: Float64Array, x: Float64Array, n: number, t: Targets, w: LossWeights): number {
  return lossOnLogits(t, w, forward(shape, p, x, headWork(shape, n)), n, shape.k, null);
}

describe('head forward/backward', () => {
  for (const [name, shape, kind] of [
    ['linear softmax', { d: 6, hidden: 0, k: 4 }, 'single'],
    ['linear sigmoid', { d: 6, hidden: 0, k: 3 }, 'multi'],
    ['MLP softmax', { d: 5, hidden: 7, k: 3 }, 'single'],
    ['MLP sigmoid', { d: 5, hidden: 4, k: 3 }, 'multi'],
  ] as const) {
    test(`${name}: the gradient matches finite differences (seed ${SEED})`, () => {
      const n = 9;
      const { x, targets, weights, p } = problem(shape, n, kind);
      const work = headWork(shape, n);
      const dLogits = new Float64Array(n * shape.k);
      lossOnLogits(targets, weights, forward(shape, p, x, work), n, shape.k, dLogits);
      const grad = new Float64Array(headLayout(shape).size);
      backward(shape, p, x, work, dLogits, grad);
      const h = 1e-6;
      for (let i = 0; i < p.length; i++) {
        const plus = Float64Array.from(p);
        const minus = Float64Array.from(p);
        plus[i] += h;
        minus[i] -= h;
        const numeric = (lossAt(shape, plus, x, n, targets, weights) - lossAt(shape, minus, x, n, targets, weights)) / (2 * h);
        expect(grad[i]).toBeCloseTo(numeric, 6);
      }
    });
  }

  test('probabilities: softmax rows sum to 1, sigmoid entries are independent', () => {
    const shape = { d: 3, hidden: 0, k: 4 };
    const p = Float64Array.from({ length: headLayout(shape).size }, (_, i) => Math.sin(i));
    const x = Float64Array.of(0.5, -1, 2, 1, 1, 1);
    const soft = probabilities(shape, 'softmax', p, x, 2);
    expect(soft[0] + soft[1] + soft[2] + soft[3]).toBeCloseTo(1, 12);
    const sig = probabilities(shape, 'sigmoid', p, x, 2);
    const logits = forward(shape, p, x, headWork(shape, 2));
    expect(sig[5]).toBeCloseTo(1 / (1 + Math.exp(-logits[5])), 12);
  });

  test('predictHead standardizes with the stored mean and std before the layers', () => {
    const shape = { d: 2, hidden: 0, k: 2 };
    const head = {
      shape, activation: 'softmax' as const, labels: ['a', 'b'],
      standardizer: { mean: Float32Array.of(1, 2), std: Float32Array.of(2, 4) },
      params: Float32Array.of(1, 0, 0, 1, 0, 0), // identity weights, zero bias
    };
    const probs = predictHead(head, Float32Array.of(3, 2), 1); // standardized: (1, 0)
    expect(probs[0]).toBeCloseTo(Math.exp(1) / (Math.exp(1) + 1), 12);
  });
});
