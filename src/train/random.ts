/**
 * Seeded randomness for training: the same seed gives the same shuffles, folds and initial
 * weights on every run, so a model folder can be rebuilt byte for byte.
 */

/**
 * mulberry32: a small 32-bit PRNG; the same seed always gives the same numbers in [0, 1).
 *
 * @example
 * ```ts
 * const rand = mulberry32(42);
 * rand(); // 0.6011037519201636, on every run
 * ```
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher-Yates, in place. */
export function shuffleInPlace<T>(items: T[] | Int32Array, rand: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = items[i];
    items[i] = items[j];
    items[j] = t;
  }
}

/** 0..n-1 in a seeded order. */
export function permutation(n: number, rand: () => number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  shuffleInPlace(p, rand);
  return p;
}
