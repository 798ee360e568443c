import type { ProgressSnapshot } from '../../src/pipeline/progress.js';

export interface SimRow {
  tokens: number;
  bytes: number;
}

export interface SimJob {
  rows: readonly SimRow[];
  windowRows: number;
  /** Windows read ahead of the oldest unfinished one (the pipeline's OPEN_WINDOWS). */
  openWindows: number;
  /** Inference speed: the one steady quantity, as in the issue (tok/s steady, docs/s not). */
  tokensPerS: number;
  /** Model load and the like, before the first row: part of `elapsedMs`. */
  startupMs: number;
  /** Windows tokenized beyond the one running (0: only the running one). */
  tokenizeAhead: number;
  /** Whether the snapshots carry bytesTokenized/tokensTokenized. */
  reportTokenized: boolean;
  /** No input size (a pipe). */
  stdin?: boolean;
}

const CHUNK = 128 * 1024;

/**
 * A job played out on paper, the way the pipeline runs it: windows one after another, each
 * running its longest rows first at a steady tok/s, the reader `openWindows` windows ahead
 * (a chunk at a time). Returns a snapshot per `everyMs` of `elapsedMs` from the end of
 * start-up, and when the job truly finishes, so an ETA can be checked against the truth.
 */
export function simulateJob(job: SimJob, everyMs = 1000): { snapshots: ProgressSnapshot[]; finishMs: number } {
  const { rows, windowRows: w } = job;
  const nWindows = Math.ceil(rows.length / w);
  const doneAt: { t: number; tokens: number }[] = [];
  const windowEnd: number[] = [];
  let clock = job.startupMs;
  for (let k = 0; k < nWindows; k++) {
    const win = rows.slice(k * w, (k + 1) * w);
    for (const r of [...win].sort((a, b) => b.tokens - a.tokens)) {
      clock += (r.tokens / job.tokensPerS) * 1000;
      doneAt.push({ t: clock, tokens: r.tokens });
    }
    windowEnd.push(clock);
  }
  const finishMs = clock;
  // Prefix sums over windows, so each snapshot is a lookup.
  const rowsThrough = (k: number) => Math.min(rows.length, k * w);
  const bytesPrefix = [0];
  const tokensPrefix = [0];
  for (const r of rows) {
    bytesPrefix.push(bytesPrefix[bytesPrefix.length - 1]! + r.bytes);
    tokensPrefix.push(tokensPrefix[tokensPrefix.length - 1]! + r.tokens);
  }
  const totalBytes = bytesPrefix[rows.length]!;
  const snapshots: ProgressSnapshot[] = [];
  let done = 0;
  let tokens = 0;
  const at = (t: number) => {
    while (done < doneAt.length && doneAt[done]!.t <= t) tokens += doneAt[done++]!.tokens;
    let current = windowEnd.findIndex((end) => end > t);
    if (current < 0) current = nWindows;
    const rowsRead = rowsThrough(current + job.openWindows);
    const rowsTokenized = rowsThrough(Math.min(nWindows, current + 1 + job.tokenizeAhead));
    const snap: ProgressSnapshot = {
      rowsRead,
      rowsDone: done,
      rowsOut: done,
      rejected: 0,
      tokens,
      elapsedMs: t,
      bytesRead: Math.min(totalBytes, Math.ceil(bytesPrefix[rowsRead]! / CHUNK) * CHUNK),
      totalBytes: job.stdin ? null : totalBytes,
    };
    if (job.reportTokenized) Object.assign(snap, { bytesTokenized: bytesPrefix[rowsTokenized]!, tokensTokenized: tokensPrefix[rowsTokenized]! });
    snapshots.push(snap);
  };
  for (let t = job.startupMs + everyMs; t < finishMs; t += everyMs) at(t);
  at(finishMs);
  return { snapshots, finishMs };
}

/** A row of `tokens` tokens as CSV bytes: about 4 bytes a token, an id and quotes, some spread. */
export function simRow(tokens: number, rand: () => number): SimRow {
  return { tokens, bytes: Math.round(tokens * 4 * (0.9 + 0.2 * rand()) + 12) };
}
