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
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
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

const SUBCLASSES: Record<string, new (code: string, message: string, details?: Record<string, unknown>) => AlbertError> = {
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

export function toPlainError(err: unknown, fallbackCode = 'ALB_INTERNAL'): PlainError {
  if (err instanceof AlbertError) {
    return { name: err.name, code: err.code, message: err.message, details: { ...err.details }, stack: err.stack };
  }
  if (err instanceof Error) {
    const raw = (err as Error & { code?: unknown }).code;
    const code = typeof raw === 'string' ? raw : fallbackCode;
    return { name: err.name, code, message: err.message, stack: err.stack };
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
  const err = new Ctor(plain.code, plain.message, plain.details ?? {});
  if (plain.stack) err.stack = plain.stack;
  return err;
}

/** Names an option and the value it got, the way every option error should. */
export function optionError(option: string, got: unknown, expected: string, code = 'ALB_OPTION_INVALID'): OptionError {
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
