import { availableParallelism } from 'node:os';
import type { Readable } from 'node:stream';
import { describe, optionError, OptionError } from '../errors.js';
import type { InputFormat } from '../io/row.js';
import type { DeviceSpec } from '../workers/protocol.js';

/** Options every task shares. All optional except `input` and `out`; see `albert embed --help`. */
export interface JobOptions {
  /** A file path, `-` for stdin, or a readable stream. */
  input?: string | Readable;
  /** Output directory for `part-*.arrow`, `manifest.json` and `rejects.jsonl`. */
  out?: string;
  /** HF-style model folder; defaults to the task's bundled model. */
  model?: string;
  format?: InputFormat;
  textColumn?: string;
  textBColumn?: string;
  idColumn?: string;
  /** Embed empty and whitespace-only texts instead of rejecting them. */
  keepEmpty?: boolean;
  maxRecordBytes?: number;
  /** Tokens per row including specials; defaults to the model's maximum. */
  maxLength?: number;
  /** Padded tokens per batch (rows x longest row). */
  batchTokens?: number;
  /** Worker threads (one session each) per device. */
  workers?: number;
  /** ONNX Runtime intra-op threads per worker. */
  threads?: number;
  /** `cpu` (default), `cuda`, `cuda:N`, `cuda:0,1`, or `auto` (CUDA if it loads, else CPU). */
  device?: string;
  /** Rows read, sorted by length and batched together. */
  windowRows?: number;
  /** Input rows per part file; a multiple of windowRows. */
  partRows?: number;
  overwrite?: boolean;
  resume?: boolean;
  onError?: 'skip' | 'fail';
  /** Abort (cleanly) once more rows than this were rejected. */
  maxRejects?: number;
  /** Abandon a batch attempt after this many milliseconds (0: never). */
  batchTimeoutMs?: number;
  quiet?: boolean;
  /** Stops the job: reading ends, complete parts are committed, the job stays resumable. */
  signal?: AbortSignal;
  /** Where progress and the summary go (default process.stderr; nothing goes to stdout). */
  log?: NodeJS.WritableStream;
}

export type DeviceChoice = { kind: 'cpu' } | { kind: 'cuda'; ids: number[]; fallbackToCpu: boolean };

export interface ResolvedJobOptions {
  readonly input: string | Readable;
  readonly out: string;
  readonly model: string | null;
  readonly format: InputFormat | null;
  readonly textColumn: string;
  readonly textBColumn: string | null;
  readonly idColumn: string;
  readonly keepEmpty: boolean;
  readonly maxRecordBytes: number;
  readonly maxLength: number | null;
  readonly batchTokens: number;
  readonly workers: number;
  readonly threads: number;
  readonly device: DeviceChoice;
  readonly devices: readonly DeviceSpec[];
  readonly windowRows: number;
  readonly partRows: number;
  readonly overwrite: boolean;
  readonly resume: boolean;
  readonly onError: 'skip' | 'fail';
  readonly maxRejects: number | null;
  readonly batchTimeoutMs: number;
  readonly quiet: boolean;
  readonly signal: AbortSignal | null;
  readonly log: NodeJS.WritableStream;
  /** Test-only fault hook: row ids whose batch makes the worker throw, exit or hang. */
  readonly faults: { readonly throwIds: readonly string[]; readonly exitIds: readonly string[]; readonly hangIds: readonly string[] };
}

export const JOB_OPTION_KEYS: readonly (keyof JobOptions)[] = [
  'input', 'out', 'model', 'format', 'textColumn', 'textBColumn', 'idColumn', 'keepEmpty', 'maxRecordBytes',
  'maxLength', 'batchTokens', 'workers', 'threads', 'device', 'windowRows', 'partRows', 'overwrite', 'resume',
  'onError', 'maxRejects', 'batchTimeoutMs', 'quiet', 'signal', 'log',
];

const FORMATS: readonly InputFormat[] = ['csv', 'tsv', 'jsonl', 'text'];

/**
 * Resolves job options once into a frozen object. Defaults depend on the device: a GPU
 * wants big batches and two sessions to overlap host and device work; CPUs want one
 * single-threaded session per core and small batches.
 *
 * @example
 * ```ts
 * const o = resolveJobOptions({ input: 'docs.csv', out: 'out', device: 'cpu' });
 * o.batchTokens; // 2048
 * ```
 */
