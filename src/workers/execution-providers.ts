import { AlbertError, optionError, type ErrorCode } from '../errors.js';

/**
 * The execution providers, one entry each: how `--device` names them, the defaults a job
 * gets on them, the session options a worker opens them with, and what `albert doctor`
 * probes. Plain data, so the main thread (option defaults) and the workers (sessions) read
 * the same table. Adding a provider (TensorRT, WebGPU, CoreML) is one entry here.
 */
export interface ExecutionProvider {
  /** ONNX Runtime's name for it, also what the manifest records. */
  readonly name: string;
  /** How people call it in messages: `CUDA`. */
  readonly label: string;
  /** The `--device` spellings it takes, for help and errors. */
  readonly spellings: readonly string[];
  /** The device ids a `--device` value selects, or null when the value is not for this provider. */
  parse(value: string): number[] | null;
  /** Whether `--device auto` tries it (falling back to the CPU when it cannot start). */
  readonly auto: boolean;
  /** Defaults for a job on it; `cores` is the machine's available parallelism. */
  defaults(cores: number): ProviderDefaults;
  /** ONNX Runtime session options that put a session on device `deviceId`. */
  sessionOptions(deviceId: number): Readonly<Record<string, unknown>>;
  /** What `albert doctor` checks besides opening a session, when the provider is a separate install. */
  readonly probe: { readonly providerLibrary: string; readonly libraries: readonly string[] } | null;
  /** The error code when a session cannot start on it (null for the CPU, which always starts). */
  readonly unavailableCode: ErrorCode | null;
  /**
   * Which variants of a model folder (`variants/<name>`, made by `albert optimize`) suit it,
   * best first, and whether a job picks the first one whose accuracy check passed without
   * being asked (`pick`) or only says so (`suggest`); `--variant auto` picks on either.
   */
  readonly variants: { readonly preferred: readonly string[]; readonly byDefault: 'pick' | 'suggest' };
}

export interface ProviderDefaults {
  /** Sessions (worker threads) per device. */
  readonly workers: number;
  /** ONNX Runtime intra-op threads per session, given the sessions per device. */
  threads(workers: number): number;
  /** Padded tokens per batch. */
  readonly batchTokens: number;
  readonly windowRows: number;
  /** Batches queued per session beyond the one it runs: what keeps a device busy between calls. */
  readonly queuePerWorker: number;
}

const cpu: ExecutionProvider = {
  name: 'cpu',
  label: 'CPU',
  spellings: ['cpu'],
  parse: (value) => (value === 'cpu' ? [0] : null),
  auto: false,
  // One single-threaded session per core beat one session using every core by 20-65% on
  // 2 cores (bench/results/sweep-*), with small batches (2048 tokens) keeping caches warm.
  defaults: (cores) => ({ workers: cores, threads: (workers) => Math.max(1, Math.floor(cores / workers)), batchTokens: 2048, windowRows: 4096, queuePerWorker: 2 }),
  sessionOptions: () => ({ executionProviders: ['cpu'] }),
  probe: null,
  unavailableCode: null,
  // int8 changes the outputs a little (see the variant's report): a CPU job says it is there
  // and runs it when asked; fused fp32 is exact and also fast.
  variants: { preferred: ['int8-fused', 'int8', 'fp32-fused'], byDefault: 'suggest' },
};

const cuda: ExecutionProvider = {
  name: 'cuda',
  label: 'CUDA',
  spellings: ['cuda', 'cuda:N', 'cuda:0,1'],
  parse(value) {
    if (value === 'cuda') return [0];
    const m = /^cuda:(\d+(?:,\d+)*)$/.exec(value);
    return m ? [...new Set(m[1].split(',').map(Number))] : null;
  },
  auto: true,
  // Two sessions per GPU overlap one's host work with the other's kernels; big batches and
  // a deeper queue keep the device busy.
  defaults: () => ({ workers: 2, threads: () => 1, batchTokens: 65536, windowRows: 16384, queuePerWorker: 3 }),
  sessionOptions: (deviceId) => ({ executionProviders: [{ name: 'cuda', deviceId }] }),
  probe: {
    providerLibrary: 'libonnxruntime_providers_cuda.so',
    libraries: ['libcudart.so.13', 'libcublas.so.13', 'libcublasLt.so.13', 'libcurand.so.10', 'libcufft.so.12', 'libcudnn.so.9'],
  },
  unavailableCode: 'ALB_DEVICE_CUDA_UNAVAILABLE',
  // fp16 is what GPUs are fast at: picked when present and checked.
  variants: { preferred: ['fp16-fused', 'fp16', 'fp32-fused'], byDefault: 'pick' },
};

/** The table, by name. */
export const EXECUTION_PROVIDERS: Readonly<Record<string, ExecutionProvider>> = Object.freeze({ cpu, cuda });

export const CPU: ExecutionProvider = cpu;

/** One pool's device: which provider, which device of it, and whether `--device auto` chose it. */
export interface DeviceSpec {
  ep: string;
  deviceId: number;
  /** `--device auto`: try the provider, else say why and run on the CPU. */
  fallbackToCpu: boolean;
}

/** A parsed `--device`: one provider, one or more of its devices. */
export interface DeviceChoice {
  readonly ep: string;
  readonly ids: readonly number[];
  readonly fallbackToCpu: boolean;
}

/**
 * `cpu`, `auto`, `cuda`, `cuda:N` or `cuda:0,1` (the spellings of every table entry).
 *
 * @example
 * ```ts
 * parseDevice('cuda:0,1'); // { ep: 'cuda', ids: [0, 1], fallbackToCpu: false }
 * parseDevice('auto');     // { ep: 'cuda', ids: [0], fallbackToCpu: true }
 * ```
 */
export function parseDevice(value: unknown): DeviceChoice {
  const providers = Object.values(EXECUTION_PROVIDERS);
  if (value === 'auto') {
    const ep = providers.find((p) => p.auto) ?? cpu;
    return Object.freeze({ ep: ep.name, ids: Object.freeze([0]), fallbackToCpu: ep !== cpu });
  }
  for (const ep of typeof value === 'string' ? providers : []) {
    const ids = ep.parse(value as string);
    if (ids) return Object.freeze({ ep: ep.name, ids: Object.freeze(ids), fallbackToCpu: false });
  }
  throw optionError('--device', value, deviceSpellings());
}

/** Every `--device` spelling, for help and errors: `cpu|cuda|cuda:N|cuda:0,1|auto`. */
export function deviceSpellings(): string {
  return [...Object.values(EXECUTION_PROVIDERS).flatMap((p) => p.spellings), 'auto'].join('|');
}

export function providerOf(device: { ep: string }): ExecutionProvider {
  const ep = EXECUTION_PROVIDERS[device.ep];
  if (!ep) throw new AlbertError('ALB_INTERNAL', `no execution provider ${JSON.stringify(device.ep)} in the table (devices come from parseDevice)`);
  return ep;
}
