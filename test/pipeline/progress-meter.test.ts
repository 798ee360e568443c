import { describe, expect, it } from 'vitest';
import { formatDuration, type ProgressSnapshot } from '../../src/pipeline/progress.js';
import { ProgressMeter, type ProgressView } from '../../src/pipeline/progress-meter.js';
import { mulberry32, testSeed } from '../helpers/seeded-random.js';
import { simRow, simulateJob, type SimJob, type SimRow } from '../helpers/simulated-job.js';

const seed = testSeed();
console.log(`progress-meter: seed ${seed} (rerun with ALBERT_TEST_SEED=${seed})`);
const rand = mulberry32(seed);

/** `n` rows: the first 1% long (512 tokens, the model's max), the rest 40-200 tokens, mostly short. */
function longFirst(n: number): SimRow[] {
  return Array.from({ length: n }, (_, i) => simRow(i < n / 100 ? 512 : 40 + Math.floor(160 * rand() ** 2), rand));
}

const PIPELINE = { windowRows: 4096, openWindows: 3, startupMs: 20_000, tokenizeAhead: 0 };

function play(job: SimJob): { finishMs: number; seen: { s: ProgressSnapshot; v: ProgressView; truthMs: number }[] } {
  const { snapshots, finishMs } = simulateJob(job);
  const meter = new ProgressMeter();
  return { finishMs, seen: snapshots.map((s) => ({ s, v: meter.update(s), truthMs: finishMs - s.elapsedMs })) };
}

/** Every ETA shown is within 1.5x of the truth (or 5 s, for the last seconds); returns when it first showed. */
function expectTruthfulEta(seen: ReturnType<typeof play>['seen']): number {
  let first: number | null = null;
  for (const { s, v, truthMs } of seen) {
    if (v.eta.state !== 'shown') continue;
    first ??= s.elapsedMs;
    const at = `at ${formatDuration(s.elapsedMs / 1000)}: ETA ${formatDuration(v.eta.etaMs / 1000)}, truth ${formatDuration(truthMs / 1000)}`;
    if (Math.abs(v.eta.etaMs - truthMs) > 5000) {
      expect(v.eta.etaMs, at).toBeLessThan(truthMs * 1.5);
      expect(v.eta.etaMs, at).toBeGreaterThan(truthMs / 1.5);
    }
  }
  expect(first, 'an ETA was shown').not.toBeNull();
  return first!;
}

describe('ProgressMeter on simulated jobs', () => {
  // The issue: a ~3 min job of ~2,500 rows (one window), longest first at a steady tok/s,
  // docs/s climbing from about 3 to 25+, 20 s of model load; it showed `ETA 1h44m` at 0.4%.
  const issueJob = { ...PIPELINE, rows: longFirst(2500), tokensPerS: 1500 };

  it('the issue: the old extrapolation is wildly wrong on this job (the simulation reproduces it)', () => {
    const { seen } = play({ ...issueJob, reportTokenized: true });
    const early = seen.find(({ s }) => s.rowsDone / 2500 >= 0.004)!;
    // The old progressLine: elapsed / (rows done / rows) - elapsed.
    const frac = early.s.rowsDone / 2500;
    const oldEtaMs = (early.s.elapsedMs / frac) * (1 - frac);
    expect(oldEtaMs / early.truthMs).toBeGreaterThan(10);
    expect(early.v.eta.state).toBe('pending');
    const docs = seen.map(({ v }) => v.docsPerS ?? 0);
    expect(Math.max(...docs) / docs[2]!).toBeGreaterThan(4);
  });

  it('the issue, with the tokenized bytes and tokens reported: the ETA shows within a minute of start-up, within 1.5x', () => {
    const { seen } = play({ ...issueJob, reportTokenized: true });
    const first = expectTruthfulEta(seen);
    expect(first - PIPELINE.startupMs).toBeLessThanOrEqual(60_000);
    // The percentage is of bytes (tokens), not rows: at 10% of the rows, far more of the work is done.
    const tenth = seen.find(({ s }) => s.rowsDone >= 250)!;
    expect(tenth.v.eta.state !== 'none' && tenth.v.eta.fraction).toBeGreaterThan(0.2);
  });

  it('the issue, without them: the rows-based estimate is never trusted for an input read in one burst: ETA stays pending', () => {
    const { seen } = play({ ...issueJob, reportTokenized: false });
    for (const { v } of seen.slice(0, -1)) expect(v.eta.state).toBe('pending');
  });

  it('a long job whose first 1% is long rows: within 1.5x once shown, with or without the tokenized figures', () => {
    const rows = longFirst(200_000);
    const withFields = play({ ...PIPELINE, rows, tokensPerS: 20_000, reportTokenized: true });
    expect(expectTruthfulEta(withFields.seen) - PIPELINE.startupMs).toBeLessThanOrEqual(60_000);
    const byRows = play({ ...PIPELINE, rows, tokensPerS: 20_000, reportTokenized: false });
    expect(expectTruthfulEta(byRows.seen)).toBeLessThan(byRows.finishMs * 0.25);
  });

  it('a job tokenizing one window ahead, and a steady job: within 1.5x', () => {
    expectTruthfulEta(play({ ...PIPELINE, rows: longFirst(12_000), tokensPerS: 1500, reportTokenized: true, tokenizeAhead: 1 }).seen);
    const steady = Array.from({ length: 50_000 }, () => simRow(120, rand));
    const { seen } = play({ ...PIPELINE, rows: steady, tokensPerS: 30_000, reportTokenized: true });
    expectTruthfulEta(seen);
    const late = seen[Math.floor(seen.length / 2)]!;
    expect(late.v.docsPerS).toBeCloseTo(250, 0);
    expect(late.v.tokensPerS).toBeCloseTo(30_000, -2);
  });

  it('stdin (no input size): rates, but no fraction and no ETA', () => {
    const { seen } = play({ ...PIPELINE, rows: longFirst(20_000), tokensPerS: 5000, reportTokenized: true, stdin: true });
    for (const { v } of seen) expect(v.eta).toEqual({ state: 'none' });
    expect(seen[5]!.v.tokensPerS).toBeCloseTo(5000, -2);
  });
});
