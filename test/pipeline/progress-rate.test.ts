import { describe, expect, it } from 'vitest';
import { RecentRate } from '../../src/pipeline/progress-rate.js';

describe('RecentRate', () => {
  it('is null until two samples', () => {
    const r = new RecentRate(30_000);
    expect(r.perSecond()).toBeNull();
    r.observe(1000, 5);
    expect(r.perSecond()).toBeNull();
    r.observe(2000, 15);
    expect(r.perSecond()).toBe(10);
  });

  it('forgets what is older than the window: a slow start drops out', () => {
    const r = new RecentRate(30_000);
    // 60 s at 3/s, then 60 s at 25/s (the docs/s climbing from 3 to 25).
    let v = 0;
    for (let s = 0; s <= 120; s++) {
      r.observe(s * 1000, v);
      v += s < 60 ? 3 : 25;
    }
    expect(r.perSecond()).toBe(25);
    expect(r.spanMs).toBe(30_000);
  });

  it('covers the whole window when samples are sparse', () => {
    const r = new RecentRate(30_000);
    r.observe(0, 0);
    r.observe(20_000, 100);
    r.observe(40_000, 300);
    // The sample at 0 s is dropped only once the one at 20 s is at or before the window start.
    expect(r.spanMs).toBe(40_000);
    expect(r.perSecond()).toBe(7.5);
    r.observe(50_000, 400);
    expect(r.spanMs).toBe(30_000);
    expect(r.perSecond()).toBe(10);
  });

  it('ignores a sample that is not newer than the last', () => {
    const r = new RecentRate();
    r.observe(1000, 0);
    r.observe(2000, 10);
    r.observe(2000, 99);
    r.observe(1500, 99);
    expect(r.perSecond()).toBe(10);
  });
});
