/**
 * Every code an {@link AlbertError} (or a reject record) carries, each with one meaning.
 * The README's "Error codes" table says what each means and what to do; a test checks that
 * the table, this list and the codes thrown in src/ are the same set.
 */
export const ERROR_CODES = [
  // options and config files
  'ALB_OPTION_INVALID', 'ALB_OPTION_UNKNOWN', 'ALB_OPTION_CONFLICT', 'ALB_OPTION_MISSING', 'ALB_CONFIG_UNREADABLE', 'ALB_CONFIG_INVALID',
  'ALB_TASK_UNKNOWN', 'ALB_TASK_INVALID',
  // models
  'ALB_MODEL_NOT_FOUND', 'ALB_MODEL_FILE_MISSING', 'ALB_MODEL_CONFIG_INVALID', 'ALB_MODEL_TOKENIZER_INVALID', 'ALB_MODEL_LOAD',
  'ALB_MODEL_IO_MISMATCH', 'ALB_MODEL_TASK_UNSUPPORTED', 'ALB_POOLING_GRAPH', 'ALB_ONNX_INVALID', 'ALB_ONNX_ENCODE', 'ALB_ONNX_TENSOR',
  'ALB_ONNX_DUPLICATE_NAME', 'ALB_SPM_INVALID', 'ALB_SPM_UNSUPPORTED', 'ALB_SPM_MISSING_TOKEN',
  // convert and safetensors
  'ALB_CONVERT_MISSING_FILE', 'ALB_CONVERT_MISSING_WEIGHT', 'ALB_CONVERT_WEIGHT_SHAPE', 'ALB_CONVERT_TASK_UNKNOWN', 'ALB_CONVERT_UNSUPPORTED',
  'ALB_CONVERT_OUT_EXISTS', 'ALB_CONVERT_WRITE', 'ALB_SAFETENSORS_INVALID', 'ALB_SAFETENSORS_DTYPE', 'ALB_SAFETENSORS_NO_TENSOR',
  'ALB_SAFETENSORS_CLOSED', 'ALB_OPTIMIZE_UNSUPPORTED', 'ALB_VARIANT_NOT_FOUND',
  // devices and workers
  'ALB_DEVICE_CUDA_UNAVAILABLE', 'ALB_WORKER_FAILED', 'ALB_WORKER_EXITED', 'ALB_WORKER_TIMEOUT',
  // whole inputs
  'ALB_INPUT_UNREADABLE', 'ALB_INPUT_MISSING_COLUMN', 'ALB_INPUT_COLUMN_TYPE', 'ALB_INPUT_DUPLICATE_COLUMN', 'ALB_INPUT_BAD_HEADER', 'ALB_INPUT_FORMAT_UNKNOWN',
  'ALB_INPUT_FORMAT_MIXED', 'ALB_INPUT_NO_FILES', 'ALB_INPUT_COMPRESSED_INVALID', 'ALB_INPUT_COMPRESSION_UNSUPPORTED',
  'ALB_SOURCE_REUSED',
  // rows (reject records)
  'ALB_ROW_EMPTY_TEXT', 'ALB_ROW_EMPTY_TEXT_B', 'ALB_ROW_INVALID_UTF8', 'ALB_ROW_TOO_LARGE', 'ALB_ROW_COLUMN_COUNT', 'ALB_ROW_CSV_PARSE',
  'ALB_ROW_INVALID_JSON', 'ALB_ROW_NOT_OBJECT', 'ALB_ROW_MISSING_TEXT', 'ALB_ROW_MISSING_TEXT_B', 'ALB_ROW_INVALID_ID', 'ALB_ROW_MISSING_ID',
  'ALB_ROW_INVALID_UTF16', 'ALB_ROW_TOKENIZE', 'ALB_ROW_TOO_LONG', 'ALB_ROW_NO_MASK', 'ALB_ROW_MISSING_LABEL', 'ALB_ROW_REJECTED', 'ALB_TOO_MANY_REJECTS',
  // output, manifest and resume
  'ALB_OUTPUT_NOT_EMPTY', 'ALB_OUTPUT_NOT_DIR', 'ALB_OUTPUT_SYMLINK', 'ALB_OUTPUT_DISK_FULL', 'ALB_OUTPUT_IO', 'ALB_OUTPUT_UNREADABLE',
  'ALB_OUTPUT_LOCKED', 'ALB_OUTPUT_CORRUPT', 'ALB_MANIFEST_INVALID', 'ALB_RESUME_MISMATCH', 'ALB_RESUME_NO_JOB', 'ALB_RESUME_INPUT_CHANGED',
  // sharding
  'ALB_PLAN_INVALID', 'ALB_PLAN_MISMATCH', 'ALB_SHARD_INVALID', 'ALB_SHARD_ACCOUNTING', 'ALB_MERGE_NO_PLAN', 'ALB_MERGE_INCOMPLETE',
  'ALB_MERGE_PART_CHANGED',
  // queue mode
  'ALB_QUEUE_OPTION_INVALID', 'ALB_QUEUE_REDIS_UNREACHABLE', 'ALB_QUEUE_RUN_CONFLICT', 'ALB_QUEUE_RUN_UNKNOWN', 'ALB_QUEUE_RUN_FAILED',
  'ALB_QUEUE_JOB_INVALID', 'ALB_QUEUE_FINGERPRINT_MISMATCH',
  // training and evaluating heads
  'ALB_TRAIN_DATA_INVALID',
  // a bug: report it
  'ALB_INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/**
 * One error base class with a stable `code`, and a few subclasses by origin.
 *
 * Errors cross worker-thread boundaries as plain `{ name, code, message, details }`
 * objects because structured clone keeps neither the class nor extra fields;
 * {@link toPlainError} and {@link fromPlainError} are the two ends of that trip.
 *
 * @example
 * ```ts
 * try { await embed({ input: 'docs.csv', out: 'out' }); }
 * catch (err) { if (err instanceof AlbertError) console.error(err.code, err.message); }
 * ```
 */
export class AlbertError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/** A user-supplied option (CLI flag, config file key, API field) is invalid. */
export class OptionError extends AlbertError {}
/** The model folder, its files, or the ONNX graph does not fit what a task needs. */
export class ModelError extends AlbertError {}
/** An input file or row cannot be read. */
export class InputError extends AlbertError {}
/** The output directory or a write to it failed. */
export class OutputError extends AlbertError {}
/** A worker thread failed, exited or timed out. */
export class WorkerError extends AlbertError {}

const SUBCLASSES: Record<string, new (code: ErrorCode, message: string, details?: Record<string, unknown>) => AlbertError> = {
  AlbertError,
  OptionError,
  ModelError,
  InputError,
  OutputError,
  WorkerError,
};

/** The shape an error takes on its way across a `postMessage`. */
export interface PlainError {
  name: string;
  code: string;
  message: string;
  details?: Record<string, unknown>;
  stack?: string;
}

export function toPlainError(err: unknown, fallbackCode: ErrorCode = 'ALB_INTERNAL'): PlainError {
  if (err instanceof AlbertError) {
    return { name: err.name, code: err.code, message: err.message, details: { ...err.details }, stack: err.stack };
  }
  // A foreign error (Node's, ORT's) keeps its own code in details: ours has one meaning each.
  if (err instanceof Error) {
    const raw = (err as Error & { code?: unknown }).code;
    return { name: err.name, code: fallbackCode, message: err.message, details: typeof raw === 'string' ? { errno: raw } : {}, stack: err.stack };
  }
  return { name: 'Error', code: fallbackCode, message: String(err) };
}

export function isPlainError(value: unknown): value is PlainError {
  return (
    typeof value === 'object' && value !== null &&
    typeof (value as PlainError).code === 'string' && typeof (value as PlainError).message === 'string'
  );
}

/** Rebuilds the class and fields that structured clone dropped. */
export function fromPlainError(plain: PlainError): AlbertError {
  const Ctor = SUBCLASSES[plain.name] ?? AlbertError;
  const code = isErrorCode(plain.code) ? plain.code : 'ALB_INTERNAL';
  const err = new Ctor(code, plain.message, { ...(plain.details ?? {}), ...(code === plain.code ? {} : { foreignCode: plain.code }) });
  if (plain.stack) err.stack = plain.stack;
  return err;
}

/** Names an option and the value it got, the way every option error should. */
export function optionError(option: string, got: unknown, expected: string, code: ErrorCode = 'ALB_OPTION_INVALID'): OptionError {
  return new OptionError(code, `option ${option}: expected ${expected}, got ${describe(got)}`, { option, got: describe(got) });
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'undefined';
  try {
    const s = JSON.stringify(value);
    return s === undefined ? String(value) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return String(value);
  }
}
