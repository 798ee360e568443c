import { describe, expect, it } from 'vitest';
import { EtaEstimator, DEFAULT_ETA_OPTIONS, type EtaReading } from '../../src/pipeline/eta.js';

/** Feeds `done(t)` once a second from `fromS` to `toS`; returns the readings by second. */
function play(eta: EtaEstimator, total: number | null, done: (s: number) => number, fromS: number, toS: number): Map<number, EtaReading> {
  const out = new Map<number, EtaReading>();
  for (let s = fromS; s <= toS; s++) out.set(s, eta.observe(s * 1000, done(s), total));
  return out;
}

describe('EtaEstimator', () => {
  it('steady job: pending at first, then the exact time left; start-up time does not count', () => {
    const eta = new EtaEstimator();
    // 25 s of model load before the first byte is done, then 1 MB/s of a 200 MB input.
    const readings = play(eta, 200e6, (s) => Math.max(0, s - 25) * 1e6, 25, 100);
    const firstShown = [...readings].find(([, r]) => r.state === 'shown')![0];
    expect(firstShown - 25).toBeGreaterThanOrEqual(DEFAULT_ETA_OPTIONS.minObservedMs / 1000);
    expect(firstShown - 25).toBeLessThanOrEqual(30);
    for (const [s, r] of readings) {
      if (s < firstShown) expect(r.state).toBe('pending');
      else expect(r).toEqual({ state: 'shown', fraction: (s - 25) / 200, etaMs: (200 - (s - 25)) * 1000 });
    }
  });

  it('a rate still climbing keeps the ETA pending; it shows once the rate settles, and is right', () => {
    const eta = new EtaEstimator();
    // Rate climbs 0.1 -> 1 MB/s over 120 s, then stays at 1 MB/s; 400 MB in all.
    const rate = (s: number) => (s < 120 ? 0.1 + (0.9 * s) / 120 : 1) * 1e6;
    const done: number[] = [0];
    for (let s = 1; s <= 500; s++) done.push(done[s - 1]! + rate(s));
    const readings = play(eta, 400e6, (s) => done[s]!, 0, 300);
    for (let s = 0; s < 100; s++) expect(readings.get(s)!.state, `at ${s} s`).toBe('pending');
    const firstShown = [...readings].find(([, r]) => r.state === 'shown')![0];
    expect(firstShown).toBeLessThanOrEqual(160);
    for (const [s, r] of readings) {
      if (r.state !== 'shown') continue;
      const truth = ((400e6 - done[s]!) / 1e6) * 1000;
      expect(r.etaMs / truth, `at ${s} s`).toBeGreaterThan(1 / 1.5);
      expect(r.etaMs / truth, `at ${s} s`).toBeLessThan(1.5);
    }
  });

  it('no total (stdin): no fraction, no ETA', () => {
    const eta = new EtaEstimator();
    const readings = play(eta, null, (s) => s * 1e6, 0, 60);
    for (const r of readings.values()) expect(r).toEqual({ state: 'none' });
  });

  it('a stall (nothing done for a whole window) goes back to pending', () => {
    const eta = new EtaEstimator();
    play(eta, 100e6, (s) => s * 1e6, 0, 40);
    expect(eta.reading().state).toBe('shown');
    play(eta, 100e6, () => 40e6, 41, 101);
    expect(eta.reading()).toEqual({ state: 'pending', fraction: 0.4 });
  });

  it('once shown, a wobble within twice the tolerance does not hide it', () => {
    const eta = new EtaEstimator({ windowMs: 10_000 });
    // 1 MB/s for 40 s, then alternating 10 s at 0.9 and 1.1 MB/s.
    const done: number[] = [0];
    for (let s = 1; s <= 200; s++) done.push(done[s - 1]! + (s <= 40 ? 1 : Math.floor(s / 10) % 2 ? 0.9 : 1.1) * 1e6);
    const readings = play(eta, 500e6, (s) => done[s]!, 0, 200);
    expect(readings.get(40)!.state).toBe('shown');
    for (let s = 40; s <= 200; s++) expect(readings.get(s)!.state, `at ${s} s`).toBe('shown');
  });

  it('all done: ETA 0', () => {
    const eta = new EtaEstimator();
    expect(eta.observe(1000, 10, 10)).toEqual({ state: 'shown', fraction: 1, etaMs: 0 });
  });
});
