import { availableParallelism } from 'node:os';
import type { Readable } from 'node:stream';
import { optionError, OptionError } from '../errors.js';
import { OUTPUT_FORMAT_NAMES, OUTPUT_FORMATS, type OutputFormat, type OutputFormatEntry } from '../io/output-formats.js';
import { expandInput, type InputSet } from '../io/input-files.js';
import { READ_OPTION_KEYS, resolveReadOptions, type ReadOptions, type ResolvedReadOptions } from '../io/read-options.js';
import { boolOption, checkKnownKeys, choiceOption, intOption, splitKeys, stringOption } from '../options.js';
import { LONG_OPTION_KEYS, resolveLongOptions, type LongOptions, type ResolvedLongOptions } from './long-options.js';
import type { ProgressSnapshot } from './progress.js';
import { parseDevice, providerOf, type DeviceChoice, type DeviceSpec } from '../workers/execution-providers.js';

/** Options every task shares. All optional except `input` and `out`; see `albert embed --help`. */
export interface JobOptions extends ReadOptions, DeviceOptions, LongOptions {
  /**
   * A file path (gzip-compressed too), a folder or a glob (`data/*.jsonl`: its files, as
   * one input), `-` for stdin, or a readable stream.
   */
  input?: string | Readable;
  /** Output directory for the part files, `manifest.json` and `rejects.jsonl`. */
  out?: string;
  /** HF-style model folder; defaults to the task's bundled model. */
  model?: string;
  /**
   * Which variant of the model folder runs (see `albert optimize`): a name under
   * `<model>/variants/` (`int8-fused`), `auto` (the device's preferred variant whose accuracy
   * check passed), or `none` (the folder's own model.onnx). Default: the device decides;
   * the CPU runs the folder's own model and says which variant would be faster, CUDA runs
   * a checked fp16 variant when there is one.
   */
  variant?: string;
  /** Format of the part files (default `arrow`). */
  outputFormat?: OutputFormat;
  /** Tokens per row including specials; defaults to the model's maximum. */
  maxLength?: number;
  /** Padded tokens per batch (rows x longest row); default from the execution provider. */
  batchTokens?: number;
  /** Rows read, sorted by length and batched together; default from the execution provider. */
  windowRows?: number;
  /** Input rows per part file; a multiple of windowRows. */
  partRows?: number;
  overwrite?: boolean;
  resume?: boolean;
  /**
   * --resume without re-reading the input's committed bytes to prove they did not change
   * (for an input too big to read twice). Sizes are still checked.
   */
  trustInput?: boolean;
  /**
   * What --resume checks of the committed parts: `size` (default: size and footer) or
   * `full` (also their sha256). rejects.jsonl is always hashed.
   */
  verify?: 'size' | 'full';
  /** A lock on --out held this long without a heartbeat, by a job on another host, is stale (default 10 min). */
  lockStaleMs?: number;
  onError?: 'skip' | 'fail';
  /** Abort (cleanly) once more rows than this were rejected. */
  maxRejects?: number;
  /** Abandon a batch attempt after this many milliseconds (0: never). */
  batchTimeoutMs?: number;
  quiet?: boolean;
  /**
   * Stops the job: reading and sending batches end at once, the batches already sent
   * finish, every finished window is committed (the last part may be short), and the
   * job stays resumable.
   */
  signal?: AbortSignal;
  /** Called after every batch with the job's live counts (rows done, tokens, bytes read). */
  onProgress?: (progress: ProgressSnapshot) => void;
  /** Where progress and the summary go (default process.stderr; nothing goes to stdout). */
  log?: NodeJS.WritableStream;
}

/** Where and how wide inference runs: a job's, and a queue worker's. */
export interface DeviceOptions {
  /** `cpu` (default), `cuda`, `cuda:N`, `cuda:0,1`, or `auto` (CUDA if it loads, else CPU). */
  device?: string;
  /** Worker threads (one session each) per device; default from the execution provider. */
  workers?: number;
  /** ONNX Runtime intra-op threads per worker. */
  threads?: number;
}

