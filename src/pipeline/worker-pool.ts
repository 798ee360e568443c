import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { AlbertError, WorkerError, fromPlainError, isPlainError } from '../errors.js';
import type { HeadRef } from '../tasks/task.js';
import type { Fault } from '../workers/fault.js';
import { batchBuffers, padBatch, type EncodedRow } from '../model/padding.js';
import type { DescribeResponse, DeviceSpec, InferRequest, InferResponse, WorkerSetup } from '../workers/protocol.js';

export interface InferencePoolOptions {
  modelPath: string;
  devices: readonly DeviceSpec[];
  /** Worker threads (sessions) per device. */
  workersPerDevice: number;
  intraOpThreads: number;
  graphPooling: WorkerSetup['graphPooling'];
  /** Default `last`. */
  layer?: WorkerSetup['layer'];
  /** Batches queued per worker beyond the one it runs: what keeps a GPU busy between calls. */
  queuePerWorker: number;
  /** Abandon an attempt (and its worker) after this long; 0 disables. */
  batchTimeoutMs: number;
}

/** Resolved once: the compiled worker entry (dist/src/workers/infer-worker-entry.cjs; see that file for why CommonJS). */
export function workerFile(): string {
  const file = fileURLToPath(new URL('../workers/infer-worker-entry.cjs', import.meta.url));
  if (!existsSync(file)) {
    throw new AlbertError('ALB_INTERNAL', `worker script ${file} is missing: run \`npm run build\` (workers run compiled JavaScript)`);
  }
  return file;
}

/**
 * One piscina pool per device, each thread holding one ONNX Runtime session. Runs single
 * attempts; retries and splitting live in the scheduler. Keeps a listener on every pool's
 * `'error'` event: piscina emits it for failures outside a task, and an unheard `'error'`
 * would crash the process.
 */
export class InferencePool {
  private readonly pools: Piscina[];
  /** Batches posted to (or running in) each pool. */
  private readonly inflight: number[];
  /** Per pool: one running per thread plus `queuePerWorker` queued per thread. */
  private readonly limit: number;
  /** Callers waiting for a slot, first come first served. */
  private readonly waiters: Array<() => void> = [];
  /** Errors piscina reported outside any task (e.g. a worker dying while idle). */
  readonly backgroundErrors: AlbertError[] = [];

  constructor(private readonly options: InferencePoolOptions) {
    const filename = workerFile();
    this.pools = options.devices.map((device) => {
      const setup: WorkerSetup = {
        modelPath: options.modelPath,
        device,
        intraOpThreads: options.intraOpThreads,
        graphPooling: options.graphPooling,
        layer: options.layer ?? 'last',
      };
      const pool = new Piscina({
        filename,
        workerData: setup,
        minThreads: options.workersPerDevice,
        maxThreads: options.workersPerDevice,
        // Our own slots bound the queue (see acquire); piscina's bound would reject, not wait.
        maxQueue: 'auto',
        idleTimeout: 60_000,
        concurrentTasksPerWorker: 1,
      });
      pool.on('error', (err: unknown) => {
        this.backgroundErrors.push(toAlbertError(err));
      });
      return pool;
    });
    this.inflight = this.pools.map(() => 0);
    this.limit = options.workersPerDevice * (1 + options.queuePerWorker);
  }

  get threads(): number {
    return this.pools.reduce((n, p) => n + p.threads.length, 0);
  }

  /**
   * Loads the model in one worker and reports its inputs, outputs and execution provider.
   * Not under --batch-timeout: loading is not a batch, and stopping a worker inside ONNX
   * Runtime's native session creation aborts the whole process.
   */
  async describe(): Promise<DescribeResponse> {
    const results = await Promise.all(this.pools.map((p) => this.call<DescribeResponse>(p, { type: 'describe' }, [])));
    return results[0];
  }

  /** Resolves when some pool can take another batch without exceeding its bound (backpressure for the reader). */
  async waitForCapacity(): Promise<void> {
    while (!this.inflight.some((n) => n < this.limit)) await new Promise<void>((r) => this.waiters.push(r));
  }

  /** One attempt at one batch. Rejects with an AlbertError (rebuilt from the worker's plain error). */
  async run(rows: readonly EncodedRow[], head: HeadRef, padId: number, fault: Fault | null = null): Promise<InferResponse> {
    const i = await this.acquire();
    try {
      const batch = padBatch(rows, padId);
      const startedAt = new Float64Array(new SharedArrayBuffer(8));
      const request: InferRequest = { type: 'infer', batch, queuedAt: Date.now(), startedAt, head, fault };
      return await this.call<InferResponse>(this.pools[i], request, batchBuffers(batch), startedAt);
    } finally {
      this.inflight[i]--;
      // Wake everyone, in order: each rechecks, the first ones take the free slot and the
      // rest wait again, so a waiter that no longer needs a slot cannot strand the others.
      for (const wake of this.waiters.splice(0)) wake();
    }
  }

  /**
   * Takes a slot in the least busy pool. The check and the take happen in one synchronous
   * step after the wait, so concurrent callers can never overfill a pool, and waiters are
   * served in arrival order, so batches (and retries) reach the workers in submission order.
   */
  private async acquire(): Promise<number> {
    for (;;) {
      let best = -1;
      for (let i = 0; i < this.inflight.length; i++) if (this.inflight[i] < this.limit && (best < 0 || this.inflight[i] < this.inflight[best])) best = i;
      if (best >= 0) {
        this.inflight[best]++;
        return best;
      }
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.pools.map((p) => p.destroy()));
  }

  private async call<T>(pool: Piscina, task: unknown, transferList: ArrayBuffer[], startedAt?: Float64Array): Promise<T> {
    const watch = startedAt && this.options.batchTimeoutMs > 0 ? batchDeadline(startedAt, this.options.batchTimeoutMs) : null;
    const signal = watch?.signal;
    try {
      return (await pool.run(task, { transferList, signal })) as T;
    } catch (err) {
      if (signal?.aborted) {
        throw new WorkerError('ALB_WORKER_TIMEOUT', `batch exceeded --batch-timeout (${this.options.batchTimeoutMs} ms); its worker was stopped`, { timeoutMs: this.options.batchTimeoutMs });
      }
      throw toAlbertError(err);
    } finally {
      watch?.stop();
    }
  }
}

/**
 * Aborts once the batch has run `timeoutMs` since the worker stamped its start. Checked a
 * few times per timeout (at most once a second), so it fires up to a tick late: a timeout
 * is a last resort, not a schedule.
 */
function batchDeadline(startedAt: Float64Array, timeoutMs: number): { signal: AbortSignal; stop(): void } {
  const controller = new AbortController();
  const timer = setInterval(() => {
    const t = startedAt[0];
    if (t > 0 && Date.now() - t >= timeoutMs) {
      clearInterval(timer);
      controller.abort();
    }
  }, Math.min(1000, Math.max(10, timeoutMs / 10)));
  timer.unref();
  return { signal: controller.signal, stop: () => clearInterval(timer) };
}

function toAlbertError(err: unknown): AlbertError {
  if (err instanceof AlbertError) return err;
  if (isPlainError(err)) return fromPlainError(err);
  const message = err instanceof Error ? err.message : String(err);
  if (/worker exited/i.test(message)) return new WorkerError('ALB_WORKER_EXITED', `inference worker died: ${message}`);
  return new WorkerError('ALB_WORKER_FAILED', `inference worker failed: ${message}`);
}
