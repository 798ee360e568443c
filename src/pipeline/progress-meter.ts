import { EtaEstimator, type EtaOptions, type EtaReading } from './eta.js';
import { DoneBytes, type ReadAndDone } from './progress-bytes.js';
import { RecentRate } from './progress-rate.js';

/** What a progress line shows; see {@link ProgressMeter}. */
export interface ProgressView {
  rowsDone: number;
  rejected: number;
  /** Rows out per second over the last `rateWindowMs`; null until two snapshots. */
  docsPerS: number | null;
  tokensPerS: number | null;
  /** Fraction of the input bytes done, and the ETA when it is trustworthy. */
  eta: EtaReading;
}

/** The snapshot fields the meter reads (a subset of `ProgressSnapshot`). */
export interface MeterInput extends ReadAndDone {
  rowsOut: number;
  rejected: number;
  /** Time since the job started (ms): the meter's only clock. */
  elapsedMs: number;
  totalBytes: number | null;
}

/**
 * Turns a series of progress snapshots into what a progress line says: docs/s and tok/s
 * over a recent window, the fraction of the input bytes done, and an ETA from the recent
 * rate of bytes done ({@link EtaEstimator}). Its clock is the snapshots' `elapsedMs`, so
 * it is pure: feed it snapshots, read the view.
 *
 * @example
 * ```ts
 * const meter = new ProgressMeter();
 * const view = meter.update({ rowsRead: 10, bytesRead: 900, rowsDone: 4, rowsOut: 4, rejected: 0, tokens: 80, elapsedMs: 5_000, totalBytes: 90_000 });
 * view.eta; // { state: 'pending', fraction: 0.004 }
 * ```
 */
export class ProgressMeter {
  private readonly docs: RecentRate;
  private readonly tokens: RecentRate;
  private readonly bytes = new DoneBytes();
  private eta: EtaEstimator;
  private readonly etaOptions: Partial<EtaOptions> | undefined;
  private trusted = false;

  constructor(options: { rateWindowMs?: number; eta?: Partial<EtaOptions> } = {}) {
    this.docs = new RecentRate(options.rateWindowMs ?? 30_000);
    this.tokens = new RecentRate(options.rateWindowMs ?? 30_000);
    this.etaOptions = options.eta;
    this.eta = new EtaEstimator(options.eta);
  }

  update(p: MeterInput): ProgressView {
    const t = p.elapsedMs;
    this.docs.observe(t, p.rowsOut);
    this.tokens.observe(t, p.tokens);
    const done = this.bytes.observe(p);
    if (this.bytes.trustworthy && !this.trusted) {
      // What the estimator saw before the bytes done could be trusted would bias its rate: start it afresh.
      this.trusted = true;
      this.eta = new EtaEstimator(this.etaOptions);
    }
    const eta = this.eta.observe(t, done, p.totalBytes);
    return {
      rowsDone: p.rowsDone,
      rejected: p.rejected,
      docsPerS: this.docs.perSecond(),
      tokensPerS: this.tokens.perSecond(),
      eta: eta.state === 'shown' && !this.trusted ? { state: 'pending', fraction: eta.fraction } : eta,
    };
  }
}
