import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { formatDuration, progressLine, ProgressReporter, type ProgressSnapshot } from '../../src/pipeline/progress.js';

class Capture extends Writable {
  text = '';
  columns: number | undefined;
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

/** A 200 s job at 200 rows/s, 100 tokens and 500 bytes a row, one row in 1,000 rejected; `t` in ms. */
function steadySnapshot(t: number): ProgressSnapshot {
  const rows = Math.floor(t / 5);
  return { rowsRead: rows, rowsDone: rows, rowsOut: rows - Math.floor(rows / 1000), rejected: Math.floor(rows / 1000), tokens: rows * 100, elapsedMs: t, bytesRead: rows * 500, totalBytes: 20_000_000, bytesTokenized: rows * 500, tokensTokenized: rows * 100 };
}

describe('progressLine', () => {
  it('shows rows, % of bytes, recent rates, the ETA and rejects (the TSDoc example)', () => {
    expect(progressLine('embed', { rowsDone: 1200, rejected: 2, docsPerS: 240, tokensPerS: 31000, eta: { state: 'shown', fraction: 0.25, etaMs: 15000 } })).toBe(
      'embed: 1,200 rows (25.0%) · 240 docs/s · 31,000 tok/s · ETA 15s · 2 rejected',
    );
  });

  it('says `ETA …` while the ETA is pending, and nothing of % or ETA for a pipe', () => {
    expect(progressLine('label', { rowsDone: 5, rejected: 0, docsPerS: 3, tokensPerS: 1500, eta: { state: 'pending', fraction: 0.004 } })).toBe('label: 5 rows (0.4%) · 3 docs/s · 1,500 tok/s · ETA …');
    expect(progressLine('label', { rowsDone: 5, rejected: 0, docsPerS: 3, tokensPerS: 1500, eta: { state: 'none' } })).toBe('label: 5 rows · 3 docs/s · 1,500 tok/s');
    expect(progressLine('label', { rowsDone: 0, rejected: 0, docsPerS: null, tokensPerS: null, eta: { state: 'none' } })).toBe('label: 0 rows');
  });

  it('formatDuration', () => {
    expect([formatDuration(9.4), formatDuration(208), formatDuration(6240), formatDuration(-1), formatDuration(Infinity)]).toEqual(['9s', '3m28s', '1h44m', '?', '?']);
  });
});

describe('ProgressReporter', () => {
  // Fake timers drive the 1 s tick; every time the reporter reads comes from the snapshot.
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  function run(tty: boolean, seconds: number, log = new Capture()): Capture {
    let t = 0;
    const reporter = new ProgressReporter('embed', log, () => steadySnapshot((t += 1000)), true, { tty });
    vi.advanceTimersByTime(seconds * 1000);
    reporter.stop();
    return log;
  }

  it('not a terminal: the first line once there is a rate, then one every 10 s, no escapes', () => {
    const lines = run(false, 35).text.split('\n').filter(Boolean);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe('embed: 400 rows (1.0%) · 200 docs/s · 20,000 tok/s · ETA …');
    expect(lines[1]).toBe('embed: 2,400 rows (6.0%) · 200 docs/s · 20,000 tok/s · ETA … · 2 rejected');
    expect(lines[3]).toBe('embed: 6,400 rows (16.0%) · 200 docs/s · 20,000 tok/s · ETA 2m48s · 6 rejected');
    expect(lines.join('')).not.toMatch(/[\r\x1b]/);
  });

  it('a terminal: the line is redrawn in place every second, clipped to the width, and cleared at the end', () => {
    const log = new Capture();
    log.columns = 40;
    const text = run(true, 30, log).text;
    const frames = text.split('\r\x1b[K');
    expect(frames).toHaveLength(1 + 30 + 1);
    expect(frames.at(-1)).toBe('');
    for (const f of frames.slice(1, -1)) expect(f.length).toBeLessThanOrEqual(39);
    expect(text).not.toContain('\n');
    expect(frames[30]).toBe('embed: 6,000 rows (15.0%) · 200 docs/s · 20,000 tok/s · ETA 2m50s · 6 rejected'.slice(0, 39));
  });

  it('a terminal: `ETA …` until the estimate is steady, then the true time left', () => {
    const frames = run(true, 40).text.split('\r\x1b[K').slice(1, -1);
    const firstEta = frames.findIndex((f) => /ETA \d/.test(f));
    expect(firstEta).toBeGreaterThan(20);
    for (const f of frames.slice(0, firstEta)) expect(f).toMatch(/ETA …/);
    // At 40 s, 4 of 20 MB are done at 100 kB/s: 160 s left.
    expect(frames.at(-1)).toBe('embed: 8,000 rows (20.0%) · 200 docs/s · 20,000 tok/s · ETA 2m40s · 8 rejected');
  });

  it('disabled (--quiet): writes nothing', () => {
    const log = new Capture();
    const reporter = new ProgressReporter('embed', log, () => steadySnapshot(1000), false, { tty: true });
    vi.advanceTimersByTime(30_000);
    reporter.stop();
    expect(log.text).toBe('');
  });
});
