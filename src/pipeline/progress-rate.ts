/**
 * The rate of a growing count over the last `windowMs` (a sliding window, not since the
 * start): a job's first seconds (model load, a burst of long rows) drop out of the rate
 * once they are older than the window, so a steady job shows its steady speed.
 *
 * Time is whatever the caller passes (ms on any monotonic axis), so the class is pure and
 * its tests need no clock.
 *
 * @example
 * ```ts
 * const docs = new RecentRate(30_000);
 * docs.observe(0, 0);
 * docs.observe(10_000, 2_500);
 * docs.perSecond(); // 250
 * ```
 */
export class RecentRate {
  private readonly samples: { t: number; v: number }[] = [];

  constructor(readonly windowMs = 30_000) {}

  /** Adds the count `v` at time `t`; a sample older than the latest is ignored. */
  observe(t: number, v: number): void {
    const last = this.samples[this.samples.length - 1];
    if (last && t <= last.t) return;
    this.samples.push({ t, v });
    // Keep one sample at or before the window's start, so the span covers the whole window.
    while (this.samples.length > 2 && this.samples[1]!.t <= t - this.windowMs) this.samples.shift();
  }

  /** Time covered by the samples the rate is taken over (ms); 0 until two samples. */
  get spanMs(): number {
    if (this.samples.length < 2) return 0;
    return this.samples[this.samples.length - 1]!.t - this.samples[0]!.t;
  }

  /** Count per second over the window; null until two samples. */
  perSecond(): number | null {
    const span = this.spanMs;
    if (span <= 0) return null;
    const first = this.samples[0]!;
    const last = this.samples[this.samples.length - 1]!;
    return ((last.v - first.v) * 1000) / span;
  }
}
