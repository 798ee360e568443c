import { AlbertError, ModelError, OutputError, type ErrorCode } from '../errors.js';
import { readTextNoFollow } from './durable-file.js';

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

/**
 * Reads a JSON file the job wrote into its output directory (manifest.json, plan.json)
 * without following a symlink: a JSON object, or `null` when there is no file. A planted link is
 * ALB_OUTPUT_SYMLINK, an unreadable file ALB_OUTPUT_UNREADABLE, broken JSON `invalid` (the
 * caller's code, with what to do about it).
 *
 * @example
 * ```ts
 * const plan = await readOutputJson(join(out, 'plan.json'), 'ALB_PLAN_INVALID', 'remove it to plan again');
 * ```
 */
export async function readOutputJson(file: string, invalid: ErrorCode, whatToDo: string): Promise<Record<string, unknown> | null> {
  let text: string | null;
  try {
    text = await readTextNoFollow(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw new OutputError('ALB_OUTPUT_SYMLINK', `${file} is a symlink; refusing to follow it out of --out`, { file });
    throw new OutputError('ALB_OUTPUT_UNREADABLE', `${file}: ${(err as Error).message}`, { file });
  }
  if (text === null) return null;
  const value = parseJsonText(text, file, invalid, (code, message, details) => new OutputError(code, `${message}; ${whatToDo}`, details));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new OutputError(invalid, `${file}: not a JSON object; ${whatToDo}`, { file });
  return value as Record<string, unknown>;
}
