import type { StageTimes } from './manifest.js';
import { ProgressMeter, type ProgressView } from './progress-meter.js';

export interface ProgressSnapshot {
  /** Rows read so far (ahead of rowsDone by the open windows). */
  rowsRead: number;
  /** Rows with an output or a reject. */
  rowsDone: number;
  rowsOut: number;
  rejected: number;
  tokens: number;
  elapsedMs: number;
  bytesRead: number;
  totalBytes: number | null;
  /**
   * Input bytes of the windows tokenized so far, done or in flight, counted like
   * `bytesRead` (from where this run started reading). Optional: with it and
   * {@link tokensTokenized}, the bytes done are the tokenized bytes split by tokens rather
   * than by rows, which keeps the ETA of a job whose longest rows come first honest (see
   * DoneBytes in progress-bytes.ts).
   */
  bytesTokenized?: number;
  /** Tokens of the rows of those windows. */
  tokensTokenized?: number;
}

const fmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * One progress line: rows done, the percentage of the input bytes done, docs/s and tok/s
 * over the recent window, the ETA (`ETA …` while it is not yet trustworthy), rejects.
 * Without a known input size (a pipe) there is no percentage and no ETA.
 *
 * @example
 * ```ts
 * progressLine('embed', { rowsDone: 1200, rejected: 2, docsPerS: 240, tokensPerS: 31000, eta: { state: 'shown', fraction: 0.25, etaMs: 15000 } });
 * // 'embed: 1,200 rows (25.0%) · 240 docs/s · 31,000 tok/s · ETA 15s · 2 rejected'
 * ```
 */
export function progressLine(task: string, v: ProgressView): string {
  const head = v.eta.state === 'none' ? `${task}: ${fmt.format(v.rowsDone)} rows` : `${task}: ${fmt.format(v.rowsDone)} rows (${(v.eta.fraction * 100).toFixed(1)}%)`;
  const parts = [head];
  if (v.docsPerS !== null) parts.push(`${fmt.format(v.docsPerS)} docs/s`);
  if (v.tokensPerS !== null) parts.push(`${fmt.format(v.tokensPerS)} tok/s`);
  if (v.eta.state === 'shown') parts.push(`ETA ${formatDuration(v.eta.etaMs / 1000)}`);
  else if (v.eta.state === 'pending') parts.push('ETA …');
  if (v.rejected > 0) parts.push(`${fmt.format(v.rejected)} rejected`);
  return parts.join(' · ');
}

export interface ReporterOptions {
  /** Override the stream's own `isTTY` (tests). */
  tty?: boolean;
  /** How often a snapshot is taken, and a terminal line redrawn (ms). */
  tickMs?: number;
  /** How often a line is written when the log is not a terminal (ms). */
  lineEveryMs?: number;
  meter?: ProgressMeter;
}

/**
 * Writes progress to stderr (never stdout, which carries data): rewritten in place every
 * second on a terminal; otherwise one line every 10 s, so a log file stays readable. A
 * snapshot is taken every tick either way: the rates and the ETA need the history.
 *
 * Hand-written rather than cli-progress: in its non-TTY mode (`noTTYOutput`) that library
 * still writes cursor-movement and erase-line escapes before every line, which end up in
 * log files; what we need of it here (a timer and `\r`) is a few lines.
 *
 * @example
 * ```ts
 * const progress = new ProgressReporter('embed', process.stderr, snapshot, !quiet);
 * // ... run the job ...
 * progress.stop();
 * ```
 */
export class ProgressReporter {
  private timer: NodeJS.Timeout | null = null;
  private lastLineAt: number | null = null;
  private readonly tty: boolean;
  private readonly lineEveryMs: number;
  private readonly meter: ProgressMeter;

  constructor(
    private readonly task: string,
    private readonly log: NodeJS.WritableStream,
    private readonly snapshot: () => ProgressSnapshot,
    enabled: boolean,
    options: ReporterOptions = {},
  ) {
    this.tty = options.tty ?? Boolean((log as NodeJS.WriteStream).isTTY);
    this.lineEveryMs = options.lineEveryMs ?? 10_000;
    this.meter = options.meter ?? new ProgressMeter();
    if (enabled) {
      this.timer = setInterval(() => this.tick(), options.tickMs ?? 1000);
      this.timer.unref();
    }
  }

  private tick(): void {
    const p = this.snapshot();
    const view = this.meter.update(p);
    if (this.tty) {
      // A line wider than the terminal wraps, and `\r` would then redraw only its last row.
      const columns = (this.log as NodeJS.WriteStream).columns;
      const line = progressLine(this.task, view);
      this.log.write(`\r\x1b[K${columns ? line.slice(0, columns - 1) : line}`);
      return;
    }
    // The first line waits for a rate (two snapshots); then one every lineEveryMs.
    if (view.docsPerS === null) return;
    // The snapshot's elapsedMs is the clock: one clock for the rates, the ETA and this schedule.
    if (this.lastLineAt !== null && p.elapsedMs - this.lastLineAt < this.lineEveryMs) return;
    this.lastLineAt = p.elapsedMs;
    this.log.write(`${progressLine(this.task, view)}\n`);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.timer && this.tty) this.log.write('\r\x1b[K');
    this.timer = null;
  }
}

export function emptyStages(): StageTimes {
  return { readMs: 0, tokenizeMs: 0, queueMs: 0, inferMs: 0, postMs: 0, writeMs: 0 };
}
