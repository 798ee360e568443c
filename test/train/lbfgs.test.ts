import { describe, expect, test } from 'vitest';
import { lbfgs } from '../../src/train/lbfgs.js';

describe('lbfgs', () => {
  test('finds the minimum of the Rosenbrock function', () => {
    const f = (x: Float64Array, g: Float64Array) => {
      const [a, b] = [x[0], x[1]];
      g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
      g[1] = 200 * (b - a * a);
      return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
    };
    const r = lbfgs(f, Float64Array.of(-1.2, 1), { maxIter: 500, gradTol: 1e-8 });
    expect(r.x[0]).toBeCloseTo(1, 5);
    expect(r.x[1]).toBeCloseTo(1, 5);
    expect(r.reason).not.toBe('max-iterations');
  });

  // SciPy's L-BFGS-B (maxcor 10) needs 244 iterations on this problem to the same tolerance; plain gradient descent needs ~1e4.
  test('an ill-conditioned quadratic converges in as many steps as SciPy\'s L-BFGS-B takes', () => {
    const scale = Float64Array.from({ length: 50 }, (_, i) => 10 ** (i / 16)); // condition ~1e3
    const f = (x: Float64Array, g: Float64Array) => {
      let s = 0;
      for (let i = 0; i < x.length; i++) { g[i] = scale[i] * (x[i] - 1); s += 0.5 * scale[i] * (x[i] - 1) ** 2; }
      return s;
    };
    const r = lbfgs(f, new Float64Array(50), { maxIter: 1000, gradTol: 1e-5, lossTol: 0 });
    expect(r.reason).toBe('gradient');
    expect(r.iterations).toBeLessThan(300);
    for (const v of r.x) expect(v).toBeCloseTo(1, 4);
  });

  test('the callback stops it, and x0 is left as it was', () => {
    const x0 = Float64Array.of(5);
    const r = lbfgs((x, g) => { g[0] = 2 * x[0]; return x[0] ** 2; }, x0, { maxIter: 100, onIteration: (iter) => iter >= 1 });
    expect(r.reason).toBe('callback');
    expect(r.iterations).toBe(1);
    expect(x0[0]).toBe(5);
  });
});
