import type { StageTimes } from './manifest.js';

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
}

const fmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** One progress line: rows, rates, and an ETA from the bytes read when the input size is known. */
export function progressLine(task: string, p: ProgressSnapshot): string {
  const s = Math.max(p.elapsedMs / 1000, 1e-3);
  const parts = [`${task}: ${fmt.format(p.rowsDone)} rows`];
  if (p.totalBytes && p.bytesRead > 0 && p.rowsRead > 0) {
    // Reading runs ahead of inference: estimate the total rows from the bytes read so far.
    const totalRows = Math.max(p.rowsRead, (p.rowsRead * p.totalBytes) / p.bytesRead);
    const frac = Math.min(p.rowsDone / totalRows, 1);
    parts[0] += ` (${(frac * 100).toFixed(1)}%)`;
    if (frac > 0.001) parts.push(`ETA ${formatDuration((s / frac) * (1 - frac))}`);
  }
  parts.splice(1, 0, `${fmt.format(p.rowsOut / s)} docs/s`, `${fmt.format(p.tokens / s)} tok/s`);
  if (p.rejected > 0) parts.push(`${fmt.format(p.rejected)} rejected`);
  return parts.join(' · ');
}

/**
 * Writes progress to stderr (never stdout, which carries data): rewritten in place on a
 * terminal, one line every 10 s otherwise so logs stay readable.
 */
export class ProgressReporter {
  private timer: NodeJS.Timeout | null = null;
  private lastLineAt = 0;
  private readonly tty: boolean;

  constructor(
    private readonly task: string,
    private readonly log: NodeJS.WritableStream,
    private readonly snapshot: () => ProgressSnapshot,
    enabled: boolean,
  ) {
    this.tty = Boolean((log as NodeJS.WriteStream).isTTY);
    if (enabled) {
      this.timer = setInterval(() => this.tick(), 1000);
      this.timer.unref();
    }
  }

  private tick(): void {
    const now = Date.now();
    if (this.tty) this.log.write(`\r\x1b[K${progressLine(this.task, this.snapshot())}`);
    else if (now - this.lastLineAt >= 10_000) {
      this.lastLineAt = now;
      this.log.write(`${progressLine(this.task, this.snapshot())}\n`);
    }
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
