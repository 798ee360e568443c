import { RecentRate } from './progress-rate.js';

export interface EtaOptions {
  /** The rate is taken over this much recent time (ms). */
  windowMs: number;
  /** No ETA before the work has been watched this long (ms). */
  minObservedMs: number;
  /** The projected finish times of this much recent time (ms) must agree ... */
  agreeOverMs: number;
  /** ... within this fraction of the time left (plus {@link EtaOptions.slackMs}). */
  agreeWithin: number;
  /** Absolute slack on the agreement, so the last seconds (tiny ETAs) do not flicker. */
  slackMs: number;
}

export const DEFAULT_ETA_OPTIONS: EtaOptions = { windowMs: 60_000, minObservedMs: 20_000, agreeOverMs: 30_000, agreeWithin: 0.2, slackMs: 3_000 };

/**
 * What the estimator can say now. `none`: the total is unknown (a pipe), so there is no
 * fraction and no ETA. `pending`: there is a fraction but the ETA is not trustworthy yet.
 */
export type EtaReading = { state: 'none' } | { state: 'pending'; fraction: number } | { state: 'shown'; fraction: number; etaMs: number };

/**
 * Time left for a job whose work is measured in units with a known total (input bytes).
 *
 * Why not elapsed / fraction: elapsed includes start-up (model load), and a job's first
 * rows are often its longest, so early speed says little about later speed; extrapolating
 * from the start was 30x off (`ETA 1h44m` for a 3 min 28 s job). Instead the rate is the
 * units done over the last `windowMs`, and the ETA is only shown once the work has been
 * watched `minObservedMs` and every projected finish time (now + ETA) of the last
 * `agreeOverMs` agrees with the current one within `agreeWithin` of the time left. A rate
 * still climbing or falling moves the projected finish, and keeps the ETA pending. Once
 * shown, it stays shown until the projections disagree by twice the tolerance, so a
 * terminal line does not flicker between a number and `…`.
 *
 * @example
 * ```ts
 * const eta = new EtaEstimator();
 * for (let s = 0; s <= 30; s++) eta.observe(s * 1000, s * 1_000_000, 100_000_000);
 * eta.reading(); // { state: 'shown', fraction: 0.3, etaMs: 70000 }
 * ```
 */
export class EtaEstimator {
  private readonly options: EtaOptions;
  private readonly rate: RecentRate;
  private readonly finishes: { t: number; finish: number }[] = [];
  private firstT: number | null = null;
  private shown = false;
  private last: EtaReading = { state: 'none' };

  constructor(options: Partial<EtaOptions> = {}) {
    this.options = { ...DEFAULT_ETA_OPTIONS, ...options };
    this.rate = new RecentRate(this.options.windowMs);
  }

  /** Feeds the units done by time `t` (ms) out of `total` (null: unknown); returns {@link reading}. */
  observe(t: number, done: number, total: number | null): EtaReading {
    if (total === null || !(total > 0)) return (this.last = { state: 'none' });
    this.firstT ??= t;
    this.rate.observe(t, done);
    const fraction = Math.min(Math.max(done / total, 0), 1);
    if (done >= total) return (this.last = { state: 'shown', fraction, etaMs: 0 });
    const perS = this.rate.perSecond();
    if (perS === null || perS <= 0) {
      // Nothing finished lately: any number would be a guess.
      this.finishes.length = 0;
      this.shown = false;
      return (this.last = { state: 'pending', fraction });
    }
    const etaMs = ((total - done) / perS) * 1000;
    this.finishes.push({ t, finish: t + etaMs });
    while (this.finishes.length > 1 && this.finishes[0]!.t < t - this.options.agreeOverMs) this.finishes.shift();
    this.shown = this.agrees(t, etaMs, this.shown ? 2 : 1);
    return (this.last = this.shown ? { state: 'shown', fraction, etaMs } : { state: 'pending', fraction });
  }

  /** The reading of the last {@link observe}. */
  reading(): EtaReading {
    return this.last;
  }

  private agrees(t: number, etaMs: number, looseness: number): boolean {
    const o = this.options;
    if (t - this.firstT! < o.minObservedMs) return false;
    // Too short a history of projections cannot show that they agree.
    if (t - this.finishes[0]!.t < o.agreeOverMs * 0.9) return false;
    const now = t + etaMs;
    const tolerance = looseness * (o.agreeWithin * etaMs + o.slackMs);
    return this.finishes.every((f) => Math.abs(f.finish - now) <= tolerance);
  }
}
