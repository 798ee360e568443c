import { OptionError } from '../errors.js';
import { nearestName } from '../options.js';
import { embedTask } from './embed-task.js';
import { fillMaskTask } from './fill-mask-task.js';
import { labelTask } from './label-task.js';
import { sopTask } from './sop-task.js';
import type { TaskDefinition } from './task.js';

/**
 * The tasks: what `albert <task>`, `albert submit <task>`, the queue worker and the package
 * exports iterate. Adding a task is an entry here plus its definition (and its head, when
 * none of the existing heads fits).
 *
 * @example
 * ```ts
 * TASKS.map((t) => t.name); // ['embed', 'label', 'fill-mask', 'sop']
 * ```
 */
export const TASKS: readonly TaskDefinition[] = Object.freeze([embedTask, labelTask, fillMaskTask, sopTask]);

/**
 * The task named `name`, among the registry's and `extra` (a library user's own tasks).
 *
 * @example
 * ```ts
 * findTask('label'); // labelTask
 * findTask('lable'); // throws ALB_TASK_UNKNOWN: ... did you mean "label"?
 * ```
 */
export function findTask(name: unknown, extra: readonly TaskDefinition[] = []): TaskDefinition {
  const all = [...TASKS, ...extra];
  const task = all.find((t) => t.name === name);
  if (task) return task;
  const names = all.map((t) => t.name);
  const near = typeof name === 'string' ? nearestName(name, names) : null;
  throw new OptionError('ALB_TASK_UNKNOWN', `unknown task ${JSON.stringify(name)}${near ? `; did you mean ${JSON.stringify(near)}?` : ''} Tasks: ${names.join(', ')}`, { got: name, nearest: near });
}
