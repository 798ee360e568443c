import { randomInt } from 'node:crypto';

/** A small deterministic PRNG (mulberry32): the one training seeds its folds and weights with. */
export { mulberry32 } from '../../src/train/random.js';

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
