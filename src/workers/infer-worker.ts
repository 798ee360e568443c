import { performance } from 'node:perf_hooks';
import { workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { toPlainError } from '../errors.js';
import { applyHead } from './apply-head.js';
import { createSession, type CreatedSession } from './create-session.js';
import { loadSessionModel } from './session-model.js';
import type { DescribeResponse, InferRequest, InferResponse, WorkerRequest, WorkerSetup } from './protocol.js';

/**
 * The piscina worker: one ONNX Runtime session per thread, created on the first task and
 * kept for the thread's life. Batches arrive as moved buffers and leave as moved columns.
 * Failures leave as plain `{ code, message }` objects (see errors.ts for why).
 */
const setup = workerData as WorkerSetup;
let created: Promise<CreatedSession> | null = null;

function session(): Promise<CreatedSession> {
  created ??= loadSessionModel(setup).then((model) => createSession(model, setup.device, setup.intraOpThreads, setup.modelPath));
  return created;
}

export default async function handle(request: WorkerRequest): Promise<unknown> {
  try {
    if (request.type === 'describe') return await describe();
    return await infer(request);
  } catch (err) {
    throw toPlainError(err, 'ALB_WORKER_FAILED');
  }
}

async function describe(): Promise<DescribeResponse> {
  const { session: s, ep, fallbackReason } = await session();
  const io = (meta: readonly ort.InferenceSession.ValueMetadata[]) =>
    meta.map((m) => (m.isTensor ? { name: m.name, type: String(m.type), shape: [...m.shape] } : { name: m.name, type: 'non-tensor', shape: [] }));
  return { inputs: io(s.inputMetadata), outputs: io(s.outputMetadata), ep, fallbackReason };
}

async function infer({ batch, queuedAt, head, fault }: InferRequest): Promise<unknown> {
  const start = performance.now();
  const queueMs = Math.max(0, Date.now() - queuedAt);
  if (fault) injectFault(fault, batch.seqs[0]);
  const { session: s } = await session();
  const { B, S } = batch;
  const feeds = {
    input_ids: new ort.Tensor('int64', batch.inputIds, [B, S]),
    attention_mask: new ort.Tensor('int64', batch.attentionMask, [B, S]),
    token_type_ids: new ort.Tensor('int64', batch.tokenTypeIds, [B, S]),
  };
  const out = await s.run(feeds, [head.output]);
  const inferDone = performance.now();
  const tensor = out[head.output];
  const columns = applyHead(head, tensor.data as Float32Array, tensor.dims, batch);
  tensor.dispose();
  const response: InferResponse = {
    seqs: batch.seqs,
    columns,
    timings: { queueMs, inferMs: inferDone - start, postMs: performance.now() - inferDone },
  };
  const buffers = [response.seqs.buffer, ...Object.values(columns).map((c) => c.buffer)] as ArrayBuffer[];
  return move({ [transferableSymbol]: buffers, [valueSymbol]: response } as never);
}

function injectFault(fault: 'throw' | 'exit' | 'hang', seq: number): void {
  if (fault === 'exit') process.exit(86);
  if (fault === 'throw') throw new Error(`injected fault in the batch starting at seq ${seq}`);
  // Blocks the thread, as a wedged native call would: only the batch timeout can end it.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}
