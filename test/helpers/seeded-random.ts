import { randomInt } from 'node:crypto';

/**
 * A small deterministic PRNG (mulberry32) for tests whose randomness must be replayable:
 * the same 32-bit seed always gives the same sequence of numbers in [0, 1).
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

/**
 * The seed for a randomized test: `ALBERT_TEST_SEED` (an integer) when set, so a failure
 * can be rerun exactly, or else a fresh random 32-bit seed. Print it before using it.
 */
export function testSeed(): number {
  const raw = process.env.ALBERT_TEST_SEED?.trim();
  if (raw === undefined || raw === '') return randomInt(0, 2 ** 32);
  if (!/^-?\d+$/.test(raw)) throw new Error(`ALBERT_TEST_SEED must be an integer, got ${JSON.stringify(raw)}`);
  return Number(BigInt.asUintN(32, BigInt(raw)));
}
