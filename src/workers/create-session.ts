import * as ort from 'onnxruntime-node';
import { ModelError, WorkerError } from '../errors.js';
import type { DeviceSpec } from './protocol.js';

export interface CreatedSession {
  session: ort.InferenceSession;
  ep: 'cpu' | 'cuda';
  fallbackReason: string | null;
}

// ORT logs its own provider-loading failures at ERROR level; we report them ourselves, once.
ort.env.logLevel = 'fatal';

/**
 * Creates one session on the requested device. A CUDA provider that cannot load is a
 * whole-run failure, unless the device was `auto`, which falls back and says why.
 */
export async function createSession(model: string | Uint8Array, device: DeviceSpec, intraOpThreads: number, modelPath: string): Promise<CreatedSession> {
  const base: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: intraOpThreads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  };
  if (device.kind === 'cuda') {
    try {
      const session = await open(model, { ...base, executionProviders: [{ name: 'cuda', deviceId: device.deviceId }] });
      return { session, ep: 'cuda', fallbackReason: null };
    } catch (err) {
      const reason = `CUDA execution provider could not start on device ${device.deviceId}: ${(err as Error).message.split('\n')[0]}`;
      if (!device.fallbackToCpu) {
        throw new WorkerError('ALB_DEVICE_CUDA_UNAVAILABLE', `${reason}. Run \`albert doctor\` to see what is missing, or use --device cpu (or --device auto to fall back).`, { deviceId: device.deviceId });
      }
      const session = await open(model, { ...base, executionProviders: ['cpu'] });
      return { session, ep: 'cpu', fallbackReason: reason };
    }
  }
  return { session: await open(model, { ...base, executionProviders: ['cpu'] }), ep: 'cpu', fallbackReason: null };

  async function open(m: string | Uint8Array, options: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
    try {
      return typeof m === 'string' ? await ort.InferenceSession.create(m, options) : await ort.InferenceSession.create(m, options);
    } catch (err) {
      const msg = (err as Error).message;
      if (/execution ?provider|providers_|Failed to load shared library/i.test(msg)) throw err;
      throw new ModelError('ALB_MODEL_LOAD', `${modelPath}: ONNX Runtime cannot load the model: ${msg.split('\n')[0]}`, { file: modelPath });
    }
  }
}
