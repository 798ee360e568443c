import { resolve } from 'node:path';
import type { Manifest } from './manifest.js';

/** Options that say how one run goes, not what it writes: a repair picks its own. */
const RUN_CONTROL = new Set(['input', 'out', 'overwrite', 'resume', 'trustInput', 'verify', 'lockStaleMs', 'quiet', 'signal', 'onProgress', 'log', 'config']);

/**
 * What the manifest keeps to run the job again (`albert repair`): the input and model as
 * absolute paths, and every other option as given, as JSON. A stream input cannot be
 * read again: its record has `input: null`, and repair refuses it.
 *
 * @example
 * ```ts
 * rerunRecord({ input: 'docs.csv', out: 'out', model: 'models/m', pooling: 'cls', quiet: true });
 * // { input: '/abs/docs.csv', options: { model: '/abs/models/m', pooling: 'cls' } }
 * ```
 */
export function rerunRecord(options: Record<string, unknown>): NonNullable<Manifest['rerun']> {
  const input = typeof options.input === 'string' && options.input !== '-' ? resolve(options.input) : null;
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (RUN_CONTROL.has(key) || value === undefined || typeof value === 'function') continue;
    kept[key] = key === 'model' && typeof value === 'string' ? resolve(value) : value;
  }
  return { input, options: JSON.parse(JSON.stringify(kept)) as Record<string, unknown> };
}
