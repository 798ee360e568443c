import { OptionError } from '../errors.js';
import { checkKnownKeys, splitKeys } from '../options.js';
import type { TaskDefinition } from '../tasks/task.js';
import { JOB_OPTION_KEYS, type JobOptions } from './job-options.js';

/** One options object, as a caller passes it, split by owner. */
export interface SplitOptions {
  job: JobOptions;
  /** The task's own keys, for `task.resolveOptions`. */
  task: Record<string, unknown>;
  /** The `extra` keys (a sharded run's, a submitter's). */
  extra: Record<string, unknown>;
}

/**
 * Splits the options a user gives `runJob` (a config file, the CLI) into the job's, the
 * task's and `extra`, maps a task option that is another name for a job option (sop's
 * `textAColumn`), and refuses any key none of them knows, naming the nearest: the library
 * must not run `{ poolng: 'cls' }` with mean pooling.
 *
 * @example
 * ```ts
 * splitTaskOptions(embedTask, { input: 'a.csv', out: 'o', pooling: 'cls' }); // { job: { input, out }, task: { pooling: 'cls' }, extra: {} }
 * ```
 */
export function splitTaskOptions(task: TaskDefinition, options: Record<string, unknown>, extra: readonly string[] = []): SplitOptions {
  const taskKeys = Object.keys(task.options);
  checkKnownKeys(options, [...JOB_OPTION_KEYS, ...taskKeys, ...extra], `\`${task.name}\` options`);
  const [extraOptions, rest] = splitKeys(options, extra);
  const [taskOptions, jobOptions] = splitKeys(rest, taskKeys);
  for (const [key, spec] of Object.entries(task.options)) {
    if (spec.alias === undefined || taskOptions[key] === undefined) continue;
    if (jobOptions[spec.alias] !== undefined && jobOptions[spec.alias] !== taskOptions[key]) {
      throw new OptionError('ALB_OPTION_CONFLICT', `options ${key} and ${spec.alias} name the same thing and disagree (${JSON.stringify(taskOptions[key])}, ${JSON.stringify(jobOptions[spec.alias])}); pass one`, { option: key });
    }
    jobOptions[spec.alias] = taskOptions[key];
    delete taskOptions[key];
  }
  return { job: jobOptions as JobOptions, task: taskOptions, extra: extraOptions };
}
