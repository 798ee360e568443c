/**
 * Seeded k-fold splits. Single-label folds are stratified: each class is shuffled and dealt
 * round the folds, so every fold holds its share of every class.
 */
import { permutation } from './random.js';

/** Fold number (0..k-1) of each row. */
export function stratifiedFolds(y: Int32Array, classes: number, k: number, rand: () => number): Int32Array {
  const fold = new Int32Array(y.length);
  const order = permutation(y.length, rand);
  let next = 0;
  for (let c = 0; c < classes; c++) {
    for (const i of order) {
      if (y[i] !== c) continue;
      fold[i] = next;
      next = (next + 1) % k;
    }
  }
  return fold;
}

/** Fold number of each row, rows shuffled and cut into k near-equal folds (multi-label). */
export function plainFolds(n: number, k: number, rand: () => number): Int32Array {
  const fold = new Int32Array(n);
  const order = permutation(n, rand);
  for (let r = 0; r < n; r++) fold[order[r]] = r % k;
  return fold;
}

/** Row indices split by fold `f`: [train, validation]. */
export function splitFold(fold: Int32Array, f: number): [Int32Array, Int32Array] {
  const train: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < fold.length; i++) (fold[i] === f ? val : train).push(i);
  return [Int32Array.from(train), Int32Array.from(val)];
}
