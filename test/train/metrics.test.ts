import { describe, expect, test } from 'vitest';
import { calibration, multiLabelMetrics, singleLabelMetrics, thresholdTable } from '../../src/train/metrics.js';
import { stratifiedFolds } from '../../src/train/folds.js';
import { mulberry32 } from '../../src/train/random.js';

// Five rows, labels a/b/c: truth a a b b c; predicted a b b b a (by the largest probability).
const truth = Int32Array.of(0, 0, 1, 1, 2);
const probs = Float32Array.of(
  0.7, 0.2, 0.1,
  0.4, 0.5, 0.1,
  0.1, 0.8, 0.1,
  0.3, 0.6, 0.1,
  0.5, 0.2, 0.3,
);

describe('singleLabelMetrics', () => {
  const m = singleLabelMetrics(truth, probs, ['a', 'b', 'c'], 3);
  test('accuracy, confusion matrix and per-class precision/recall/F1, counted by hand', () => {
    expect(m.accuracy).toBeCloseTo(3 / 5, 12);
    expect(m.confusion).toEqual([[1, 1, 0], [0, 2, 0], [1, 0, 0]]);
    const [a, b, c] = m.classes;
    expect([a.precision, a.recall]).toEqual([0.5, 0.5]);
    expect(b.precision).toBeCloseTo(2 / 3, 12);
    expect(b.recall).toBe(1);
    expect(b.f1).toBeCloseTo(0.8, 12);
    expect([c.precision, c.recall, c.f1, c.support, c.predicted]).toEqual([0, 0, 0, 1, 0]);
    expect(m.macro.f1).toBeCloseTo((0.5 + 0.8 + 0) / 3, 12);
  });

  test('log loss and calibration', () => {
    const expected = -(Math.log(0.7) + Math.log(0.4) + Math.log(0.8) + Math.log(0.6) + Math.log(0.3)) / 5;
    expect(m.logLoss).toBeCloseTo(expected, 6);
    // Bins of 10: confidences 0.7 (right), 0.5 (wrong), 0.8 (right), 0.6 (right), 0.5 (wrong).
    const c = calibration(Float64Array.of(0.7, 0.5, 0.8, 0.6, 0.5), Uint8Array.of(1, 0, 1, 1, 0), 10);
    expect(c.ece).toBeCloseTo((2 / 5) * 0.5 + (1 / 5) * 0.4 + (1 / 5) * 0.3 + (1 / 5) * 0.2, 12);
    expect(c.bins[5].count).toBe(2);
  });

  test('a true label the model lacks counts as wrong and gets its own confusion row', () => {
    const r = singleLabelMetrics(Int32Array.of(0, 2), Float32Array.of(0.9, 0.1, 0.6, 0.4), ['a', 'b', 'zzz'], 2);
    expect(r.accuracy).toBe(0.5);
    expect(r.confusion).toEqual([[1, 0], [0, 0], [1, 0]]);
    expect(r.classes[2]).toMatchObject({ label: 'zzz', support: 1, predicted: 0, recall: 0 });
  });

  test('thresholdTable: rows below the score are left out of the accuracy', () => {
    const [all, at06] = thresholdTable(truth, probs, 3, [0, 0.6]);
    expect(all).toMatchObject({ coverage: 1, below: 0, accuracy: 0.6 });
    expect(at06).toMatchObject({ below: 2, coverage: 0.6, accuracy: 1 });
  });
});

describe('multiLabelMetrics', () => {
  test('subset accuracy, hamming loss, micro and macro F1', () => {
    const y = Uint8Array.of(1, 0, 1, 1, 0, 0);
    const p = Float32Array.of(0.9, 0.2, 0.8, 0.6, 0.7, 0.1);
    const m = multiLabelMetrics(y, p, ['x', 'y', 'z'], 0.5);
    expect(m.subsetAccuracy).toBe(0.5);
    expect(m.hammingLoss).toBeCloseTo(1 / 6, 12);
    expect(m.micro.precision).toBeCloseTo(3 / 4, 12);
    expect(m.micro.recall).toBe(1);
    expect(m.labels[1]).toMatchObject({ support: 0, predicted: 1, precision: 0, recall: 0 });
  });
});

describe('stratifiedFolds', () => {
  test('every fold gets its share of every class, and the seed fixes the split', () => {
    const y = Int32Array.from({ length: 103 }, (_, i) => (i < 50 ? 0 : i < 90 ? 1 : 2));
    const folds = stratifiedFolds(y, 3, 5, mulberry32(7));
    for (let f = 0; f < 5; f++) {
      const inFold = [0, 1, 2].map((c) => y.filter((v, i) => v === c && folds[i] === f).length);
      expect(inFold[0]).toBe(10);
      expect(inFold[1]).toBe(8);
      expect(inFold[2]).toBeGreaterThanOrEqual(2);
      expect(inFold[2]).toBeLessThanOrEqual(3);
    }
    expect(stratifiedFolds(y, 3, 5, mulberry32(7))).toEqual(folds);
    expect(stratifiedFolds(y, 3, 5, mulberry32(8))).not.toEqual(folds);
  });
});
