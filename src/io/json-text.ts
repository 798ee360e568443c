import { AlbertError, ModelError, type ErrorCode } from '../errors.js';

/**
 * `JSON.parse` for files a user or a tool wrote: a syntax error becomes a coded error that
 * names the file, never an "unexpected error" with a stack.
 *
 * @example
 * ```ts
 * const config = parseJsonText(text, 'models/x/config.json', 'ALB_MODEL_CONFIG_INVALID');
 * ```
 */
export function parseJsonText(
  text: string,
  file: string,
  code: ErrorCode,
  make: (code: ErrorCode, message: string, details: Record<string, unknown>) => AlbertError = (c, m, d) => new ModelError(c, m, d),
): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw make(code, `${file}: not valid JSON: ${(err as Error).message}`, { file });
  }
}
