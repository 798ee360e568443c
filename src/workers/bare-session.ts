/**
 * One bare ONNX Runtime session over prepared batches, on the main thread, with nothing
 * else around it: the ceiling a pipeline run is compared with (`albert bench`, and
 * `npm run bench`'s system (c)). Timed: the session.run loop only (and what `onOutput`
 * does with each result); model load and one warm-up run of the smallest batch are not.
 */
import ort from 'onnxruntime-node';
import type { Batch } from '../model/padding.js';
import { createSession } from './create-session.js';
import type { DeviceSpec } from './execution-providers.js';

export interface BareSessionRun {
  readonly load_s: number;
  readonly timed_s: number;
  /** The execution provider the session ran on. */
  readonly ep: string;
}

export interface BareSessionOptions {
  /** As the workers open sessions (the provider's options, all graph optimizations), on this device with these threads. */
  readonly device?: DeviceSpec;
  readonly threads?: number;
  /** Or these ORT SessionOptions exactly (null with no device: ORT's own defaults). */
  readonly sessionOptions?: Record<string, unknown> | null;
}

/**
 * Runs every batch once, in order, fetching `output`.
 *
 * @example
 * ```ts
 * const r = await timeBareSession(pooledModelBytes, 'model.onnx', batches, 'sentence_embedding', { device: { ep: 'cpu', deviceId: 0, fallbackToCpu: false }, threads: 2 });
 * batches.length / r.timed_s; // batches per second
 * ```
 */
export async function timeBareSession(
  model: string | Uint8Array, modelPath: string, batches: readonly Batch[], output: string, o: BareSessionOptions,
  onOutput?: (index: number, data: Float32Array, dims: readonly number[]) => void,
): Promise<BareSessionRun> {
  const feeds = batches.map((b) => ({
    input_ids: new ort.Tensor('int64', b.inputIds, [b.B, b.S]),
    attention_mask: new ort.Tensor('int64', b.attentionMask, [b.B, b.S]),
    token_type_ids: new ort.Tensor('int64', b.tokenTypeIds, [b.B, b.S]),
  }));
  const l0 = performance.now();
  let session: ort.InferenceSession;
  let ep = 'cpu';
  if (o.device) {
    const created = await createSession(model, o.device, o.threads ?? 1, modelPath);
    session = created.session;
    ep = created.ep;
  } else {
    const opts = (o.sessionOptions ?? undefined) as ort.InferenceSession.SessionOptions | undefined;
    session = typeof model === 'string' ? await ort.InferenceSession.create(model, opts ?? {}) : await ort.InferenceSession.create(model, opts ?? {});
  }
  const loadS = (performance.now() - l0) / 1000;
  try {
    if (feeds.length > 0) (await session.run(feeds[feeds.length - 1], [output]))[output].dispose();
    const t0 = performance.now();
    for (let i = 0; i < feeds.length; i++) {
      const out = (await session.run(feeds[i], [output]))[output];
      onOutput?.(i, out.data as Float32Array, out.dims);
      out.dispose();
    }
    return { load_s: loadS, timed_s: (performance.now() - t0) / 1000, ep };
  } finally {
    await session.release();
  }
}
