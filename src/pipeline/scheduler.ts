import { AlbertError, ModelError, OptionError } from '../errors.js';
import type { HeadRef } from '../tasks/task.js';
import type { EncodedRow } from '../model/padding.js';
import type { InferResponse } from '../workers/protocol.js';
import { EXECUTION_PROVIDERS } from '../workers/execution-providers.js';
import type { FaultPlan } from './fault-plan.js';
import type { InferencePool } from './worker-pool.js';

export interface BatchDone {
  rows: readonly EncodedRow[];
  response: InferResponse;
}

export interface RowFailed {
  row: EncodedRow;
  error: AlbertError;
}

export interface SchedulerStats {
  batches: number;
  attemptsFailed: number;
  retries: number;
  splits: number;
  byCode: Record<string, number>;
}

/** Failures that no retry can fix: the whole run must stop, loudly. */
export function isFatal(err: AlbertError): boolean {
  return err instanceof ModelError || err instanceof OptionError || err.code === 'ALB_INTERNAL' || UNAVAILABLE.has(err.code);
}

/** A provider that cannot start will not start on a retry either. */
const UNAVAILABLE = new Set(Object.values(EXECUTION_PROVIDERS).map((ep) => ep.unavailableCode));

/**
 * Runs batches on the pool with recovery, because piscina has none: a failed attempt (the
 * worker threw, died, or hit --batch-timeout) is retried once on a fresh attempt; a batch
 * that keeps failing is split in halves until the failing rows are alone, and only those
 * are given up. The rows stay on this thread (their padded buffers were moved away), so
 * every attempt re-pads from them.
 */
export class Scheduler {
  readonly stats: SchedulerStats = { batches: 0, attemptsFailed: 0, retries: 0, splits: 0, byCode: {} };

  constructor(
    private readonly pool: InferencePool,
    private readonly head: HeadRef,
    private readonly padId: number,
    /** Test-only (see fault-plan.ts); null in every real run. */
    private readonly faults: FaultPlan | null,
    private readonly attemptsPerBatch = 2,
  ) {}

  /** Waits until the pool can take another batch (backpressure for the reader). */
  capacity(): Promise<void> {
    return this.pool.waitForCapacity();
  }

  /** Resolves with what succeeded and which rows failed for good; rejects only on fatal errors. */
  async run(rows: readonly EncodedRow[]): Promise<{ done: BatchDone[]; failed: RowFailed[] }> {
    this.stats.batches++;
    const done: BatchDone[] = [];
    const failed: RowFailed[] = [];
    await this.attempt(rows, done, failed);
    return { done, failed };
  }

  private async attempt(rows: readonly EncodedRow[], done: BatchDone[], failed: RowFailed[]): Promise<void> {
    let last: AlbertError | null = null;
    for (let i = 0; i < this.attemptsPerBatch; i++) {
      if (i > 0) this.stats.retries++;
      try {
        done.push({ rows, response: await this.pool.run(rows, this.head, this.padId, this.faults?.faultFor(rows) ?? null) });
        return;
      } catch (err) {
        const e = err as AlbertError;
        if (isFatal(e)) throw e;
        last = e;
        this.stats.attemptsFailed++;
        this.stats.byCode[e.code] = (this.stats.byCode[e.code] ?? 0) + 1;
      }
    }
    if (rows.length === 1) {
      failed.push({ row: rows[0], error: last! });
      return;
    }
    this.stats.splits++;
    const mid = rows.length >> 1;
    await Promise.all([this.attempt(rows.slice(0, mid), done, failed), this.attempt(rows.slice(mid), done, failed)]);
  }
}
