import { AlbertError, optionError, type OptionError } from '../errors.js';

/**
 * A queue-mode failure that is not a bad option: Redis unreachable, a run id reused for
 * another output, a job whose data this version cannot run. Codes start with `ALB_QUEUE_`.
 *
 * @example
 * ```ts
 * try { await submitShards(embedTask, opts); }
 * catch (err) { if (err instanceof QueueError && err.code === 'ALB_QUEUE_RUN_CONFLICT') pickAnotherRun(); }
 * ```
 */
export class QueueError extends AlbertError {}

/** The code of every bad queue option (pass it to `intOption`). */
export const QUEUE_OPTION_INVALID = 'ALB_QUEUE_OPTION_INVALID';

/** A queue option with a bad value; names the option and what it got, like every option error. */
export function queueOptionError(option: string, got: unknown, expected: string): OptionError {
  return optionError(option, got, expected, QUEUE_OPTION_INVALID);
}