export function resolveJobOptions(o: JobOptions, env: NodeJS.ProcessEnv = process.env): ResolvedJobOptions {
  if (o.input === undefined || o.input === '') throw optionError('input', o.input, 'a file path, "-" for stdin, or a stream');
  if (typeof o.input !== 'string' && typeof (o.input as Readable).pipe !== 'function') throw optionError('input', o.input, 'a file path or a readable stream');
  if (typeof o.out !== 'string' || o.out === '') throw optionError('--out', o.out, 'an output directory');
  const device = parseDevice(o.device ?? 'cpu');
  const cores = availableParallelism();
  const onGpu = device.kind === 'cuda';
  // CPU: one single-threaded session per core beat one session using every core by 20-65%
  // on 2 cores (bench/results/sweep-*), with small batches (2048 tokens) keeping caches warm.
  const workers = intOption('--workers', o.workers, onGpu ? 2 : cores, 1, 256);
  const threads = intOption('--threads', o.threads, onGpu ? 1 : Math.max(1, Math.floor(cores / workers)), 1, 1024);
  const windowRows = intOption('--window-rows', o.windowRows, onGpu ? 16384 : 4096, 1, 1 << 24);
  const partRows = intOption('--part-rows', o.partRows, windowRows * 4, 1, 2 ** 40);
  if (partRows % windowRows !== 0) {
    throw new OptionError('ALB_OPTION_INVALID', `option --part-rows: expected a multiple of --window-rows (${windowRows}), got ${partRows}; parts must end on window boundaries so a resumed job batches exactly as an uninterrupted one`, { option: '--part-rows', got: partRows });
  }
  const format = o.format ?? null;
  if (format !== null && !FORMATS.includes(format)) throw optionError('--format', format, FORMATS.join('|'));
  const onError = o.onError ?? 'skip';
  if (onError !== 'skip' && onError !== 'fail') throw optionError('--on-error', onError, 'skip|fail');
  const resolved: ResolvedJobOptions = {
    input: o.input,
    out: o.out,
    model: str('--model', o.model, null),
    format,
    textColumn: str('--text-column', o.textColumn, 'text')!,
    textBColumn: str('--text-b-column', o.textBColumn, null),
    idColumn: str('--id-column', o.idColumn, 'id')!,
    keepEmpty: bool('--keep-empty', o.keepEmpty, false),
    maxRecordBytes: intOption('--max-record-bytes', o.maxRecordBytes, 1 << 20, 64, 1 << 30),
    maxLength: o.maxLength === undefined ? null : intOption('--max-length', o.maxLength, 0, 2, 1 << 20),
    batchTokens: intOption('--batch-tokens', o.batchTokens, onGpu ? 65536 : 2048, 2, 1 << 30),
    workers,
    threads,
    device,
    devices: deviceSpecs(device),
    windowRows,
    partRows,
    overwrite: bool('--overwrite', o.overwrite, false),
    resume: bool('--resume', o.resume, false),
    onError,
    maxRejects: o.maxRejects === undefined ? null : intOption('--max-rejects', o.maxRejects, 0, 0, Number.MAX_SAFE_INTEGER),
    batchTimeoutMs: intOption('--batch-timeout', o.batchTimeoutMs, 600_000, 0, 2 ** 31 - 1),
    quiet: bool('--quiet', o.quiet, false),
    signal: o.signal ?? null,
    log: o.log ?? process.stderr,
    faults: Object.freeze({ throwIds: envList(env.ALBERT_FAULT_THROW_ID), exitIds: envList(env.ALBERT_FAULT_EXIT_ID), hangIds: envList(env.ALBERT_FAULT_HANG_ID) }),
  };
  if (resolved.overwrite && resolved.resume) {
    throw new OptionError('ALB_OPTION_CONFLICT', 'options --overwrite and --resume exclude each other: --resume continues the job in --out, --overwrite discards it', { option: '--resume' });
  }
  return Object.freeze(resolved);
}

/**
 * `cpu`, `auto`, `cuda`, `cuda:N` or `cuda:0,1`.
 *
 * @example
 * ```ts
 * parseDevice('cuda:0,1'); // { kind: 'cuda', ids: [0, 1], fallbackToCpu: false }
 * ```
 */
export function parseDevice(value: unknown): DeviceChoice {
  if (value === 'cpu') return { kind: 'cpu' };
  if (value === 'auto') return { kind: 'cuda', ids: [0], fallbackToCpu: true };
  if (value === 'cuda') return { kind: 'cuda', ids: [0], fallbackToCpu: false };
  const m = typeof value === 'string' ? /^cuda:(\d+(?:,\d+)*)$/.exec(value) : null;
  if (!m) throw optionError('--device', value, 'cpu|cuda|cuda:N|cuda:0,1|auto');
  const ids = [...new Set(m[1].split(',').map(Number))];
  return { kind: 'cuda', ids, fallbackToCpu: false };
}

function deviceSpecs(d: DeviceChoice): DeviceSpec[] {
  return d.kind === 'cpu' ? [{ kind: 'cpu' }] : d.ids.map((deviceId) => ({ kind: 'cuda', deviceId, fallbackToCpu: d.fallbackToCpu }));
}

/** Checks an integer option, naming it; `code` lets queue options keep their own. */
export function intOption(option: string, value: unknown, fallback: number, min: number, max: number, code?: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw optionError(option, value, `an integer from ${min} to ${max}`, code);
  }
  return value;
}

function str(option: string, value: unknown, fallback: string | null): string | null {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value === '') throw optionError(option, value, 'a non-empty string');
  return value;
}

function bool(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw optionError(option, value, 'true or false');
  return value;
}

function envList(value: string | undefined): string[] {
  return value ? value.split(',').map((s) => s.trim()).filter(Boolean) : [];
}

/** Refuses keys no task or job knows, naming the key: a typo must not be silently ignored. */
export function checkKnownKeys(options: Record<string, unknown>, known: readonly string[], where: string): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new OptionError('ALB_OPTION_UNKNOWN', `${where}: unknown option ${JSON.stringify(key)} (got ${describe(options[key])}); known options: ${known.join(', ')}`, { option: key });
    }
  }
}
