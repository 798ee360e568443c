import { describe, optionError, OptionError, type ErrorCode } from './errors.js';

/**
 * The checks every `XOptions` resolver shares. Each names the option (as the CLI spells it)
 * and the value it got, so the message is the same from a flag, a config file or the API.
 */

/**
 * An integer option, or `fallback` when it is undefined; `code` lets a wing keep its own code.
 *
 * @example
 * ```ts
 * intOption('--workers', 0, 2, 1, 256); // throws: option --workers: expected an integer from 1 to 256, got 0
 * ```
 */
export function intOption(option: string, value: unknown, fallback: number, min: number, max: number, code?: ErrorCode): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw optionError(option, value, `an integer from ${min} to ${max}`, code);
  }
  return value;
}

/** A non-empty string option, or `fallback` when it is undefined. */
export function stringOption<F extends string | null>(option: string, value: unknown, fallback: F): string | F {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value === '') throw optionError(option, value, 'a non-empty string');
  return value;
}

export function boolOption(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw optionError(option, value, 'true or false');
  return value;
}

/** One of `choices`, or `fallback` when it is undefined. */
export function choiceOption<T extends string, F extends T | null>(option: string, value: unknown, choices: readonly T[], fallback: F): T | F {
  if (value === undefined) return fallback;
  if (!choices.includes(value as T)) throw optionError(option, value, choices.join('|'));
  return value as T;
}

/**
 * Refuses keys nobody knows, naming the key and the nearest known one: a typo such as
 * `poolng` must fail, not run with the default.
 *
 * @example
 * ```ts
 * checkKnownKeys({ poolng: 'cls' }, ['pooling', 'normalize'], 'embed options');
 * // throws ALB_OPTION_UNKNOWN: embed options: unknown option "poolng" (got "cls"); did you mean "pooling"? ...
 * ```
 */
export function checkKnownKeys(options: Record<string, unknown>, known: readonly string[], where: string): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const near = nearestName(key, known);
    throw new OptionError(
      'ALB_OPTION_UNKNOWN',
      `${where}: unknown option ${JSON.stringify(key)} (got ${describe(options[key])})${near ? `; did you mean ${JSON.stringify(near)}?` : ''} Known options: ${known.join(', ')}`,
      { option: key, nearest: near },
    );
  }
}

/** The known name closest to `name` (edit distance, case-blind), if it is close enough to be a typo. */
export function nearestName(name: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(name.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : null;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}

/** The entries of `options` whose keys are in `keys`, and the rest. */
export function splitKeys(options: Record<string, unknown>, keys: readonly string[]): [Record<string, unknown>, Record<string, unknown>] {
  const mine: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) (keys.includes(k) ? mine : rest)[k] = v;
  return [mine, rest];
}
