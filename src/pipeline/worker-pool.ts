import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { AlbertError, WorkerError, fromPlainError, isPlainError } from '../errors.js';
import type { HeadSpec } from '../model/head-spec.js';
import { batchBuffers, padBatch, type EncodedRow } from '../model/padding.js';
import type { DescribeResponse, DeviceSpec, InferRequest, InferResponse, WorkerSetup } from '../workers/protocol.js';

export interface InferencePoolOptions {
  modelPath: string;
  devices: readonly DeviceSpec[];
  /** Worker threads (sessions) per device. */
  workersPerDevice: number;
  intraOpThreads: number;
  graphPooling: WorkerSetup['graphPooling'];
  /** Batches queued per worker beyond the one it runs: what keeps a GPU busy between calls. */
  queuePerWorker: number;
  /** Abandon an attempt (and its worker) after this long; 0 disables. */
  batchTimeoutMs: number;
}

/** Resolved once: the compiled worker next to this file (dist/src/workers/infer-worker.js). */
function workerFile(): string {
  const file = fileURLToPath(new URL('../workers/infer-worker.js', import.meta.url));
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
  private next = 0;
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
      };
      const pool = new Piscina({
        filename,
        workerData: setup,
        minThreads: options.workersPerDevice,
        maxThreads: options.workersPerDevice,
        maxQueue: options.workersPerDevice * options.queuePerWorker,
        idleTimeout: 60_000,
        concurrentTasksPerWorker: 1,
      });
      pool.on('error', (err: unknown) => {
        this.backgroundErrors.push(toAlbertError(err));
      });
      return pool;
    });
  }

  get threads(): number {
    return this.pools.reduce((n, p) => n + p.threads.length, 0);
  }

  /** Loads the model in one worker and reports its inputs, outputs and execution provider. */
  async describe(): Promise<DescribeResponse> {
    const results = await Promise.all(this.pools.map((p) => this.call<DescribeResponse>(p, { type: 'describe' }, [])));
    return results[0];
  }

  /** Resolves when some pool can take another batch without exceeding its queue bound. */
  async waitForCapacity(): Promise<void> {
    while (this.pools.every((p) => p.needsDrain)) {
      await Promise.race(this.pools.map((p) => once(p, 'drain')));
    }
  }

  /** One attempt at one batch. Rejects with an AlbertError (rebuilt from the worker's plain error). */
  async run(rows: readonly EncodedRow[], head: HeadSpec, padId: number, fault: InferRequest['fault'] = null): Promise<InferResponse> {
    // piscina rejects tasks beyond maxQueue, so every attempt (retries too) waits for room.
    await this.waitForCapacity();
    const batch = padBatch(rows, padId);
    const request: InferRequest = { type: 'infer', batch, queuedAt: Date.now(), head, fault };
    return this.call<InferResponse>(this.pick(), request, batchBuffers(batch));
  }

  async close(): Promise<void> {
    await Promise.all(this.pools.map((p) => p.destroy()));
  }

  private pick(): Piscina {
    for (let i = 0; i < this.pools.length; i++) {
      const p = this.pools[(this.next + i) % this.pools.length];
      if (!p.needsDrain) {
        this.next = (this.next + i + 1) % this.pools.length;
        return p;
      }
    }
    return this.pools[this.next++ % this.pools.length];
  }

  private async call<T>(pool: Piscina, task: unknown, transferList: ArrayBuffer[]): Promise<T> {
    const signal = this.options.batchTimeoutMs > 0 ? AbortSignal.timeout(this.options.batchTimeoutMs) : undefined;
    try {
      return (await pool.run(task, { transferList, signal })) as T;
    } catch (err) {
      if (signal?.aborted) {
        throw new WorkerError('ALB_WORKER_TIMEOUT', `batch exceeded --batch-timeout (${this.options.batchTimeoutMs} ms); its worker was stopped`, { timeoutMs: this.options.batchTimeoutMs });
      }
      throw toAlbertError(err);
    }
  }
}

function toAlbertError(err: unknown): AlbertError {
  if (err instanceof AlbertError) return err;
  if (isPlainError(err)) return fromPlainError(err);
  const message = err instanceof Error ? err.message : String(err);
  if (/worker exited/i.test(message)) return new WorkerError('ALB_WORKER_EXITED', `inference worker died: ${message}`);
  return new WorkerError('ALB_WORKER_FAILED', `inference worker failed: ${message}`);
}
