import { describe, expect, test } from 'vitest';
import { fitHead, type FitSettings } from '../../src/train/fit-head.js';
import { mulberry32 } from '../../src/train/random.js';
import { predictHead } from '../../src/train/trained-head.js';
import { singleLabelMetrics } from '../../src/train/metrics.js';

const SEED = 1234;
const settings: FitSettings = { hidden: 0, folds: 4, l2: [1e-3, 1e-2, 0.1, 1], balance: false, seed: 3, maxIterations: 300, patience: 20 };

/** Gaussian-ish clusters: class c centred at 3·e_c (plus a shared offset, so standardization matters), in d dims. */
function clusters(n: number, d: number, k: number, seed: number) {
  const rand = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const y = Int32Array.from({ length: n }, (_, i) => i % k);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x[i * d + j] = 10 + (j === y[i] ? 2 : 0) + gauss() * (j < k ? 1 : 5);
  return { x, y };
}

describe(`fitHead (data seed ${SEED})`, () => {
  const { x, y } = clusters(240, 8, 3, SEED);
  const data = { x, n: 240, d: 8, targets: { kind: 'single' as const, y }, labels: ['a', 'b', 'c'] };

  test('logistic regression separates clusters on unseen rows, and reports CV figures for every L2', () => {
    const r = fitHead(data, settings);
    expect(r.cv.map((c) => c.l2)).toEqual([1, 0.1, 1e-2, 1e-3]);
    expect(r.cv.every((c) => c.bestIterations.length === 4)).toBe(true);
    expect(r.chosen.logLoss).toBe(Math.min(...r.cv.map((c) => c.logLoss)));
    expect(r.chosen.accuracy.mean).toBeGreaterThan(0.75);
    const test = clusters(300, 8, 3, SEED + 1);
    const acc = singleLabelMetrics(test.y, predictHead(r.head, test.x, 300), data.labels, 3).accuracy;
    expect(acc).toBeGreaterThan(0.75);
  });

  test('the same data and seed give the same parameters, bit for bit; another seed other folds', () => {
    const a = fitHead(data, settings);
    const b = fitHead(data, settings);
    expect(Buffer.from(b.head.params.buffer).equals(Buffer.from(a.head.params.buffer))).toBe(true);
    const c = fitHead(data, { ...settings, seed: 4 });
    expect(c.cv[0].accuracy.mean).not.toBe(a.cv[0].accuracy.mean);
  });

  test('an MLP learns XOR, which no linear head can', () => {
    const rand = mulberry32(SEED);
    const n = 400;
    const xs = new Float32Array(n * 2);
    const ys = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const a = rand() * 2 - 1;
      const b = rand() * 2 - 1;
      xs[2 * i] = a;
      xs[2 * i + 1] = b;
      ys[i] = a * b > 0 ? 1 : 0;
    }
    const xor = { x: xs, n, d: 2, targets: { kind: 'single' as const, y: ys }, labels: ['diff', 'same'] };
    const linear = fitHead(xor, { ...settings, l2: [1e-3] });
    const mlp = fitHead(xor, { ...settings, l2: [1e-3], hidden: 16 });
    expect(linear.chosen.accuracy.mean).toBeLessThan(0.7);
    expect(mlp.chosen.accuracy.mean).toBeGreaterThan(0.9);
  });

  test('--balance lifts the recall of a rare class', () => {
    const rand = mulberry32(SEED + 2);
    const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
    const n = 330;
    const yr = Int32Array.from({ length: n }, (_, i) => (i < 300 ? 0 : 1));
    const xr = Float32Array.from({ length: n * 2 }, (_, i) => (i % 2 === 0 ? (yr[i >> 1] === 1 ? 1.2 : 0) : 0) + gauss());
    const rare = { x: xr, n, d: 2, targets: { kind: 'single' as const, y: yr }, labels: ['common', 'rare'] };
    const recall = (balance: boolean) => {
      const r = fitHead(rare, { ...settings, l2: [1e-2], balance });
      return singleLabelMetrics(yr, predictHead(r.head, xr, n), rare.labels, 2).classes[1].recall;
    };
    expect(recall(true)).toBeGreaterThan(recall(false) + 0.2);
  });

  test('multi-label: a sigmoid per label finds each label on its own dimension', () => {
    const rand = mulberry32(SEED + 3);
    const n = 200;
    const k = 3;
    const ym = new Uint8Array(n * k);
    const xm = new Float32Array(n * 4);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < k; c++) ym[i * k + c] = rand() < 0.4 ? 1 : 0;
      for (let j = 0; j < 4; j++) xm[i * 4 + j] = (j < k && ym[i * k + j] ? 3 : 0) + rand();
    }
    const r = fitHead({ x: xm, n, d: 4, targets: { kind: 'multi', y: ym }, labels: ['p', 'q', 'r'] }, settings);
    expect(r.head.activation).toBe('sigmoid');
    expect(r.chosen.accuracy.mean).toBeGreaterThan(0.9); // subset accuracy
  });

  test('the final fit says why it stopped: line-search at iteration 0 when no step can lower the loss', () => {
    const ok = fitHead(data, settings);
    // Early stopping runs the final fit for the folds' median best iteration count.
    expect(ok.stopReason).not.toBe('line-search');
    expect(['max-iterations', 'loss', 'gradient']).toContain(ok.stopReason);
    // A non-finite embedding makes every loss NaN: no step is ever accepted.
    const bad = Float32Array.from(x);
    bad[5] = Number.NaN;
    const r = fitHead({ ...data, x: bad }, { ...settings, l2: [0.1], folds: 2 });
    expect(r.stopReason).toBe('line-search');
    expect(r.iterations).toBe(0);
  });
});