export interface ResolvedDeviceOptions {
  readonly device: DeviceChoice;
  /** One per pool: the chosen devices of the provider. */
  readonly devices: readonly DeviceSpec[];
  readonly workers: number;
  readonly threads: number;
  /** Batches queued per worker beyond the one it runs. */
  readonly queuePerWorker: number;
}

export interface ResolvedJobOptions extends ResolvedDeviceOptions {
  readonly input: string | Readable;
  /**
   * A folder or glob input: its files, listed once when the job starts. What the job
   * reads and its fingerprint records, so a resume on other files is refused. Null for
   * one file, stdin or a stream.
   */
  readonly inputFiles: InputSet | null;
  readonly out: string;
  readonly model: string | null;
  /** `--variant`: a name, `auto`, `none`, or null (the device's default). */
  readonly variant: string | null;
  /** How records are read: what openSource and the shard planner use as it is. */
  readonly read: ResolvedReadOptions;
  readonly output: OutputFormatEntry;
  readonly maxLength: number | null;
  /** Rows longer than the max length: truncate, reject or split (see long-options.ts). */
  readonly long: ResolvedLongOptions;
  readonly batchTokens: number;
  readonly windowRows: number;
  readonly partRows: number;
  readonly overwrite: boolean;
  readonly resume: boolean;
  readonly trustInput: boolean;
  readonly verify: 'size' | 'full';
  readonly lockStaleMs: number;
  readonly onError: 'skip' | 'fail';
  readonly maxRejects: number | null;
  readonly batchTimeoutMs: number;
  readonly quiet: boolean;
  readonly signal: AbortSignal | null;
  readonly onProgress: ((progress: ProgressSnapshot) => void) | null;
  readonly log: NodeJS.WritableStream;
}

/** Defaults a task's options change: `embed --pooling none` keeps every token's vector, so its windows are fewer rows. */
export interface TaskJobDefaults {
  /** From the execution provider's default. */
  windowRows?: (providerDefault: number) => number;
}

export const DEVICE_OPTION_KEYS: readonly (keyof DeviceOptions)[] = ['device', 'workers', 'threads'];

export const JOB_OPTION_KEYS: readonly (keyof JobOptions)[] = [
  'input', 'out', 'model', 'variant', ...READ_OPTION_KEYS, 'outputFormat', 'maxLength', ...LONG_OPTION_KEYS, 'batchTokens', ...DEVICE_OPTION_KEYS,
  'windowRows', 'partRows', 'overwrite', 'resume', 'trustInput', 'verify', 'lockStaleMs', 'onError', 'maxRejects', 'batchTimeoutMs', 'quiet', 'signal', 'onProgress', 'log',
];

/**
 * Resolves job options once into a frozen object. Defaults come from the execution
 * provider's entry (see execution-providers.ts): a GPU wants big batches and two sessions
 * to overlap host and device work; CPUs want one single-threaded session per core.
 *
 * @example
 * ```ts
 * const o = resolveJobOptions({ input: 'docs.csv', out: 'out', device: 'cpu' });
 * o.batchTokens; // 2048
 * o.read.idColumnRequired; // false: the default `id` column may be absent
 * ```
 */
