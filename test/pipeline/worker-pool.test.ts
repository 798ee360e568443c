import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Worker threads run compiled JavaScript, so the pool is exercised from dist/ (npm test builds first).
import { InferencePool, workerFile } from '../../dist/src/pipeline/worker-pool.js';
import { Scheduler } from '../../dist/src/pipeline/scheduler.js';
import { poolHead } from '../../dist/src/tasks/pool-head.js';
import type { EncodedRow } from '../../src/model/padding.js';
import { TINY } from '../helpers/reference.js';

const head = poolHead('pooler_output', { normalize: false });
const row = (seq: number, len: number): EncodedRow => ({ seq, ids: Int32Array.from({ length: len }, (_, t) => (t === 0 ? 2 : t === len - 1 ? 3 : 10 + ((seq + t) % 50))), typeIds: null, truncated: false });

let pool: InferencePool;
beforeAll(() => {
  pool = new InferencePool({ modelPath: join(TINY, 'albert-tiny', 'model.onnx'), devices: [{ ep: 'cpu', deviceId: 0, fallbackToCpu: false }], workersPerDevice: 1, intraOpThreads: 1, graphPooling: null, queuePerWorker: 1, batchTimeoutMs: 0 });
});
afterAll(() => pool.close());

describe('InferencePool', () => {
  it('never overfills its queue: 40 concurrent batches all succeed, in submission order', async () => {
    const done: number[] = [];
    const runs = Array.from({ length: 40 }, (_, i) => pool.run([row(i, 5 + (i % 7))], head, 0).then((r) => done.push(r.seqs[0])));
    await Promise.all(runs);
    expect(done).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it('returns one pooled vector per row, with the rows\' seqs', async () => {
    const r = await pool.run([row(1, 6), row(2, 9)], head, 0);
    expect(r.columns.embedding).toBeInstanceOf(Float32Array);
    expect((r.columns.embedding as Float32Array).length).toBe(2 * 64);
    expect([...r.seqs]).toEqual([1, 2]);
  });

  it('the scheduler isolates a failing row by halving, and keeps the rest', async () => {
    const rows = Array.from({ length: 16 }, (_, i) => row(100 + i, 8));
    const s = new Scheduler(pool, head, 0, { faultFor: (batch) => (batch.some((r) => r.seq === 107) ? 'throw' : null) });
    const { done, failed } = await s.run(rows);
    expect(failed.map((f) => [f.row.seq, f.error.code])).toEqual([[107, 'ALB_WORKER_FAILED']]);
    expect(done.flatMap((d) => d.rows.map((r) => r.seq)).sort((a, b) => a - b)).toEqual(rows.map((r) => r.seq).filter((q) => q !== 107));
    expect(s.stats.splits).toBe(4);
  });
});

describe('the worker file', () => {
  // piscina require()s its worker file. On Node 20, require() of an ES module graph once
  // aborted a CI run in native code (v8::Module::IsGraphAsync) when a worker restarted after a
  // crash. With require(esm) turned off, only a CommonJS file loads: the ES-module worker
  // must then come in through import(), where that path is never taken.
  it('loads by plain require(), without Node\'s require(esm), and hands a task to the ES-module worker', () => {
    const probe = `const h = require(${JSON.stringify(workerFile())}); if (typeof h !== 'function') { console.error('not a function: ' + typeof h); process.exit(3); }`;
    const r = spawnSync(process.execPath, ['--no-experimental-require-module', '-e', probe], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });
});

describe('--batch-timeout', () => {
  // The clock starts when a worker starts the batch on a ready session. It used to start at
  // submission, so on a busy machine a healthy batch waiting behind a hung one (or for a
  // restarted worker to load its model) timed out as well, and stopping that worker inside
  // ONNX Runtime's native code aborted the process.
  it('times out only the hung batch, not the healthy one queued behind it', async () => {
    const TIMEOUT = 1500;
    const one = new InferencePool({ modelPath: join(TINY, 'albert-tiny', 'model.onnx'), devices: [{ ep: 'cpu', deviceId: 0, fallbackToCpu: false }], workersPerDevice: 1, intraOpThreads: 1, graphPooling: null, queuePerWorker: 2, batchTimeoutMs: TIMEOUT });
    try {
      const t0 = Date.now();
      const hung = one.run([row(1, 6)], head, 0, 'hang').then(() => 'ran', (e: { code: string }) => e.code);
      const healthy = one.run([row(2, 6)], head, 0).then((r) => [...r.seqs], (e: { code: string }) => e.code);
      expect(await hung).toBe('ALB_WORKER_TIMEOUT');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(TIMEOUT);
      // Queued for longer than the timeout (behind the hung batch, then the new worker's model load), yet it runs.
      expect(await healthy).toEqual([2]);
    } finally {
      await one.close();
    }
  });
});
