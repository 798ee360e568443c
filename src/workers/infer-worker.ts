import { performance } from 'node:perf_hooks';
import { workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { AlbertError, toPlainError } from '../errors.js';
import type { PostProcess } from '../tasks/task.js';
import { createSession, type CreatedSession } from './create-session.js';
import { actOut } from './fault.js';
import { loadSessionModel } from './session-model.js';
import type { DescribeResponse, InferRequest, InferResponse, WorkerRequest, WorkerSetup } from './protocol.js';

/**
 * The piscina worker: one ONNX Runtime session per thread, created on the first task and
 * kept for the thread's life. Batches arrive as moved buffers and leave as moved columns,
 * post-processed by the task's own head module. Failures leave as plain `{ code, message }`
 * objects (see errors.ts for why).
 */
const setup = workerData as WorkerSetup;
let created: Promise<CreatedSession> | null = null;
const heads = new Map<string, Promise<PostProcess>>();

function session(): Promise<CreatedSession> {
  created ??= loadSessionModel(setup).then((model) => createSession(model, setup.device, setup.intraOpThreads, setup.modelPath));
  return created;
}

/** The task's head module; the main thread imported it once already, so a failure here is internal. */
function head(module: string): Promise<PostProcess> {
  let h = heads.get(module);
  if (!h) {
    h = import(module).then((m: { postprocess?: unknown }) => {
      if (typeof m.postprocess !== 'function') throw new AlbertError('ALB_INTERNAL', `head module ${module} has no postprocess export`);
      return m.postprocess as PostProcess;
    });
    heads.set(module, h);
  }
  return h;
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

async function infer({ batch, queuedAt, startedAt, head: ref, fault }: InferRequest): Promise<unknown> {
  const queueMs = Math.max(0, Date.now() - queuedAt);
  const [{ session: s }, postprocess] = await Promise.all([session(), head(ref.module)]);
  const start = performance.now();
  startedAt[0] = Date.now();
  if (fault) actOut(fault, batch.seqs[0]);
  const { B, S } = batch;
  const feeds = {
    input_ids: new ort.Tensor('int64', batch.inputIds, [B, S]),
    attention_mask: new ort.Tensor('int64', batch.attentionMask, [B, S]),
    token_type_ids: new ort.Tensor('int64', batch.tokenTypeIds, [B, S]),
  };
  const out = await s.run(feeds, [ref.output]);
  const inferDone = performance.now();
  const tensor = out[ref.output];
  const columns = postprocess(ref.params, tensor.data as Float32Array, tensor.dims, batch);
  tensor.dispose();
  const response: InferResponse = {
    seqs: batch.seqs,
    columns,
    timings: { queueMs, inferMs: inferDone - start, postMs: performance.now() - inferDone },
  };
  const buffers = [response.seqs.buffer, ...Object.values(columns).map((c) => c.buffer)] as ArrayBuffer[];
  return move({ [transferableSymbol]: buffers, [valueSymbol]: response } as never);
}
