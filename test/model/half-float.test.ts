import { describe, expect, test } from 'vitest';
import { float16BitsToFloat32, float32ToFloat16Bits, fromBfloat16Array, fromFloat16Array, toFloat16Array } from '../../src/model/half-float.js';

describe('half floats', () => {
  test('known bit patterns', () => {
    expect(float32ToFloat16Bits(1)).toBe(0x3c00);
    expect(float32ToFloat16Bits(-2)).toBe(0xc000);
    expect(float32ToFloat16Bits(65504)).toBe(0x7bff);
    expect(float32ToFloat16Bits(65520)).toBe(0x7c00); // rounds up to Infinity
    expect(float32ToFloat16Bits(Infinity)).toBe(0x7c00);
    expect(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(NaN)))).toBe(true);
    expect(float32ToFloat16Bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(float32ToFloat16Bits(2 ** -26)).toBe(0); // below half of it
    expect(float32ToFloat16Bits(-0)).toBe(0x8000);
  });

  test('rounds to nearest, ties to even', () => {
    // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to the even mantissa (1).
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00);
    // 1 + 3·2^-11 is halfway between 1 + 2^-10 and 1 + 2^-9: ties to even (1 + 2^-9).
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(float32ToFloat16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01);
  });

  test('every half survives a round trip through float32', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const back = toFloat16Array(fromFloat16Array(all));
    for (let h = 0; h < 65536; h++) {
      const isNaN16 = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      if (!isNaN16) expect(back[h]).toBe(h);
    }
  });

  test('relative error of float16 rounding stays within 2^-11 for normal values', () => {
    const xs = new Float32Array(1000).map((_, i) => Math.sin(i) * 10 ** ((i % 8) - 4));
    const back = fromFloat16Array(toFloat16Array(xs));
    xs.forEach((x, i) => { if (Math.abs(x) > 6.2e-5) expect(Math.abs(back[i] - x) / Math.abs(x)).toBeLessThanOrEqual(2 ** -11); });
  });

  test('bfloat16 widens to the top half of a float32', () => {
    expect(Array.from(fromBfloat16Array(new Uint16Array([0x3f80, 0xc020, 0x0000])))).toEqual([1, -2.5, 0]);
  });
});
