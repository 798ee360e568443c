import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { AlbertError, ModelError, WorkerError } from '../errors.js';
import { decodeOnnxModel } from '../model/onnx-proto.js';
import { CPU, providerOf, type DeviceSpec } from './execution-providers.js';

export interface CreatedSession {
  session: ort.InferenceSession;
  /** The execution provider the session really runs on. */
  ep: string;
  fallbackReason: string | null;
}

// ORT logs its own provider-loading failures at ERROR level; we report them ourselves, once.
ort.env.logLevel = 'fatal';

/**
 * Creates one session on the requested device, with the provider's options from the
 * execution-provider table. A provider that cannot start is a whole-run failure, unless the
 * device was `auto`, which falls back to the CPU and says why.
 */
export async function createSession(model: string | Uint8Array, device: DeviceSpec, intraOpThreads: number, modelPath: string): Promise<CreatedSession> {
  const base: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: intraOpThreads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  };
  const ep = providerOf(device);
  if (ep === CPU) return { session: await open(model, { ...base, ...CPU.sessionOptions(0) }), ep: CPU.name, fallbackReason: null };
  try {
    return { session: await open(model, { ...base, ...ep.sessionOptions(device.deviceId) }), ep: ep.name, fallbackReason: null };
  } catch (err) {
    if (err instanceof AlbertError) throw err;
    const reason = `${ep.label} execution provider could not start on device ${device.deviceId}: ${(err as Error).message.split('\n')[0]}`;
    if (!device.fallbackToCpu) {
      throw new WorkerError(ep.unavailableCode ?? 'ALB_INTERNAL', `${reason}. Run \`albert doctor\` to see what is missing, or use --device cpu (or --device auto to fall back).`, { ep: ep.name, deviceId: device.deviceId });
    }
    return { session: await open(model, { ...base, ...CPU.sessionOptions(0) }), ep: CPU.name, fallbackReason: reason };
  }

  async function open(m: string | Uint8Array, options: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
    try {
      return typeof m === 'string' ? await ort.InferenceSession.create(m, options) : await ort.InferenceSession.create(m, options);
    } catch (err) {
      const msg = (err as Error).message;
      if (/execution ?provider|providers_|Failed to load shared library/i.test(msg)) throw err;
      throw await loadFailure(m, msg);
    }
  }

  /**
   * A file that is not ONNX at all is ALB_ONNX_INVALID, as it is when the pooling graph is
   * appended (session-model.ts); our decoder decides that, since ORT's wording is no contract.
   * Only on this failure path, so a good model is never decoded twice.
   */
  async function loadFailure(m: string | Uint8Array, msg: string): Promise<ModelError> {
    if (typeof m === 'string') {
      try {
        decodeOnnxModel(new Uint8Array(await readFile(m)), m);
      } catch (err) {
        if (err instanceof ModelError && err.code === 'ALB_ONNX_INVALID') return err;
      }
    }
    return new ModelError('ALB_MODEL_LOAD', `${modelPath}: ONNX Runtime cannot load the model: ${msg.split('\n')[0]}`, { file: modelPath });
  }
}