export function resolveJobOptions(o: JobOptions, taskDefaults: TaskJobDefaults = {}): ResolvedJobOptions {
  checkKnownKeys(o as Record<string, unknown>, JOB_OPTION_KEYS, 'job options');
  if (o.input === undefined || o.input === '') throw optionError('input', o.input, 'a file path, "-" for stdin, or a stream');
  if (typeof o.input !== 'string' && typeof (o.input as Readable).pipe !== 'function') throw optionError('input', o.input, 'a file path or a readable stream');
  if (typeof o.out !== 'string' || o.out === '') throw optionError('--out', o.out, 'an output directory');
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw optionError('onProgress', o.onProgress, 'a function');
  const [readKeys] = splitKeys(o as Record<string, unknown>, READ_OPTION_KEYS);
  const read = resolveReadOptions(readKeys);
  const device = resolveDeviceOptions(o);
  const defaults = providerOf(device.device).defaults(availableParallelism());
  const windowRows = intOption('--window-rows', o.windowRows, taskDefaults.windowRows?.(defaults.windowRows) ?? defaults.windowRows, 1, 1 << 24);
  const partRows = intOption('--part-rows', o.partRows, windowRows * 4, 1, 2 ** 40);
  if (partRows % windowRows !== 0) {
    throw new OptionError('ALB_OPTION_INVALID', `option --part-rows: expected a multiple of --window-rows (${windowRows}), got ${partRows}; parts must end on window boundaries so a resumed job batches exactly as an uninterrupted one`, { option: '--part-rows', got: partRows });
  }
  const resolved: ResolvedJobOptions = {
    ...device,
    input: o.input,
    // Listed here, before the model loads: a folder without input files fails at once.
    inputFiles: typeof o.input === 'string' ? expandInput(o.input, read.format) : null,
    out: o.out,
    model: stringOption('--model', o.model, null),
    variant: stringOption('--variant', o.variant, null),
    read,
    output: OUTPUT_FORMATS[choiceOption('--output-format', o.outputFormat, OUTPUT_FORMAT_NAMES, 'arrow')],
    maxLength: o.maxLength === undefined ? null : intOption('--max-length', o.maxLength, 0, 2, 1 << 20),
    long: resolveLongOptions(o),
    batchTokens: intOption('--batch-tokens', o.batchTokens, defaults.batchTokens, 2, 1 << 30),
    windowRows,
    partRows,
    overwrite: boolOption('--overwrite', o.overwrite, false),
    resume: boolOption('--resume', o.resume, false),
    trustInput: boolOption('--trust-input', o.trustInput, false),
    verify: choiceOption('--verify', o.verify, ['size', 'full'], 'size'),
    lockStaleMs: intOption('--lock-stale', o.lockStaleMs, 10 * 60_000, 1000, 2 ** 31 - 1),
    onError: choiceOption('--on-error', o.onError, ['skip', 'fail'], 'skip'),
    maxRejects: o.maxRejects === undefined ? null : intOption('--max-rejects', o.maxRejects, 0, 0, Number.MAX_SAFE_INTEGER),
    batchTimeoutMs: intOption('--batch-timeout', o.batchTimeoutMs, 600_000, 0, 2 ** 31 - 1),
    quiet: boolOption('--quiet', o.quiet, false),
    signal: o.signal ?? null,
    onProgress: o.onProgress ?? null,
    log: o.log ?? process.stderr,
  };
  if (resolved.overwrite && resolved.resume) {
    throw new OptionError('ALB_OPTION_CONFLICT', 'options --overwrite and --resume exclude each other: --resume continues the job in --out, --overwrite discards it', { option: '--resume' });
  }
  return Object.freeze(resolved);
}

/**
 * The device, its pools and their width, with the execution provider's defaults.
 *
 * @example
 * ```ts
 * resolveDeviceOptions({ device: 'cuda:0,1' }); // { device: { ep: 'cuda', ids: [0, 1], ... }, devices: [2 specs], workers: 2, threads: 1, queuePerWorker: 3 }
 * ```
 */
export function resolveDeviceOptions(o: DeviceOptions): ResolvedDeviceOptions {
  const device = parseDevice(o.device ?? 'cpu');
  const defaults = providerOf(device).defaults(availableParallelism());
  const workers = intOption('--workers', o.workers, defaults.workers, 1, 256);
  return Object.freeze({
    device,
    devices: Object.freeze(device.ids.map((deviceId) => Object.freeze({ ep: device.ep, deviceId, fallbackToCpu: device.fallbackToCpu }))),
    workers,
    threads: intOption('--threads', o.threads, defaults.threads(workers), 1, 1024),
    queuePerWorker: defaults.queuePerWorker,
  });
}
